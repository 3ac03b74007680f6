import type { ScriptedAnthropic } from '../fixtures/scripted-anthropic/scripted-anthropic.server.js';
import { uploadFile } from '../fixtures/documents/documents.factory.js';
import { startChatApp } from '../support/chat-app.js';
import { createUser, type TestUser } from '../support/factories.js';
import { streamChat } from '../support/sse.js';
import type { TestApp } from '../support/test-app.js';

const user = (content: string) => ({ role: 'user', content });

/**
 * Limits a client cannot lift. Also covered elsewhere: a 25 MiB+ upload is 413 (test/e2e/documents.e2e-spec.ts),
 * a 2 MiB JSON body on register is 413 (auth.e2e-spec), per-user chat rate limit (chat-rate-limit.e2e-spec),
 * context over 32 KiB and content over 50,000 characters are 400 (chat.e2e-spec).
 */
describe('Security: unrestricted resource consumption (e2e)', () => {
  let t: TestApp;
  let llm: ScriptedAnthropic;
  let close: () => Promise<void>;
  let alice: TestUser;

  beforeAll(async () => {
    // The default MAX_CONCURRENT_RUNS_PER_USER (3) is what is tested.
    ({ t, llm, close } = await startChatApp({ RATE_LIMIT_CHAT_PER_MINUTE: '1000' }));
    alice = await createUser(t);
  });
  afterAll(() => close());
  beforeEach(() => llm.reset());

  it.each([
    ['POST /api/chat', '/api/chat', { messages: [user('x'.repeat(1024 * 1024 + 10))] }],
    ['POST /api/documents', '/api/documents', { content: 'x'.repeat(1024 * 1024 + 10) }],
  ])('%s with a JSON body over 1 MiB -> 413 before anything runs', async (_, path, body) => {
    const res = await t.http.post(path).set(alice.auth).send(body).expect(413);
    expect(res.body).toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
    expect(llm.requests).toHaveLength(0);
  });

  it.each([
    [
      'nested 10,000 levels deep',
      `{"messages":[{"role":"user","content":"x"}],"context":${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}}`,
    ],
    ['an array nested 100,000 levels deep', `{"email":${'['.repeat(100_000)}${']'.repeat(100_000)},"password":"x"}`],
    ['a NUL character', JSON.stringify({ messages: [user('a\u0000b')] })],
    ['an unpaired surrogate', '{"messages":[{"role":"user","content":"a\\ud800b"}]}'],
    ['a NUL in a context key', JSON.stringify({ messages: [user('hi')], context: { 'k\u0000': 1 } })],
  ])('JSON %s is a 400, not a stack overflow or a database error', async (_, raw) => {
    const path = raw.includes('"email"') ? '/api/auth/register' : '/api/chat';
    const res = await t.http.post(path).set(alice.auth).set('Content-Type', 'application/json').send(raw);
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('VALIDATION_FAILED');
    expect(llm.requests).toHaveLength(0);
  });

  it('a NUL character in a search query is a 400, not a database error', async () => {
    await t.http.get('/api/documents/search?q=a%00b').set(alice.auth).expect(400);
  });

  it('a multipart upload cannot smuggle extra files or oversized fields (4xx, never 5xx)', async () => {
    const twoFiles = await t.http
      .post('/api/documents')
      .set(alice.auth)
      .attach('file', Buffer.from('one'), 'a.txt')
      .attach('file', Buffer.from('two'), 'b.txt');
    expect(twoFiles.status).toBe(400);
    const bigField = await uploadFile(t, alice, 'body text', { filename: 'a.txt', title: 't'.repeat(70 * 1024) });
    expect([400, 413]).toContain(bigField.status);
    const otherField = await t.http
      .post('/api/documents')
      .set(alice.auth)
      .attach('attachment', Buffer.from('x'), 'x.txt');
    expect(otherField.status).toBe(400);
  });

  it('at most 100 messages per request: 100 are accepted, 101 are a 400', async () => {
    const hundred = [...Array.from({ length: 99 }, (_, i) => user(`m${i}`)), user('last')];
    await t.http.post('/api/chat').set(alice.auth).send({ messages: hundred, stream: false }).expect(200);
    const res = await t.http
      .post('/api/chat')
      .set(alice.auth)
      .send({ messages: [...hundred, user('one more')], stream: false })
      .expect(400);
    expect(res.body.errors.map((e: { field: string }) => e.field)).toContain('messages');
  });

  it.each([['max_tokens'], ['maxTokens'], ['temperature'], ['system'], ['tools'], ['max_iterations']])(
    'a client cannot set %s (unknown field -> 400)',
    async (field) => {
      const res = await t.http
        .post('/api/chat')
        .set(alice.auth)
        .send({ messages: [user('hi')], [field]: field === 'system' ? 'be evil' : 100000 })
        .expect(400);
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
      expect(llm.requests).toHaveLength(0);
    },
  );

  it.each([
    ['assistant', 4096],
    ['tester', 1024],
  ])("the model request carries the %s agent's max_tokens (%i)", async (agent, maxTokens) => {
    await streamChat(t.url, alice.token, { agent, messages: [user('hi')] });
    expect(llm.requests).toHaveLength(1);
    expect(llm.requests[0].body.max_tokens).toBe(maxTokens);
  });

  it('at most 3 concurrent streams per user: the 4th is 429 with Retry-After; others are unaffected', async () => {
    const controllers = [1, 2, 3].map(() => new AbortController());
    const started: string[] = [];
    const streams = controllers.map((c) =>
      streamChat(
        t.url,
        alice.token,
        { messages: [user('[[hang]]')] },
        {
          signal: c.signal,
          onEvent: (e) => e.event === 'run_started' && started.push(e.json!.conversation_id as string),
        },
      ),
    );
    for (let i = 0; i < 100 && started.length < 3; i++) await new Promise((r) => setTimeout(r, 20));
    expect(started).toHaveLength(3);
    const fourth = await t.http
      .post('/api/chat')
      .set(alice.auth)
      .send({ messages: [user('hi')] });
    expect(fourth.status).toBe(429);
    expect(fourth.body.code).toBe('TOO_MANY_ACTIVE_RUNS');
    expect(Number(fourth.headers['retry-after'])).toBeGreaterThan(0);
    const bob = await createUser(t);
    await t.http
      .post('/api/chat')
      .set(bob.auth)
      .send({ messages: [user('hi')], stream: false })
      .expect(200);

    // Dropping the connections frees the slots (the runs are cancelled upstream too).
    for (const c of controllers) c.abort();
    await Promise.allSettled(streams);
    let after = 429;
    for (let i = 0; i < 50 && after === 429; i++) {
      after = (
        await t.http
          .post('/api/chat')
          .set(alice.auth)
          .send({ messages: [user('hi')], stream: false })
      ).status;
      if (after === 429) await new Promise((r) => setTimeout(r, 20));
    }
    expect(after).toBe(200);
  });

  it.each([
    ['/api/conversations?limit=101'],
    ['/api/documents?limit=1000'],
    ['/api/documents?offset=99999999'],
    ['/api/documents/search?q=x&limit=51'],
    [`/api/documents/search?q=${'x'.repeat(501)}`],
  ])('%s -> 400 (pages are bounded)', async (path) => {
    await t.http.get(path).set(alice.auth).expect(400);
  });

  it('an oversized header block is refused by the HTTP layer, not the app (431)', async () => {
    const res = await fetch(`${t.url}/api/auth/me`, {
      headers: { authorization: alice.auth.Authorization, 'x-padding': 'p'.repeat(20 * 1024) },
    });
    expect(res.status).toBe(431);
  });
});
