import { startChatApp } from '../support/chat-app.js';
import { createUser, type TestUser } from '../support/factories.js';
import { ask, finishedOf, type SseEvent, streamChat, streamSse } from '../support/sse.js';
import type { TestApp } from '../support/test-app.js';

describe('Shared conversations: members, roles and watching live (e2e)', () => {
  let t: TestApp;
  let close: () => Promise<void>;
  let owner: TestUser;
  let viewer: TestUser;
  let participant: TestUser;
  let stranger: TestUser;
  let conversationId: string;
  let runId: string;

  beforeAll(async () => {
    ({ t, close } = await startChatApp({ RATE_LIMIT_CHAT_PER_MINUTE: '1000', SSE_PING_MS: '200' }));
    [owner, viewer, participant, stranger] = [
      await createUser(t),
      await createUser(t),
      await createUser(t),
      await createUser(t),
    ];
    const first = await streamChat(t.url, owner.token, ask('[[say:hello all]]', { agent: 'tester' }));
    conversationId = first.events[0].json!.conversation_id as string;
    runId = first.events[0].json!.run_id as string;
  });
  afterAll(() => close());

  const members = (as: TestUser) => t.http.get(`/api/conversations/${conversationId}/members`).set(as.auth);
  const share = (as: TestUser, email: string, role: string) =>
    t.http.post(`/api/conversations/${conversationId}/members`).set(as.auth).send({ email, role });

  it('the owner shares with a viewer and a participant; members list each other; strangers see nothing', async () => {
    const added = await share(owner, viewer.email, 'viewer').expect(201);
    expect(added.body).toEqual({ user_id: viewer.id, email: viewer.email, role: 'viewer' });
    await share(owner, participant.email, 'viewer').expect(201);
    // Sharing again changes the role.
    expect((await share(owner, participant.email, 'participant').expect(200)).body.role).toBe('participant');
    const listed = (await members(viewer).expect(200)).body;
    expect(listed).toEqual([
      { user_id: viewer.id, email: viewer.email, role: 'viewer' },
      { user_id: participant.id, email: participant.email, role: 'participant' },
    ]);
    expect((await members(stranger).expect(404)).body.code).toBe('NOT_FOUND');
    // Only the owner manages members: a member is 403, a stranger 404, an unknown account 404, the owner 400.
    expect((await share(participant, stranger.email, 'viewer').expect(403)).body.code).toBe('FORBIDDEN');
    await share(stranger, stranger.email, 'viewer').expect(404);
    await share(owner, 'nobody-here@example.com', 'viewer').expect(404);
    await share(owner, owner.email, 'viewer').expect(400);
    await share(owner, viewer.email, 'admin').expect(400);
    const mine = (await t.http.get('/api/conversations').set(viewer.auth).expect(200)).body;
    expect(mine).toEqual([expect.objectContaining({ id: conversationId, role: 'viewer' })]);
    expect((await t.http.get('/api/conversations').set(owner.auth).expect(200)).body[0]).toMatchObject({
      role: 'owner',
    });
  });

  it('a viewer reads the history and the runs, but cannot post, cancel or delete (403)', async () => {
    const history = (await t.http.get(`/api/chat/${conversationId}/history`).set(viewer.auth).expect(200)).body;
    expect(history.map((m: { content: string }) => m.content)).toEqual(['[[say:hello all]]', 'hello all']);
    await t.http.get(`/api/runs/${runId}`).set(viewer.auth).expect(200);
    const posted = await t.http
      .post('/api/chat')
      .set(viewer.auth)
      .send(ask('let me in', { conversation_id: conversationId }))
      .expect(403);
    expect(posted.body.code).toBe('FORBIDDEN');
    await t.http.post(`/api/chat/${conversationId}/cancel`).set(viewer.auth).expect(403);
    await t.http.post(`/api/runs/${runId}/cancel`).set(viewer.auth).expect(403);
    await t.http.delete(`/api/conversations/${conversationId}`).set(viewer.auth).expect(403);
    expect((await t.http.get(`/api/chat/${conversationId}/history`).set(viewer.auth)).body).toHaveLength(2);
  });

  it("a participant posts turns, and the run's tools act for the participant, never the owner", async () => {
    const res = await streamChat(
      t.url,
      participant.token,
      ask('[[tool:whoami:{}]]', { agent: 'tester', conversation_id: conversationId }),
    );
    expect(finishedOf(res.events)).toMatchObject({ status: 'completed' });
    const result = res.events.find((e) => e.event === 'tool_result')!.json!.result as { user_id: string };
    expect(result.user_id).toBe(participant.id);
  });

  it('members watch every run of the conversation live over SSE, resumable with Last-Event-ID', async () => {
    const seen: SseEvent[] = [];
    const stop = new AbortController();
    const watching = streamSse(
      `${t.url}/api/conversations/${conversationId}/events`,
      { headers: { authorization: viewer.auth.Authorization } },
      {
        signal: stop.signal,
        onEvent: (e) => {
          seen.push(e);
          if (seen.filter((s) => s.event === 'run_finished').length === 2) stop.abort();
        },
      },
    );
    await new Promise((r) => setTimeout(r, 300));
    const byOwner = await streamChat(t.url, owner.token, ask('[[say:one]]', { conversation_id: conversationId }));
    const byParticipant = await streamChat(
      t.url,
      participant.token,
      ask('[[say:two]]', { conversation_id: conversationId }),
    );
    await watching;
    const runs = [byOwner, byParticipant].map((r) => r.events[0].json!.run_id as string);
    expect([...new Set(seen.map((e) => e.json!.run_id))]).toEqual(runs);
    for (const [i, r] of [byOwner, byParticipant].entries()) {
      const mine = seen.filter((e) => e.json!.run_id === runs[i]);
      expect(mine.map((e) => e.id)).toEqual(r.events.map((e) => `${runs[i]}:${e.id}`));
      expect(mine.map((e) => e.event)).toEqual(r.events.map((e) => e.event));
    }
    // Resuming after the first run's second event replays the rest of it and every run after it.
    const again: SseEvent[] = [];
    const stopAgain = new AbortController();
    await streamSse(
      `${t.url}/api/conversations/${conversationId}/events`,
      { headers: { authorization: viewer.auth.Authorization, 'Last-Event-ID': `${runs[0]}:2` } },
      {
        signal: stopAgain.signal,
        onEvent: (e) => {
          again.push(e);
          if (again.filter((s) => s.event === 'run_finished').length === 2) stopAgain.abort();
        },
      },
    );
    expect(again[0].id).toBe(`${runs[0]}:3`);
    expect(again.filter((e) => e.event === 'run_started').map((e) => e.json!.run_id)).toEqual([runs[1]]);
  });

  it('a removed member is a stranger again: 404 everywhere, and what they were watching ends', async () => {
    const ended = streamSse(`${t.url}/api/conversations/${conversationId}/events`, {
      headers: { authorization: viewer.auth.Authorization },
    });
    await new Promise((r) => setTimeout(r, 300));
    await t.http.delete(`/api/conversations/${conversationId}/members/${viewer.id}`).set(owner.auth).expect(204);
    await ended;
    await t.http.get(`/api/chat/${conversationId}/history`).set(viewer.auth).expect(404);
    await t.http.get(`/api/runs/${runId}`).set(viewer.auth).expect(404);
    await t.http.get(`/api/conversations/${conversationId}/events`).set(viewer.auth).expect(404);
    await members(viewer).expect(404);
    expect((await t.http.get('/api/conversations').set(viewer.auth).expect(200)).body).toEqual([]);
    // A member may leave on their own; only the owner removes others.
    await t.http.delete(`/api/conversations/${conversationId}/members/${owner.id}`).set(participant.auth).expect(403);
    await t.http
      .delete(`/api/conversations/${conversationId}/members/${participant.id}`)
      .set(participant.auth)
      .expect(204);
    await t.http.get(`/api/chat/${conversationId}/history`).set(participant.auth).expect(404);
  });
});
