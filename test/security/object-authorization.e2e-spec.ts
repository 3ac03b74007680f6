import { randomUUID } from 'node:crypto';
import type { Response } from 'supertest';
import { createDocument, search, type DocumentBody } from '../fixtures/documents/documents.factory.js';
import { startChatApp } from '../support/chat-app.js';
import { createUser, type TestUser } from '../support/factories.js';
import { registeredRoutes } from '../support/routes.js';
import { streamChat, type SseEvent } from '../support/sse.js';
import type { TestApp } from '../support/test-app.js';

const ask = (content: string, extra: Record<string, unknown> = {}) => ({
  messages: [{ role: 'user', content }],
  ...extra,
});
const ofType = (events: SseEvent[], type: string) => events.filter((e) => e.event === type).map((e) => e.json!);

/** What a problem says, minus what legitimately differs between two requests (their path and id). */
const substance = (res: Response) => {
  const { instance: _instance, request_id: _requestId, ...rest } = res.body as Record<string, unknown>;
  return { status: res.status, ...rest };
};

const ALICE_SECRET = 'zebracorn-ledger-7781';

describe('Security: broken object-level authorization (e2e)', () => {
  let t: TestApp;
  let close: () => Promise<void>;
  let alice: TestUser;
  let bob: TestUser;
  let aliceDoc: DocumentBody;
  let aliceConversation: string;
  let aliceRun: string;
  let aliceHistory: unknown[];
  let aliceTask: string;

  beforeAll(async () => {
    ({ t, close } = await startChatApp({ RATE_LIMIT_CHAT_PER_MINUTE: '1000' }));
    alice = await createUser(t);
    bob = await createUser(t);
    aliceDoc = await createDocument(t, alice, `Alice's private ledger: ${ALICE_SECRET} owes 300.`, 'Alice ledger');
    // A conversation whose history holds a tool call and its result, both carrying Alice's secret.
    const res = await streamChat(
      t.url,
      alice.token,
      ask(`[[tool:echo:{"text":"${ALICE_SECRET}"}]]`, { agent: 'tester' }),
    );
    aliceConversation = res.events[0].json!.conversation_id as string;
    aliceRun = res.events[0].json!.run_id as string;
    aliceHistory = (await t.http.get(`/api/chat/${aliceConversation}/history`).set(alice.auth).expect(200)).body;
    expect(JSON.stringify(aliceHistory)).toContain(ALICE_SECRET);
    const task = await t.http
      .post('/api/tasks')
      .set(alice.auth)
      .send({ type: 'document.ingest', input: { title: 'Alice task', content: 'Alice task notes' } })
      .expect(202);
    aliceTask = task.body.id as string;
  });
  afterAll(() => close());

  /**
   * Every route with an object id in its path, and how to call it. Driven from the registered routes, so a new
   * resource route fails this suite until it has an attack case here.
   */
  const attacks: Record<string, (id: string, as: TestUser) => Promise<Response>> = {
    'GET /api/chat/:conversationId/history': (id, as) => t.http.get(`/api/chat/${id}/history`).set(as.auth),
    'POST /api/chat/:conversationId/cancel': (id, as) => t.http.post(`/api/chat/${id}/cancel`).set(as.auth),
    'DELETE /api/conversations/:id': (id, as) => t.http.delete(`/api/conversations/${id}`).set(as.auth),
    'GET /api/documents/:id': (id, as) => t.http.get(`/api/documents/${id}`).set(as.auth),
    'DELETE /api/documents/:id': (id, as) => t.http.delete(`/api/documents/${id}`).set(as.auth),
    'GET /api/conversations/:id/events': (id, as) => t.http.get(`/api/conversations/${id}/events`).set(as.auth),
    'GET /api/conversations/:id/members': (id, as) => t.http.get(`/api/conversations/${id}/members`).set(as.auth),
    'POST /api/conversations/:id/members': (id, as) =>
      t.http.post(`/api/conversations/${id}/members`).set(as.auth).send({ email: as.email, role: 'viewer' }),
    'DELETE /api/conversations/:id/members/:userId': (id, as) =>
      t.http.delete(`/api/conversations/${id}/members/${as.id}`).set(as.auth),
    'GET /api/chat/ui/:id/stream': (id, as) => t.http.get(`/api/chat/ui/${id}/stream`).set(as.auth),
    'GET /api/runs/:runId': (id, as) => t.http.get(`/api/runs/${id}`).set(as.auth),
    'GET /api/runs/:runId/events': (id, as) => t.http.get(`/api/runs/${id}/events`).set(as.auth),
    'POST /api/runs/:runId/cancel': (id, as) => t.http.post(`/api/runs/${id}/cancel`).set(as.auth),
    'GET /api/tasks/:taskId': (id, as) => t.http.get(`/api/tasks/${id}`).set(as.auth),
    'POST /api/tasks/:taskId/cancel': (id, as) => t.http.post(`/api/tasks/${id}/cancel`).set(as.auth),
  };
  const idFor = (key: string) =>
    key.includes('/documents/')
      ? aliceDoc.id
      : key.includes('/runs/')
        ? aliceRun
        : key.includes('/tasks/')
          ? aliceTask
          : aliceConversation;

  it('covers every route that takes an object id', () => {
    const parameterized = registeredRoutes(t.app)
      .filter((r) => r.path.includes(':'))
      .map((r) => `${r.method} ${r.path}`);
    expect(parameterized.sort()).toEqual(Object.keys(attacks).sort());
  });

  it.each(Object.keys(attacks))("%s with another user's id: 404, the same answer as for a random id", async (key) => {
    const theirs = await attacks[key](idFor(key), bob);
    const random = await attacks[key](randomUUID(), bob);
    // Resuming a chat answers "nothing to resume" (204) for a chat that is not yours, as for one that does not exist.
    expect(theirs.status).toBe(key === 'GET /api/chat/ui/:id/stream' ? 204 : 404);
    expect(substance(theirs)).toEqual(substance(random));
    expect(theirs.text).not.toContain(ALICE_SECRET);
    expect(theirs.text).not.toContain(alice.id);
    // Headers are no oracle either (apart from what is per request: id, date, etag, rate-limit count).
    const stable = (h: Record<string, string>) => {
      const { 'x-request-id': _id, date: _date, etag: _etag, 'x-ratelimit-remaining': _left, ...rest } = h;
      return rest;
    };
    expect(stable(theirs.headers)).toEqual(stable(random.headers));
  });

  it("posting into another user's conversation is 404 like a random id, and writes nothing there", async () => {
    const theirs = await t.http
      .post('/api/chat')
      .set(bob.auth)
      .send(ask('hi', { conversation_id: aliceConversation }));
    const random = await t.http
      .post('/api/chat')
      .set(bob.auth)
      .send(ask('hi', { conversation_id: randomUUID() }));
    expect(theirs.status).toBe(404);
    expect(substance(theirs)).toEqual(substance(random));
  });

  it("lists and search never show another user's conversations, documents or passages", async () => {
    const conversations = (await t.http.get('/api/conversations').set(bob.auth).expect(200)).body;
    const documents = (await t.http.get('/api/documents').set(bob.auth).expect(200)).body;
    const hits = (await search(t, bob, ALICE_SECRET).expect(200)).body;
    const tasks = (await t.http.get('/api/tasks').set(bob.auth).expect(200)).body;
    expect(tasks).toEqual([]);
    expect(conversations).toEqual([]);
    expect(documents).toEqual([]);
    expect(hits).toEqual([]);
  });

  it("another user's search_documents tool call never returns the victim's passages, whatever ids it passes", async () => {
    const forged = JSON.stringify({ query: ALICE_SECRET, user_id: alice.id, userId: alice.id, owner: alice.id });
    const res = await streamChat(t.url, bob.token, ask(`[[tool:search_documents:${forged}]]`, { agent: 'tester' }));
    const [result] = ofType(res.events, 'tool_result');
    expect(result.result).toEqual({ results: [], total: 0 });
    expect(res.raw).not.toContain(ALICE_SECRET.slice(0, 12) + ' owes');
    // ... and the stored tool result in Bob's history holds nothing of Alice's either.
    const history = (
      await t.http.get(`/api/chat/${res.events[0].json!.conversation_id}/history`).set(bob.auth).expect(200)
    ).body;
    expect(history[1].tool_calls[0].result).toEqual({ results: [], total: 0 });
  });

  it("a cancel by another user does not touch the victim's active run", async () => {
    let conversationId = '';
    let bobCancel: Response | undefined;
    const res = await streamChat(t.url, alice.token, ask('[[deltas:12:40]]'), {
      onEvent: (e) => {
        if (e.event !== 'run_started') return;
        conversationId = e.json!.conversation_id as string;
        void t.http
          .post(`/api/chat/${conversationId}/cancel`)
          .set(bob.auth)
          .then((r) => (bobCancel = r));
      },
    });
    expect(bobCancel?.status).toBe(404);
    expect(ofType(res.events, 'run_finished')[0]).toMatchObject({ status: 'completed' });
  });

  it("another user's Idempotency-Key value never replays the victim's run", async () => {
    const key = `shared-${randomUUID()}`;
    const first = await t.http
      .post('/api/chat')
      .set(alice.auth)
      .set('Idempotency-Key', key)
      .send(ask(`[[say:${ALICE_SECRET}]]`, { stream: false }))
      .expect(200);
    const other = await t.http
      .post('/api/chat')
      .set(bob.auth)
      .set('Idempotency-Key', key)
      .send(ask('[[say:bob]]', { stream: false }))
      .expect(200);
    expect(other.headers['idempotent-replayed']).toBeUndefined();
    expect(other.body.run_id).not.toBe(first.body.run_id);
    expect(other.text).not.toContain(ALICE_SECRET);
  });

  it("after all of the above, the victim's data is intact", async () => {
    await t.http.get(`/api/documents/${aliceDoc.id}`).set(alice.auth).expect(200);
    expect((await search(t, alice, ALICE_SECRET).expect(200)).body).toHaveLength(1);
    const history = (await t.http.get(`/api/chat/${aliceConversation}/history`).set(alice.auth).expect(200)).body;
    expect(history).toEqual(aliceHistory);
  });
});
