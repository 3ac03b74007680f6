import type { Script, ScriptedAnthropic } from '../fixtures/scripted-anthropic/scripted-anthropic.server.js';
import { rawSseFrame, sseFrame } from '../fixtures/scripted-anthropic/sse.js';
import { startChatApp } from '../support/chat-app.js';
import { createUser, type TestUser } from '../support/factories.js';
import { streamChat, type SseEvent } from '../support/sse.js';
import type { TestApp } from '../support/test-app.js';
import { toolLog } from '../support/test-tools.module.js';

const ofType = (events: SseEvent[], type: string) => events.filter((e) => e.event === type).map((e) => e.json!);

const messageStart = sseFrame('message_start', {
  message: {
    id: 'msg_hostile',
    type: 'message',
    role: 'assistant',
    model: 'claude-sonnet-5-5',
    content: [],
    stop_reason: null,
    stop_sequence: null,
    usage: { input_tokens: 5, output_tokens: 1 },
  },
});

/** A tool_use block whose streamed input is `json`, then a proper end of message. */
const toolUseWith = (name: string, json: string): Script => ({
  kind: 'raw',
  chunks: [
    messageStart,
    sseFrame('content_block_start', { index: 0, content_block: { type: 'tool_use', id: 'toolu_h1', name, input: {} } }),
    sseFrame('content_block_delta', { index: 0, delta: { type: 'input_json_delta', partial_json: json } }),
    sseFrame('content_block_stop', { index: 0 }),
    sseFrame('message_delta', { delta: { stop_reason: 'tool_use', stop_sequence: null }, usage: { output_tokens: 9 } }),
    sseFrame('message_stop'),
  ],
});

/**
 * What the model provider sends is untrusted input too. Every broken or hostile stream below must end the run as
 * `failed` with an `error` event (never a crash, a hung stream or a 5xx), be stored as failed, and leave the
 * server answering.
 */
describe('Security: unsafe consumption of the model API (e2e)', () => {
  let t: TestApp;
  let llm: ScriptedAnthropic;
  let close: () => Promise<void>;
  let alice: TestUser;

  beforeAll(async () => {
    ({ t, llm, close } = await startChatApp({ RATE_LIMIT_CHAT_PER_MINUTE: '1000', LLM_MAX_RETRIES: '0' }));
    alice = await createUser(t);
  });
  afterAll(() => close());
  beforeEach(() => {
    llm.reset();
    llm.handler = undefined;
    toolLog.reset();
  });

  /** Runs one chat turn against the given upstream behaviour and checks the run failed cleanly. */
  async function expectCleanFailure(prompt: string, script?: Script) {
    if (script) llm.handler = () => script;
    const res = await streamChat(t.url, alice.token, {
      agent: 'tester',
      messages: [{ role: 'user', content: prompt }],
    });
    llm.handler = undefined;
    expect(res.status).toBe(200);
    expect(res.done).toBe(true);
    const [error] = ofType(res.events, 'error');
    expect(error).toEqual({ type: 'error', code: expect.any(String), message: expect.any(String), recoverable: true });
    expect(ofType(res.events, 'run_finished')).toEqual([
      { type: 'run_finished', status: 'failed', stop_reason: 'error' },
    ]);
    const conversationId = res.events[0].json!.conversation_id as string;
    const history = (await t.http.get(`/api/chat/${conversationId}/history`).set(alice.auth).expect(200)).body;
    expect(history.at(-1)).toMatchObject({ role: 'assistant', status: 'failed' });
    // The server still answers, and a normal turn still works.
    await t.http.get('/health').expect(200);
    const ok = await streamChat(t.url, alice.token, { messages: [{ role: 'user', content: '[[say:still|alive]]' }] });
    expect(ofType(ok.events, 'run_finished')[0]).toMatchObject({ status: 'completed' });
    return { res, error, history };
  }

  it('malformed SSE (a data line that is not JSON)', async () => {
    const { error } = await expectCleanFailure('[[malformed]]');
    expect(error.code).toBe('UPSTREAM_INVALID_RESPONSE');
  });

  it('a truncated stream (the connection ends mid-message): the partial text is kept', async () => {
    const { history } = await expectCleanFailure('[[truncated]]');
    expect(history.at(-1).content).toBe('partial answer ');
  });

  it('a tool_use whose input is not JSON (`{"query": x}`): no tool runs', async () => {
    const { error } = await expectCleanFailure('search', toolUseWith('search_documents', '{"query": x}'));
    expect(error.code).toBe('UPSTREAM_INVALID_RESPONSE');
    expect(toolLog.calls).toEqual([]);
  });

  it('the fixture’s [[badjson-tool]] (an object that never closes) is refused as well, not completed by guesswork', async () => {
    // The SDK's partial-JSON parser would accept `{"query": "x"`; the provider parses the whole input itself.
    const { error } = await expectCleanFailure('[[badjson-tool:echo]]');
    expect(error.code).toBe('UPSTREAM_INVALID_RESPONSE');
    expect(toolLog.calls).toEqual([]);
  });

  it.each<[string, Script]>([
    ['an empty 200 body', { kind: 'raw', chunks: [] }],
    [
      'an HTML page instead of a stream',
      { kind: 'raw', headers: { 'content-type': 'text/html' }, chunks: ['<html>502 Bad Gateway</html>'] },
    ],
    [
      'events before message_start',
      {
        kind: 'raw',
        chunks: [sseFrame('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'x' } })],
      },
    ],
    [
      'a message_delta without usage',
      {
        kind: 'raw',
        chunks: [
          messageStart,
          sseFrame('message_delta', { delta: { stop_reason: 'end_turn' } }),
          sseFrame('message_stop'),
        ],
      },
    ],
    [
      'an SSE error event with an unknown type',
      { kind: 'raw', chunks: [messageStart, sseFrame('error', { error: { type: 'weird', message: 'x' } })] },
    ],
    [
      'a data line that is JSON but not an object',
      { kind: 'raw', chunks: [messageStart, rawSseFrame('content_block_delta', '[1,2,3]')] },
    ],
  ])('%s', async (_, script) => {
    await expectCleanFailure('hostile upstream', script);
  });

  it('a tool_use naming a tool the agent does not have is refused as data, and the run goes on', async () => {
    llm.handler = (req) =>
      req.body.messages.length === 1 ? toolUseWith('drop_all_tables', '{"confirm": true}') : undefined;
    const res = await streamChat(t.url, alice.token, { messages: [{ role: 'user', content: 'go' }] });
    const [result] = ofType(res.events, 'tool_result');
    expect(result.error).toMatchObject({ code: 'NOT_FOUND' });
    expect(ofType(res.events, 'run_finished')[0]).toMatchObject({ status: 'completed' });
  });
});
