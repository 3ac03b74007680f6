import { DataSource } from 'typeorm';
import type { Script, ScriptedAnthropic } from '../fixtures/scripted-anthropic/scripted-anthropic.server.js';
import { startChatApp } from '../support/chat-app.js';
import { createUser, type TestUser } from '../support/factories.js';
import { streamChat, type SseEvent } from '../support/sse.js';
import { TEST_JWT_SECRET, type TestApp } from '../support/test-app.js';

const ofType = (events: SseEvent[], type: string) => events.filter((e) => e.event === type).map((e) => e.json!);
const textOf = (events: SseEvent[]) =>
  ofType(events, 'text_delta')
    .map((e) => e.text)
    .join('');
const say = (...deltas: string[]): Script => ({
  kind: 'message',
  blocks: [{ type: 'text', deltas }],
  stopReason: 'end_turn',
});
const hasToolResult = (body: any) =>
  (body.messages.at(-1)?.content ?? []).some?.((b: { type: string }) => b.type === 'tool_result') ?? false;

/**
 * Issue 22, items 4 and 5: what the model streams is untrusted. A NUL or a lone surrogate must not lose anyone's
 * answer or lock a conversation; a server secret must not leave through a tool's name or id, an error message, or
 * a split across the model's turns.
 */
describe('Security: hostile model output (e2e)', () => {
  let t: TestApp;
  let llm: ScriptedAnthropic;
  let close: () => Promise<void>;
  let mallory: TestUser;
  let bystander: TestUser;

  beforeAll(async () => {
    ({ t, llm, close } = await startChatApp({ RATE_LIMIT_CHAT_PER_MINUTE: '1000' }));
    mallory = await createUser(t);
    bystander = await createUser(t);
  });
  afterAll(() => close());
  afterEach(() => {
    llm.handler = undefined;
    llm.reset();
  });

  const history = async (u: TestUser, conversationId: string) =>
    (await t.http.get(`/api/chat/${conversationId}/history`).set(u.auth).expect(200)).body;
  const dbText = async (conversationId: string) =>
    (
      await t.app
        .get(DataSource)
        .query(`SELECT content FROM messages WHERE conversation_id = $1 AND role = 'assistant'`, [conversationId])
    ).map((r: { content: Array<{ text: string }> }) => r.content[0].text);

  it.each([
    ['a NUL', 'wor\u0000ld', 'wor\ufffdld'],
    ['a lone surrogate', 'bad \ud800 pair', 'bad \ufffd pair'],
  ])(
    '%s in the answer is stored as U+FFFD; the run completes, the conversation goes on, a bystander loses nothing',
    async (_what, sent, stored) => {
      llm.handler = (req) =>
        JSON.stringify(req.body).includes('HOSTILE')
          ? {
              kind: 'message',
              blocks: [{ type: 'text', deltas: ['a ', sent, ' b'] }],
              stopReason: 'end_turn',
              delayMs: 300,
            }
          : undefined;
      // The bystander's answer streams in the same progress batches as the attacker's.
      const bystanderRun = streamChat(t.url, bystander.token, {
        messages: [{ role: 'user', content: '[[deltas:8:120]]' }],
      });
      const res = await streamChat(t.url, mallory.token, { messages: [{ role: 'user', content: 'HOSTILE' }] });
      expect(ofType(res.events, 'run_finished')[0]).toMatchObject({ status: 'completed' });
      expect(textOf(res.events)).toBe(`a ${stored} b`);
      const conversationId = res.events[0].json!.conversation_id as string;
      expect((await history(mallory, conversationId))[1]).toMatchObject({
        status: 'completed',
        content: `a ${stored} b`,
      });
      expect(await dbText(conversationId)).toEqual([`a ${stored} b`]);
      const next = await streamChat(t.url, mallory.token, {
        conversation_id: conversationId,
        messages: [{ role: 'user', content: '[[say:still fine]]' }],
      });
      expect(ofType(next.events, 'run_finished')[0]).toMatchObject({ status: 'completed' });
      const other = await bystanderRun;
      const otherId = other.events[0].json!.conversation_id as string;
      expect((await history(bystander, otherId))[1]).toMatchObject({
        status: 'completed',
        content: textOf(other.events),
      });
    },
  );

  it("a NUL in a tool's input reaches the tool and its record as U+FFFD; the call is stored", async () => {
    llm.handler = (req) =>
      hasToolResult(req.body)
        ? say('done')
        : {
            kind: 'message',
            blocks: [{ type: 'tool_use', name: 'echo', jsonDeltas: [JSON.stringify({ text: 'nul\u0000here' })] }],
            stopReason: 'tool_use',
          };
    const res = await streamChat(t.url, mallory.token, { agent: 'tester', messages: [{ role: 'user', content: 'x' }] });
    expect(ofType(res.events, 'tool_call')[0]).toMatchObject({ name: 'echo', input: { text: 'nul\ufffdhere' } });
    const conversationId = res.events[0].json!.conversation_id as string;
    const [assistant] = (await history(mallory, conversationId)).slice(1);
    expect(assistant.tool_calls).toEqual([
      expect.objectContaining({ name: 'echo', input: { text: 'nul\ufffdhere' }, result: expect.anything() }),
    ]);
  });

  it("a secret in a tool call's name or id is redacted in the stream, the history and the database", async () => {
    llm.handler = (req) =>
      hasToolResult(req.body)
        ? say('ok')
        : {
            kind: 'message',
            blocks: [
              { type: 'tool_use', name: `x${TEST_JWT_SECRET}`, id: `toolu_${TEST_JWT_SECRET}`, jsonDeltas: ['{}'] },
            ],
            stopReason: 'tool_use',
          };
    const res = await streamChat(t.url, mallory.token, { agent: 'tester', messages: [{ role: 'user', content: 'x' }] });
    expect(res.raw).not.toContain(TEST_JWT_SECRET);
    expect(ofType(res.events, 'tool_call')[0]).toMatchObject({ id: 'toolu_[redacted]', name: 'x[redacted]' });
    const conversationId = res.events[0].json!.conversation_id as string;
    expect(JSON.stringify(await history(mallory, conversationId))).not.toContain(TEST_JWT_SECRET);
    const rows = await t.app.get(DataSource).query(
      `SELECT t.* FROM tool_calls t JOIN runs r ON r.id = t.run_id
      WHERE r.conversation_id = $1`,
      [conversationId],
    );
    expect(rows).toHaveLength(1);
    expect(JSON.stringify(rows)).not.toContain(TEST_JWT_SECRET);
  });

  it('a secret in the name of a tool whose input is not JSON is redacted from the error event and runs.error', async () => {
    const res = await streamChat(t.url, mallory.token, {
      agent: 'tester',
      messages: [{ role: 'user', content: `[[badjson-tool:t${TEST_JWT_SECRET}]]` }],
    });
    llm.handler = undefined;
    expect(res.raw).not.toContain(TEST_JWT_SECRET);
    const [error] = ofType(res.events, 'error');
    expect(error).toMatchObject({ code: 'UPSTREAM_INVALID_RESPONSE' });
    const [run] = await t.app
      .get(DataSource)
      .query(`SELECT error FROM runs WHERE id = $1`, [res.events[0].json!.run_id]);
    expect(run.error.code).toBe('UPSTREAM_INVALID_RESPONSE');
    expect(JSON.stringify(run.error)).not.toContain(TEST_JWT_SECRET);
  });

  it('a secret split across two model turns (text before a tool call, the rest after) is redacted', async () => {
    const cut = 20;
    llm.handler = (req) =>
      hasToolResult(req.body)
        ? say(`${TEST_JWT_SECRET.slice(cut)} is the key`)
        : {
            kind: 'message',
            blocks: [
              { type: 'text', deltas: [`the secret: ${TEST_JWT_SECRET.slice(0, cut)}`] },
              { type: 'tool_use', name: 'echo', jsonDeltas: ['{"text":"hi"}'] },
            ],
            stopReason: 'tool_use',
          };
    const res = await streamChat(t.url, mallory.token, { agent: 'tester', messages: [{ role: 'user', content: 'x' }] });
    expect(textOf(res.events)).toBe('the secret: [redacted] is the key');
    for (const e of ofType(res.events, 'text_delta')) expect(e.text).not.toContain(TEST_JWT_SECRET.slice(0, cut));
    const conversationId = res.events[0].json!.conversation_id as string;
    expect((await history(mallory, conversationId))[1].content).toBe('the secret: [redacted] is the key');
  });
});

describe('Security: long conversations stay within the context budget (e2e)', () => {
  let t: TestApp;
  let llm: ScriptedAnthropic;
  let close: () => Promise<void>;
  let user: TestUser;

  beforeAll(async () => {
    ({ t, llm, close } = await startChatApp({ RATE_LIMIT_CHAT_PER_MINUTE: '1000', HISTORY_MAX_TOKENS: '5000' }));
    user = await createUser(t);
  });
  afterAll(() => close());

  it('oldest turns are left out (and the model told so); the system prompt and the latest turn are always sent', async () => {
    const big = (n: number) => `turn ${n} [[say:ok]] ${'x'.repeat(6000)}`;
    const first = await streamChat(t.url, user.token, { messages: [{ role: 'user', content: big(1) }] });
    const conversationId = first.events[0].json!.conversation_id as string;
    for (const n of [2, 3, 4]) {
      await streamChat(t.url, user.token, {
        conversation_id: conversationId,
        messages: [{ role: 'user', content: big(n) }],
      });
    }
    const last = await streamChat(t.url, user.token, {
      conversation_id: conversationId,
      messages: [{ role: 'user', content: 'the latest turn [[say:fine]]' }],
    });
    expect(ofType(last.events, 'run_finished')[0]).toMatchObject({ status: 'completed' });
    const body = llm.requests.at(-1)!.body;
    const sent = JSON.stringify(body.messages);
    expect(sent.length).toBeLessThan(5000 * 4);
    expect(sent).toContain('the latest turn');
    expect(sent).toContain('turn 4');
    expect(sent).not.toContain('turn 1 ');
    expect(sent).toMatch(/earlier messages? of this conversation (is|are) left out/);
    expect(body.system[0].text).toContain('You are a helpful assistant');
    // The history endpoint still has every turn.
    const all = (await t.http.get(`/api/chat/${conversationId}/history`).set(user.auth).expect(200)).body;
    expect(all).toHaveLength(10);
  });
});

describe('Security: caps on active runs per address and for the whole service (e2e)', () => {
  let t: TestApp;
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ t, close } = await startChatApp({
      RATE_LIMIT_CHAT_PER_MINUTE: '1000',
      MAX_CONCURRENT_RUNS_PER_USER: '5',
      MAX_CONCURRENT_RUNS_PER_ADDRESS: '2',
    }));
  });
  afterAll(() => close());

  it('many accounts from one address share its cap: the third run from it is 429 TOO_MANY_ACTIVE_RUNS', async () => {
    const users = [await createUser(t), await createUser(t), await createUser(t)];
    const controllers = users.map(() => new AbortController());
    const started: string[] = [];
    const streams = users.slice(0, 2).map((u, i) =>
      streamChat(
        t.url,
        u.token,
        { messages: [{ role: 'user', content: '[[hang]]' }] },
        {
          signal: controllers[i].signal,
          onEvent: (e) => {
            if (e.event === 'run_started') started.push(e.json!.run_id as string);
          },
        },
      ),
    );
    for (let i = 0; i < 100 && started.length < 2; i++) await new Promise((r) => setTimeout(r, 20));
    const third = await t.http
      .post('/api/chat')
      .set(users[2].auth)
      .send({ messages: [{ role: 'user', content: 'hi' }], stream: false })
      .expect(429);
    expect(third.body.code).toBe('TOO_MANY_ACTIVE_RUNS');
    expect(third.body.detail).toMatch(/per address/);
    expect(third.headers['retry-after']).toBe('1');
    for (const c of controllers) c.abort();
    await Promise.all(streams);
  });
});
