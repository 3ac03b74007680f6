import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import type { ScriptedAnthropic } from '../fixtures/scripted-anthropic/scripted-anthropic.server.js';
import { ChatRepository } from '../../src/chat/chat.repository.js';
import { RunsRepository } from '../../src/chat/runs/runs.repository.js';
import { PROGRESS_SAVE_MS } from '../../src/chat/runs/run-progress-writer.js';
import { startChatApp } from '../support/chat-app.js';
import { createUser, type TestUser } from '../support/factories.js';
import { streamChat } from '../support/sse.js';
import { provisionRestartableDatabase, type TestDatabase } from '../support/test-database.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

const ask = (content: string) => ({ messages: [{ role: 'user', content }] });

describe('Chat reliability: idempotent retries, concurrent-run limit, admin stats (e2e)', () => {
  let t: TestApp;
  let llm: ScriptedAnthropic;
  let close: () => Promise<void>;
  let alice: TestUser;

  beforeAll(async () => {
    ({ t, llm, close } = await startChatApp({
      MAX_CONCURRENT_RUNS_PER_USER: '2',
      ADMIN_EMAILS: 'Boss@Example.com',
      RATE_LIMIT_CHAT_PER_MINUTE: '1000',
    }));
    alice = await createUser(t);
  });
  afterAll(() => close());
  beforeEach(() => llm.reset());

  /** A disconnected client's run is cancelled asynchronously; wait until it has saved its state. */
  async function waitForStatus(u: TestUser, conversationId: string, status: string): Promise<void> {
    for (let i = 0; i < 50; i++) {
      const history = (await t.http.get(`/api/chat/${conversationId}/history`).set(u.auth)).body;
      if (history.at(-1)?.status === status) return;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`run in ${conversationId} never reached ${status}`);
  }

  it('a retried request with the same Idempotency-Key replays the first run instead of starting another', async () => {
    const key = `retry-${Date.now()}`;
    const first = await t.http
      .post('/api/chat')
      .set(alice.auth)
      .set('Idempotency-Key', key)
      .send({ ...ask('[[say:once|only]]'), stream: false })
      .expect(200);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    const retry = await t.http
      .post('/api/chat')
      .set(alice.auth)
      .set('Idempotency-Key', key)
      .send({ ...ask('[[say:once|only]]'), stream: false })
      .expect(200);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.body).toEqual(first.body);
    // Streamed retries replay too.
    const streamed = await streamChat(t.url, alice.token, ask('[[say:once|only]]'), {});
    expect(streamed.events[0].json!.run_id).not.toBe(first.body.run_id);
    expect(llm.requests).toHaveLength(2);
    const history = (await t.http.get(`/api/chat/${first.body.conversation_id}/history`).set(alice.auth).expect(200))
      .body;
    expect(history).toHaveLength(2);
    // Another user's identical key is unrelated.
    const bob = await createUser(t);
    const other = await t.http
      .post('/api/chat')
      .set(bob.auth)
      .set('Idempotency-Key', key)
      .send({ ...ask('hi'), stream: false })
      .expect(200);
    expect(other.body.run_id).not.toBe(first.body.run_id);
  });

  it('answers 409 while the first attempt with that key is still running, and 400 for a malformed key', async () => {
    const key = `busy-${Date.now()}`;
    const controller = new AbortController();
    let conflict: { status: number; code: string } | undefined;
    let conversationId = '';
    await streamChat(t.url, alice.token, ask('[[hang]]'), {
      signal: controller.signal,
      headers: { 'Idempotency-Key': key },
      onEvent: (e) => {
        if (e.event !== 'run_started') return;
        conversationId = e.json!.conversation_id as string;
        void t.http
          .post('/api/chat')
          .set(alice.auth)
          .set('Idempotency-Key', key)
          .send(ask('[[hang]]'))
          .then((r) => {
            conflict = { status: r.status, code: r.body.code };
            controller.abort();
          });
      },
    });
    expect(conflict).toEqual({ status: 409, code: 'IDEMPOTENCY_IN_PROGRESS' });
    await waitForStatus(alice, conversationId, 'cancelled');
    await t.http.post('/api/chat').set(alice.auth).set('Idempotency-Key', 'has spaces').send(ask('x')).expect(400);
  });

  it('limits concurrent runs per user (429 with Retry-After); a finished run frees its slot', async () => {
    const user = await createUser(t);
    const controllers = [new AbortController(), new AbortController()];
    // Each stream's own conversation, by stream: the runs may start in either order.
    const started: string[] = [];
    const streams = controllers.map((c, i) =>
      streamChat(t.url, user.token, ask('[[hang]]'), {
        signal: c.signal,
        onEvent: (e) => {
          if (e.event === 'run_started') started[i] = e.json!.conversation_id as string;
        },
      }),
    );
    const both = () => started.filter(Boolean).length === 2;
    for (let i = 0; i < 100 && !both(); i++) await new Promise((r) => setTimeout(r, 20));
    expect(both()).toBe(true);
    const third = await t.http
      .post('/api/chat')
      .set(user.auth)
      .send({ ...ask('hi'), stream: false })
      .expect(429);
    expect(third.headers['retry-after']).toBe('1');
    expect(third.body.code).toBe('TOO_MANY_ACTIVE_RUNS');
    // Other users are not affected.
    await t.http
      .post('/api/chat')
      .set(alice.auth)
      .send({ ...ask('hi'), stream: false })
      .expect(200);

    await t.http.post(`/api/chat/${started[0]}/cancel`).set(user.auth).expect(200);
    await t.http
      .post('/api/chat')
      .set(user.auth)
      .send({ ...ask('hi'), stream: false })
      .expect(200);
    controllers[1].abort();
    await Promise.allSettled(streams);
    await waitForStatus(user, started[1], 'cancelled');
  });

  it('saves streamed text while the run streams; a late progress save cannot overwrite a finished answer', async () => {
    const conversation = new Promise<string>((resolve, reject) => {
      streamChat(t.url, alice.token, ask('a long answer [[slow]]'), {
        onEvent: (e) => {
          if (e.event === 'run_started') resolve(e.json!.conversation_id as string);
        },
      }).catch(reject);
    });
    const conversationId = await conversation;
    // Two save intervals in, the prefix is stored while the message is still streaming.
    await new Promise((r) => setTimeout(r, PROGRESS_SAVE_MS * 2 + 200));
    const during = (await t.http.get(`/api/chat/${conversationId}/history`).set(alice.auth).expect(200)).body;
    expect(during[1]).toMatchObject({ role: 'assistant', status: 'streaming' });
    expect(during[1].content).toMatch(/^tick0 tick1 tick2 /);
    await t.http.post(`/api/chat/${conversationId}/cancel`).set(alice.auth).expect(200);
    await waitForStatus(alice, conversationId, 'cancelled');
    const finished = (await t.http.get(`/api/chat/${conversationId}/history`).set(alice.auth).expect(200)).body[1];
    expect(finished.content.length).toBeGreaterThan(during[1].content.length);

    // A progress batch that lands after the final save (slow database, reordering) must not win.
    const [{ id: messageId }] = await t.app
      .get(DataSource)
      .query(`SELECT id FROM messages WHERE conversation_id = $1 AND role = 'assistant'`, [conversationId]);
    await t.app.get(RunsRepository).saveStreamingTexts([{ messageId, text: 'tick0 ' }]);
    const after = (await t.http.get(`/api/chat/${conversationId}/history`).set(alice.auth).expect(200)).body[1];
    expect(after).toEqual(finished);
  });

  it('a run whose start cannot be stored answers 500 and aborts (or never sends) the model request it starts meanwhile', async () => {
    const bob = await createUser(t);
    const ds = t.app.get(DataSource);
    // Every new message row is refused, so the run-start statement fails after the model request went out.
    await ds.query(`ALTER TABLE messages ADD CONSTRAINT test_refuse_messages CHECK (false) NOT VALID`);
    try {
      const res = await t.http.post('/api/chat').set(bob.auth).send(ask('never stored [[hang]]')).expect(500);
      expect(res.body).toMatchObject({ code: 'INTERNAL_ERROR' });
    } finally {
      await ds.query(`ALTER TABLE messages DROP CONSTRAINT test_refuse_messages`);
    }
    // `[[hang]]` never ends on its own: a request still open here would be a leaked upstream stream. (Give a
    // request that was not aborted the time to arrive first.)
    await new Promise((r) => setTimeout(r, 500));
    for (let i = 0; i < 100 && llm.requests.some((r) => !r.aborted && !r.finished); i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(llm.requests.filter((r) => !r.aborted && !r.finished)).toEqual([]);
    // Nothing half-stored: no conversation, and bob can chat normally again.
    expect((await t.http.get('/api/conversations').set(bob.auth).expect(200)).body).toEqual([]);
    const ok = await streamChat(t.url, bob.token, ask('[[say:fine]]'));
    expect(ok.events.find((e) => e.event === 'run_finished')!.json).toMatchObject({ status: 'completed' });
  });

  it("a follow-up's run is not stored when a message was added after its history was read", async () => {
    const carol = await createUser(t);
    const repo = t.app.get(ChatRepository);
    const runs = t.app.get(RunsRepository);
    const budget = 1_000_000;
    const first = await t.http
      .post('/api/chat')
      .set(carol.auth)
      .send({ ...ask('[[say:one]]'), stream: false })
      .expect(200);
    const conversationId = first.body.conversation_id as string;
    const read = (await repo.findConversationHistory(conversationId, carol.id, budget))!;
    expect(read.messages.map((m) => [m.role, m.text, m.status])).toEqual([
      ['user', '[[say:one]]', 'completed'],
      ['assistant', 'one', 'completed'],
    ]);
    // Another run lands between that read and the commit below.
    await t.http
      .post('/api/chat')
      .set(carol.auth)
      .send({ conversation_id: conversationId, ...ask('[[say:two]]'), stream: false })
      .expect(200);
    const start = (historyThroughSeq: string) =>
      runs.openRun({
        userId: carol.id,
        conversationId,
        historyThroughSeq,
        runId: randomUUID(),
        assistantMessageId: randomUUID(),
        title: 't',
        agent: 'assistant',
        model: first.body.model ?? 'claude-sonnet-5-5',
        context: null,
        idempotencyKey: null,
        messages: [{ role: 'user', content: 'three' }],
        instanceId: randomUUID(),
        background: false,
        onDisconnect: 'cancel',
      });
    await expect(start(read.throughSeq)).resolves.toBe('changed');
    const history = (await t.http.get(`/api/chat/${conversationId}/history`).set(carol.auth).expect(200)).body;
    expect(history).toHaveLength(4); // nothing of the refused start was stored
    // Read through the newest message, the same start is stored.
    const fresh = (await repo.findConversationHistory(conversationId, carol.id, budget))!;
    await expect(start(fresh.throughSeq)).resolves.toBeUndefined();
    // Someone else's conversation reads as missing, whatever the seq.
    const dave = await createUser(t);
    expect(await repo.findConversationHistory(conversationId, dave.id, budget)).toBeNull();
  });

  it('GET /api/admin/stats is for admins only (403 for a normal user)', async () => {
    const boss = await createUser(t, { email: 'boss@example.com' });
    const me = (await t.http.get('/api/auth/me').set(boss.auth).expect(200)).body;
    expect(me.roles).toEqual(['user', 'admin']);
    const stats = (await t.http.get('/api/admin/stats').set(boss.auth).expect(200)).body;
    expect(stats).toEqual({
      users: expect.any(Number),
      conversations: expect.any(Number),
      runs: expect.any(Number),
      active_runs: expect.any(Number),
      tool_calls: expect.any(Number),
      documents: expect.any(Number),
    });
    expect(stats.users).toBeGreaterThanOrEqual(3);
    const denied = await t.http.get('/api/admin/stats').set(alice.auth).expect(403);
    expect(denied.body).toMatchObject({ status: 403, code: 'FORBIDDEN' });
  });
});

describe('Recovery of runs a dead process left active (e2e)', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await provisionRestartableDatabase();
  });
  afterAll(() => db.drop());

  it('marks runs and messages a dead process left running as interrupted, keeping the saved prefix', async () => {
    const first = await startTestApp({ db });
    const user = await createUser(first);
    const done = (
      await first.http
        .post('/api/chat')
        .set(user.auth)
        .send({ ...ask('hello'), stream: false })
        .expect(200)
    ).body;
    // Simulate a process that died mid-stream: the run and its message stay "running"/"streaming".
    const ds = first.app.get(DataSource);
    await ds.query(`UPDATE runs SET status = 'running', finished_at = NULL, heartbeat_at = now() WHERE id = $1`, [
      done.run_id,
    ]);
    await ds.query(
      `UPDATE messages SET status = 'streaming', content = '[{"type":"text","text":"half an ans"}]' WHERE run_id = $1 AND role = 'assistant'`,
      [done.run_id],
    );
    await first.close();

    // PGlite sweeps at boot (one process owns it); on PostgreSQL the run is swept once its heartbeat is stale.
    const second = await startTestApp({ db, env: { RUN_HEARTBEAT_MS: '100' } });
    try {
      const login = await second.http
        .post('/api/auth/login')
        .send({ email: user.email, password: user.password })
        .expect(200);
      const read = async () =>
        (
          await second.http
            .get(`/api/chat/${done.conversation_id}/history`)
            .set('Authorization', `Bearer ${login.body.access_token}`)
            .expect(200)
        ).body;
      let history = await read();
      for (let i = 0; i < 100 && history[1].status === 'streaming'; i++) {
        await new Promise((r) => setTimeout(r, 20));
        history = await read();
      }
      expect(history[1]).toMatchObject({ role: 'assistant', status: 'interrupted', content: 'half an ans' });
      const [run] = await second.app
        .get(DataSource)
        .query(`SELECT status, error FROM runs WHERE id = $1`, [done.run_id]);
      expect(run).toMatchObject({ status: 'interrupted', error: { code: 'INTERRUPTED' } });
    } finally {
      await second.close();
    }
  });
});
