import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load-config.js';
import type { ScriptedAnthropic } from '../fixtures/scripted-anthropic/scripted-anthropic.server.js';
import type { ScriptedOpenAi } from '../fixtures/scripted-openai/scripted-openai.server.js';
import { createUser, type TestUser } from '../support/factories.js';
import { startProvidersApp, TEST_OPENAI_KEY } from '../support/providers-app.js';
import { streamChat, type SseEvent } from '../support/sse.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

const user = (content: string) => ({ role: 'user', content });
const ofType = (events: SseEvent[], type: string) => events.filter((e) => e.event === type).map((e) => e.json!);
async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
}
const textOf = (events: SseEvent[]) =>
  ofType(events, 'text_delta')
    .map((e) => e.text)
    .join('');

describe('Several model providers at once; the openai-compatible one on the official SDK (e2e)', () => {
  let t: TestApp;
  let anthropic: ScriptedAnthropic;
  let openai: ScriptedOpenAi;
  let close: () => Promise<void>;
  let alice: TestUser;

  beforeAll(async () => {
    ({ t, llm: anthropic, openai, close } = await startProvidersApp({ RATE_LIMIT_CHAT_PER_MINUTE: '1000' }));
    alice = await createUser(t);
  });
  afterAll(() => close());
  beforeEach(() => {
    anthropic.reset();
    openai.reset();
  });

  const chat = (body: Record<string, unknown>, options: Parameters<typeof streamChat>[3] = {}) =>
    streamChat(t.url, alice.token, body, options);

  it('lists each agent with its provider and model', async () => {
    const agents = (await t.http.get('/api/agents').set(alice.auth).expect(200)).body;
    expect(agents).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: 'assistant', provider: 'anthropic', model: 'claude-sonnet-5-5' }),
        expect.objectContaining({ name: 'tester', provider: 'anthropic', model: 'claude-sonnet-5-5' }),
        expect.objectContaining({ name: 'gpt', provider: 'openai-compatible', model: 'gpt-test' }),
        expect.objectContaining({ name: 'librarian', provider: 'offline', model: 'claude-sonnet-5-5' }),
      ]),
    );
  });

  it('/ready reports every configured provider and the default one', async () => {
    const ready = (await t.http.get('/ready').expect(200)).body;
    expect(ready).toMatchObject({
      llm_provider: 'anthropic',
      llm_providers: ['anthropic', 'openai-compatible', 'offline'],
    });
  });

  it('each agent streams from its own provider', async () => {
    const gpt = await chat({ agent: 'gpt', messages: [user('[[say:Hello |from |GPT]]')] });
    expect(textOf(gpt.events)).toBe('Hello from GPT');
    expect(ofType(gpt.events, 'run_started')[0]).toMatchObject({ agent: 'gpt', model: 'gpt-test' });
    const claude = await chat({ agent: 'tester', messages: [user('[[say:Hello |from |Claude]]')] });
    expect(textOf(claude.events)).toBe('Hello from Claude');
    const quoted = await chat({ agent: 'librarian', messages: [user('anything at all')] });
    expect(textOf(quoted.events)).toMatch(/^Offline mode/);
    expect([openai.requests.length, anthropic.requests.length]).toEqual([1, 1]);
    expect(anthropic.requests[0].body.messages.at(-1).content[0].text).toContain('Claude');
  });

  it('sends a streamed Chat Completion: the key as a bearer token, the prompt first, tools as functions, usage asked for', async () => {
    await chat({ agent: 'gpt', messages: [user('hi')], context: { page: 'inbox' } });
    const [request] = openai.requests;
    expect(request.headers.authorization).toBe(`Bearer ${TEST_OPENAI_KEY}`);
    expect(request.path).toBe('/v1/chat/completions');
    expect(request.body).toMatchObject({
      model: 'gpt-test',
      stream: true,
      stream_options: { include_usage: true },
      max_tokens: 512,
      temperature: 0.2,
    });
    const [system, last] = [request.body.messages[0], request.body.messages.at(-1)];
    expect(system.role).toBe('system');
    expect(system.content).toMatch(/^You are the OpenAI-compatible test agent\.\n\n/);
    expect(system.content).toContain('<client_context>');
    expect(last).toEqual({ role: 'user', content: 'hi' });
    expect(request.body.tools.map((tool: { function: { name: string } }) => tool.function.name)).toEqual([
      'echo',
      'wait_for_abort',
      'search_documents',
    ]);
    expect(request.body.tools[0]).toMatchObject({
      type: 'function',
      function: { name: 'echo', parameters: { type: 'object', required: ['text'] } },
    });
  });

  it('runs the tools the model calls, sends the results back as tool messages, and sums the usage', async () => {
    const res = await chat({ agent: 'gpt', messages: [user('[[tool:echo:{"text":"ping"}]]')] });
    const [call] = ofType(res.events, 'tool_call');
    expect(call).toMatchObject({ name: 'echo', input: { text: 'ping' }, id: expect.stringMatching(/^call_scripted_/) });
    expect(ofType(res.events, 'tool_result')[0]).toMatchObject({ id: call.id, result: { echo: 'ping' } });
    expect(textOf(res.events)).toContain('TOOL_RESULTS:');
    expect(ofType(res.events, 'run_finished')[0]).toEqual({
      type: 'run_finished',
      status: 'completed',
      stop_reason: 'end_turn',
    });

    expect(openai.requests).toHaveLength(2);
    const followUp = openai.requests[1].body.messages.slice(-2);
    expect(followUp[0]).toMatchObject({
      role: 'assistant',
      content: 'Let me check.',
      tool_calls: [{ id: call.id, type: 'function', function: { name: 'echo', arguments: '{"text":"ping"}' } }],
    });
    expect(followUp[1]).toMatchObject({ role: 'tool', tool_call_id: call.id });
    expect(JSON.parse(followUp[1].content)).toMatchObject({ echo: 'ping' });

    const [usage] = ofType(res.events, 'usage');
    const prompt = (i: number) => Math.ceil(JSON.stringify(openai.requests[i].body).length / 4);
    // The scripted server counts one output token per delta or call: 1 + 1 call, then 4 deltas.
    expect(usage).toEqual({
      type: 'usage',
      input_tokens: expect.any(Number),
      output_tokens: 2 + 4,
    });
    expect(usage.input_tokens).toBeGreaterThanOrEqual(prompt(0) + prompt(1) - 4);
  });

  it('reports no usage as zero when the server sends none', async () => {
    const res = await chat({ agent: 'gpt', messages: [user('[[no-usage]]')] });
    expect(ofType(res.events, 'usage')[0]).toMatchObject({ input_tokens: 0, output_tokens: 0 });
    expect(ofType(res.events, 'run_finished')[0]).toMatchObject({ status: 'completed' });
  });

  it('a mid-stream error ends the run failed, keeps the prefix, and is not retried', async () => {
    const res = await chat({ agent: 'gpt', messages: [user('[[midstream-error]]')] });
    expect(textOf(res.events)).toBe('partial answer ');
    expect(ofType(res.events, 'error')[0]).toMatchObject({ code: 'UPSTREAM_ERROR', recoverable: true });
    expect(ofType(res.events, 'run_finished')[0]).toMatchObject({ status: 'failed', stop_reason: 'error' });
    expect(openai.requests).toHaveLength(1);
    const history = (
      await t.http.get(`/api/chat/${res.events[0].json!.conversation_id}/history`).set(alice.auth).expect(200)
    ).body;
    expect(history[1]).toMatchObject({ status: 'failed', content: 'partial answer ' });
  });

  it('a stream cut short without a finish reason is an invalid response, not an answer', async () => {
    const res = await chat({ agent: 'gpt', messages: [user('[[truncated]]')] });
    expect(ofType(res.events, 'error')[0]).toMatchObject({ code: 'UPSTREAM_INVALID_RESPONSE' });
    expect(ofType(res.events, 'run_finished')[0]).toMatchObject({ status: 'failed' });
  });

  it('classifies HTTP failures, retrying only the retryable ones', async () => {
    const limited = await chat({ agent: 'gpt', messages: [user('[[http:429]]')] });
    expect(ofType(limited.events, 'error')[0]).toMatchObject({ code: 'UPSTREAM_RATE_LIMITED', recoverable: true });
    expect(openai.requests).toHaveLength(2);
    openai.reset();
    const refused = await chat({ agent: 'gpt', messages: [user('[[http:401]]')] });
    expect(ofType(refused.events, 'error')[0]).toMatchObject({ code: 'UPSTREAM_AUTH', recoverable: false });
    expect(openai.requests).toHaveLength(1);
    expect(JSON.stringify(refused.events)).not.toContain('Incorrect API key');
  });

  it('cancel aborts the request on the model server and keeps the partial answer', async () => {
    const res = await chat(
      { agent: 'gpt', messages: [user('[[hang]]')] },
      {
        onEvent: (e) => {
          if (e.event !== 'run_started') return;
          const cancel = () => t.http.post(`/api/chat/${e.json!.conversation_id as string}/cancel`).set(alice.auth);
          // Once the model server holds the request open, not before it has it.
          void until(() => openai.requests.length === 1).then(cancel);
        },
      },
    );
    expect(ofType(res.events, 'run_finished')[0]).toMatchObject({ status: 'cancelled' });
    expect((await openai.waitForAbort(2000)).aborted).toBe(true);
  });

  it('a client that disconnects aborts the request on the model server', async () => {
    const controller = new AbortController();
    await chat(
      { agent: 'gpt', messages: [user('[[hang]]')] },
      { signal: controller.signal, onEvent: (e) => e.event === 'run_started' && controller.abort() },
    );
    expect((await openai.waitForAbort(2000)).aborted).toBe(true);
  });

  it('redacts the OpenAI key from what the model says', async () => {
    const res = await chat({
      agent: 'gpt',
      messages: [user(`[[say:the key is ${TEST_OPENAI_KEY.slice(0, 12)}|${TEST_OPENAI_KEY.slice(12)}!]]`)],
    });
    expect(textOf(res.events)).not.toContain(TEST_OPENAI_KEY);
    expect(textOf(res.events)).toMatch(/^the key is .+!$/);
  });
});

describe('Provider configuration is checked at boot', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'agents-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('with only an OpenAI-compatible server configured, agents default to it and its OPENAI_MODEL', async () => {
    const t = await startTestApp({ env: { OPENAI_BASE_URL: 'http://127.0.0.1:9/v1', OPENAI_MODEL: 'llama3.3' } });
    try {
      const alice = await createUser(t);
      const [assistant] = (await t.http.get('/api/agents').set(alice.auth).expect(200)).body;
      expect(assistant).toMatchObject({ name: 'assistant', provider: 'openai-compatible', model: 'llama3.3' });
      expect((await t.http.get('/ready').expect(200)).body).toMatchObject({
        llm_provider: 'openai-compatible',
        llm_providers: ['openai-compatible', 'offline'],
      });
    } finally {
      await t.close();
    }
  });

  it.each([
    [
      'an agent naming a provider that is not configured',
      'provider: anthropic\n',
      {},
      /field "provider" names anthropic, which is not configured \(set ANTHROPIC_API_KEY\)/,
    ],
    ['an unknown provider', 'provider: bedrock\n', {}, /field "provider"/],
    [
      'an openai-compatible agent with no model and no OPENAI_MODEL',
      'provider: openai-compatible\n',
      { OPENAI_BASE_URL: 'http://127.0.0.1:9/v1' },
      /field "model" is required for provider openai-compatible \(or set OPENAI_MODEL\)/,
    ],
  ])('refuses to boot with %s', async (_case, yaml, env, message) => {
    await writeFile(join(dir, 'x.yaml'), `name: x\ndescription: d\nsystem_prompt: p\n${yaml}`);
    await expect(startTestApp({ env: { AGENTS_DIR: dir, ...env } })).rejects.toThrow(message);
  });

  it('refuses a DEFAULT_PROVIDER that is not configured', () => {
    expect(() => loadConfig({ DEFAULT_PROVIDER: 'openai-compatible' })).toThrow(
      /DEFAULT_PROVIDER is openai-compatible, which is not configured \(set OPENAI_BASE_URL or OPENAI_API_KEY\)/,
    );
    expect(loadConfig({ DEFAULT_PROVIDER: 'offline', ANTHROPIC_API_KEY: 'k' }).llm).toMatchObject({
      defaultProvider: 'offline',
      providers: ['anthropic', 'offline'],
    });
  });
});
