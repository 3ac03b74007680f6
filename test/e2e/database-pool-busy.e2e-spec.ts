import { Client } from 'pg';
import type { ScriptedAnthropic } from '../fixtures/scripted-anthropic/scripted-anthropic.server.js';
import { startChatApp } from '../support/chat-app.js';
import { createUser, type TestUser } from '../support/factories.js';
import { captureLogs } from '../support/log-capture.js';
import { streamChat } from '../support/sse.js';
import { TEST_DATABASE_URL } from '../support/test-database.js';
import type { TestApp } from '../support/test-app.js';

// A connection pool exists only on PostgreSQL (embedded PGlite has one in-process connection and no wait), so this
// suite runs in the PostgreSQL run of the tests.
const describeOnPostgres = TEST_DATABASE_URL ? describe : describe.skip;

const POOL_TIMEOUT_MS = 300;

/**
 * Overload, not outage: with every pool connection held by slow statements, a request that waits the whole
 * DATABASE_POOL_TIMEOUT_MS answers 503 "busy" (not "the database is unavailable"), and streams whose progress or
 * tool calls could not be saved meanwhile go on and save everything once connections free up.
 */
describeOnPostgres('Fault: every database connection in use (PostgreSQL pool of one)', () => {
  let t: TestApp;
  let llm: ScriptedAnthropic;
  let close: () => Promise<void>;
  let alice: TestUser;
  let logs: ReturnType<typeof captureLogs>;

  beforeAll(async () => {
    ({ t, llm, close } = await startChatApp({
      DATABASE_POOL_SIZE: '1',
      DATABASE_POOL_TIMEOUT_MS: String(POOL_TIMEOUT_MS),
      LOG_LEVEL: 'warn',
    }));
    alice = await createUser(t);
    await t.http.post('/api/documents').set(alice.auth).send({ title: 'held', content: 'some text' }).expect(201);
  });
  beforeEach(() => {
    logs = captureLogs();
  });
  afterEach(() => logs.restore());
  afterAll(() => close());

  /** Holds an exclusive lock on `documents` from a connection of the test's own until `release()` is called. */
  async function lockDocuments(): Promise<{ release(): Promise<void>; waiting(): Promise<number> }> {
    const db = new Client({ connectionString: t.db.env.DATABASE_URL });
    await db.connect();
    await db.query('BEGIN');
    await db.query('LOCK TABLE documents IN ACCESS EXCLUSIVE MODE');
    return {
      async release() {
        await db.query('COMMIT');
        await db.end();
      },
      // Statements of the app's database waiting for a lock: the app's only connection is then stuck.
      async waiting() {
        const { rows } = await db.query(
          `SELECT count(*)::int AS n FROM pg_stat_activity
            WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()`,
        );
        return rows[0].n as number;
      },
    };
  }

  /**
   * Sends `GET /api/documents`, which blocks on the lock while holding the pool's only connection; resolves once it
   * is blocked, with the request's answer (wrapped, so awaiting this does not wait for the answer).
   */
  async function holdTheOnlyConnection(lock: { waiting(): Promise<number> }): Promise<{ answer: Promise<number> }> {
    const answer = t.http
      .get('/api/documents')
      .set(alice.auth)
      .then((r) => r.status);
    for (let i = 0; i < 200 && (await lock.waiting()) === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(await lock.waiting()).toBe(1);
    return { answer };
  }

  /** Holds the pool's only connection for `ms`, then frees it; resolves with the holding request's status. */
  async function holdThePoolFor(ms: number, duringHold: () => void = () => undefined): Promise<number> {
    const lock = await lockDocuments();
    let held: { answer: Promise<number> } | undefined;
    try {
      held = await holdTheOnlyConnection(lock);
      await new Promise((r) => setTimeout(r, ms));
      duringHold();
    } finally {
      await lock.release();
    }
    return held.answer;
  }

  /** The stream ended `completed` with no error event; resolves with the run's saved answer. */
  async function completedAnswer(stream: Awaited<ReturnType<typeof streamChat>>) {
    expect(stream.events.filter((e) => e.event === 'error')).toEqual([]);
    expect(stream.events.at(-1)!.json).toMatchObject({ type: 'run_finished', status: 'completed' });
    const conversationId = stream.events[0].json!.conversation_id as string;
    const history = (await t.http.get(`/api/chat/${conversationId}/history`).set(alice.auth).expect(200)).body;
    return history.at(-1);
  }

  it('a request that finds no free connection in time gets 503 "busy" with Retry-After; the held one completes', async () => {
    const lock = await lockDocuments();
    let held: { answer: Promise<number> } | undefined;
    try {
      held = await holdTheOnlyConnection(lock);
      const started = Date.now();
      const busy = await t.http.get('/api/conversations').set(alice.auth);
      expect(Date.now() - started).toBeGreaterThanOrEqual(POOL_TIMEOUT_MS - 20);
      expect(busy.status).toBe(503);
      expect(busy.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(busy.headers['retry-after']).toBe('1');
      expect(busy.body).toMatchObject({ status: 503, code: 'SERVICE_UNAVAILABLE' });
      expect(busy.body.detail).toMatch(/busy/);
      expect(busy.body.detail).not.toMatch(/unavailable/);
    } finally {
      await lock.release();
    }
    expect(await held!.answer).toBe(200);
    await t.http.get('/api/conversations').set(alice.auth).expect(200);
    // Logged as a warning (an overload, with the request id), not as an unhandled error with a stack.
    const lines = logs.text();
    expect(lines).toMatch(/"level":"?warn.*busy/);
    expect(lines).not.toMatch(/unhandled error/);
  });

  it('a stream whose progress cannot be saved while the pool is busy goes on, and its whole answer is saved', async () => {
    let thirdDelta!: () => void;
    const reachedThirdDelta = new Promise<void>((resolve) => (thirdDelta = resolve));
    let deltas = 0;
    // 40 deltas 50 ms apart (2 s): the only connection is held from the 3rd delta for 1.2 s, over two progress saves.
    const stream = streamChat(
      t.url,
      alice.token,
      { messages: [{ role: 'user', content: 'keep going [[deltas:40:50]]' }] },
      { onEvent: (e) => e.event === 'text_delta' && ++deltas === 3 && thirdDelta() },
    );
    await reachedThirdDelta;
    expect(await holdThePoolFor(1200, () => expect(deltas).toBeLessThan(40))).toBe(200);
    const answer = await completedAnswer(await stream);
    // The busy path was taken (without it the stream would have ended with a SERVICE_UNAVAILABLE error event).
    expect(logs.text()).toMatch(/run progress not saved: the database pool is busy/);
    expect(answer).toMatchObject({
      role: 'assistant',
      status: 'completed',
      content: Array.from({ length: 40 }, (_, i) => `chunk${i} `).join(''),
    });
    expect(llm.requests).toHaveLength(1);
  });

  it('a tool call whose record cannot be saved while the pool is busy is saved once it frees up; the run completes', async () => {
    let started!: () => void;
    const runStarted = new Promise<void>((resolve) => (started = resolve));
    const stream = streamChat(
      t.url,
      alice.token,
      { agent: 'tester', messages: [{ role: 'user', content: '[[tool:slow:{"ms":250}]]' }] },
      { onEvent: (e) => e.event === 'run_started' && started() },
    );
    await runStarted;
    // Held while the tool takes its 250 ms, so the tool call's record finds no connection.
    expect(await holdThePoolFor(1200)).toBe(200);
    const answer = await completedAnswer(await stream);
    expect(logs.text()).toMatch(/run record not saved: the database pool is busy/);
    expect(answer).toMatchObject({ role: 'assistant', status: 'completed' });
    expect(answer.tool_calls).toEqual([
      expect.objectContaining({ name: 'slow', input: { ms: 250 }, result: { slept: 250 } }),
    ]);
  });
});
