import { randomUUID } from 'node:crypto';
import type { ScriptedAnthropic } from '../fixtures/scripted-anthropic/scripted-anthropic.server.js';
import { startChatApp } from '../support/chat-app.js';
import { createUser, type TestUser } from '../support/factories.js';
import { testRedisPrefix } from '../support/redis.js';
import { provisionRestartableDatabase } from '../support/test-database.js';
import type { TestApp } from '../support/test-app.js';
import { until } from '../support/wait-for.js';

interface Task {
  id: string;
  type: string;
  status: 'queued' | 'active' | 'completed' | 'failed' | 'cancelled';
  progress: number;
  result: Record<string, unknown> | null;
  error: { code: string; message: string } | null;
  attempts: number;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
}

const FINISHED = new Set(['completed', 'failed', 'cancelled']);
const ask = (content: string) => [{ role: 'user', content }];

/** `POST /api/tasks` … `GET /api/tasks/:id` on one process: the in-process queue on PGlite, BullMQ with Redis. */
describe('Tasks (e2e)', () => {
  let t: TestApp;
  let llm: ScriptedAnthropic;
  let close: () => Promise<void>;
  let alice: TestUser;
  let bob: TestUser;

  const submit = (as: TestUser, body: Record<string, unknown>) => t.http.post('/api/tasks').set(as.auth).send(body);
  const read = async (as: TestUser, id: string) =>
    (await t.http.get(`/api/tasks/${id}`).set(as.auth).expect(200)).body as Task;
  const finished = (as: TestUser, id: string, timeoutMs = 15_000) =>
    until(
      async () => {
        const task = await read(as, id);
        return FINISHED.has(task.status) ? task : undefined;
      },
      timeoutMs,
      `task ${id} to finish`,
    );
  const started = (as: TestUser, id: string) =>
    until(async () => ((await read(as, id)).status === 'active' ? true : undefined), 10_000, 'task to start');

  beforeAll(async () => {
    ({ t, llm, close } = await startChatApp({
      RATE_LIMIT_CHAT_PER_MINUTE: '1000',
      TASK_CONCURRENCY: '2',
      TASK_BACKOFF_MS: '50',
      TASK_MAX_ATTEMPTS: '3',
      MAX_CONCURRENT_RUNS_PER_USER: '2',
    }));
    alice = await createUser(t);
    bob = await createUser(t);
  });
  afterAll(() => close());
  beforeEach(() => llm.reset());

  it('document.ingest with content: 202 queued with Location, then completed with the document as its result', async () => {
    const res = await submit(alice, {
      type: 'document.ingest',
      input: { title: 'Tide tables', content: '# Tides\n\nHigh water at Brest is at 06:12 on Mondays.' },
    }).expect(202);
    expect(Object.keys(res.body).sort()).toEqual(['created_at', 'id', 'status', 'type']);
    expect(res.body).toMatchObject({ type: 'document.ingest', status: 'queued' });
    expect(res.headers.location).toBe(`/api/tasks/${res.body.id}`);
    const task = await finished(alice, res.body.id);
    expect(Object.keys(task).sort()).toEqual(
      [
        'attempts',
        'created_at',
        'error',
        'finished_at',
        'id',
        'progress',
        'result',
        'started_at',
        'status',
        'type',
      ].sort(),
    );
    expect(task).toMatchObject({ status: 'completed', progress: 1, error: null, attempts: 1 });
    expect(task.result).toMatchObject({ title: 'Tide tables', status: 'ready', chunk_count: 1 });
    expect(Date.parse(task.started_at!)).toBeGreaterThanOrEqual(Date.parse(task.created_at));
    expect(Date.parse(task.finished_at!)).toBeGreaterThanOrEqual(Date.parse(task.started_at!));
    const doc = await t.http
      .get(`/api/documents/${task.result!.id as string}`)
      .set(alice.auth)
      .expect(200);
    expect(doc.body).toEqual(task.result);
  });

  it('agent.run: a background run of the chat pipeline; the result is its answer; the turn is stored once', async () => {
    const res = await submit(alice, { type: 'agent.run', input: { messages: ask('[[say:Hello |from a task]]') } });
    expect(res.status).toBe(202);
    const task = await finished(alice, res.body.id);
    expect(task).toMatchObject({ status: 'completed', progress: 1, attempts: 1, error: null });
    const result = task.result as { conversation_id: string; run_id: string; message: unknown };
    expect(result.message).toEqual({ role: 'assistant', content: 'Hello from a task' });
    const run = (await t.http.get(`/api/runs/${result.run_id}`).set(alice.auth).expect(200)).body;
    expect(run).toMatchObject({ conversation_id: result.conversation_id, status: 'completed' });
    const history = (await t.http.get(`/api/chat/${result.conversation_id}/history`).set(alice.auth).expect(200)).body;
    expect(history.map((m: { role: string; content: string }) => [m.role, m.content])).toEqual([
      ['user', '[[say:Hello |from a task]]'],
      ['assistant', 'Hello from a task'],
    ]);
    // A follow-up in the same conversation, as a task.
    const next = await submit(alice, {
      type: 'agent.run',
      input: { messages: ask('[[say:again]]'), conversation_id: result.conversation_id, agent: 'assistant' },
    }).expect(202);
    expect((await finished(alice, next.body.id)).result).toMatchObject({
      conversation_id: result.conversation_id,
      message: { content: 'again' },
    });
  });

  it('GET /api/tasks: the caller’s tasks, newest first, paginated; another user sees none of them', async () => {
    const user = await createUser(t);
    const ids: string[] = [];
    for (const n of [1, 2, 3]) {
      const res = await submit(user, { type: 'document.ingest', input: { content: `List entry number ${n}` } });
      ids.push(res.body.id as string);
    }
    const all = (await t.http.get('/api/tasks').set(user.auth).expect(200)).body as Task[];
    expect(all.map((x) => x.id)).toEqual([...ids].reverse());
    expect(all[0]).toHaveProperty('progress');
    const page = (await t.http.get('/api/tasks?limit=1&offset=1').set(user.auth).expect(200)).body as Task[];
    expect(page.map((x) => x.id)).toEqual([ids[1]]);
    await t.http.get('/api/tasks?limit=0').set(user.auth).expect(400);
    const theirs = (await t.http.get('/api/tasks').set(bob.auth).expect(200)).body as Task[];
    expect(theirs.filter((x) => ids.includes(x.id))).toEqual([]);
  });

  it('refuses invalid submissions with VALIDATION_FAILED naming the input field', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ type: 'video.render', input: {} }, 'type'],
      [{ type: 'agent.run' }, 'input'],
      [{ type: 'agent.run', input: { messages: [] } }, 'input.messages'],
      [{ type: 'agent.run', input: { messages: [{ role: 'user', content: '' }] } }, 'input.messages.0.content'],
      [{ type: 'agent.run', input: { messages: [{ role: 'assistant', content: 'x' }] } }, 'input.messages.0.role'],
      [{ type: 'agent.run', input: { messages: ask('x'), agent: 'no-such-agent' } }, 'input.agent'],
      [{ type: 'agent.run', input: { messages: ask('x'), extra: 1 } }, 'input.extra'],
      [{ type: 'document.ingest', input: {} }, 'input'],
      [{ type: 'document.ingest', input: { content: 'x', upload_id: randomUUID() } }, 'input'],
      [{ type: 'document.ingest', input: { content: 'x' }, idempotency_key: 'has space' }, 'idempotency_key'],
    ];
    for (const [body, field] of cases) {
      const res = await submit(alice, body);
      expect({ body, status: res.status, code: res.body.code }).toEqual({
        body,
        status: 400,
        code: 'VALIDATION_FAILED',
      });
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    }
  });

  it('a conversation_id or upload_id that is not yours is 404, as a random one', async () => {
    const mine = await submit(alice, { type: 'agent.run', input: { messages: ask('[[say:mine]]') } });
    const conversation = ((await finished(alice, mine.body.id)).result as { conversation_id: string }).conversation_id;
    for (const id of [conversation, randomUUID()]) {
      const res = await submit(bob, { type: 'agent.run', input: { messages: ask('x'), conversation_id: id } });
      expect(res.status).toBe(404);
      expect(res.body.code).toBe('NOT_FOUND');
    }
    const upload = await t.http.post('/api/uploads').set(alice.auth).attach('file', Buffer.from('secret'), 'a.txt');
    for (const id of [upload.body.id as string, randomUUID()]) {
      const res = await submit(bob, { type: 'document.ingest', input: { upload_id: id } });
      expect(res.status).toBe(404);
      expect(res.body.code).toBe('NOT_FOUND');
    }
  });

  it('a second submission with the same idempotency key returns the first task, per user', async () => {
    const key = `key-${randomUUID()}`;
    const body = { type: 'document.ingest', input: { content: 'Idempotent ingestion text' }, idempotency_key: key };
    const first = await submit(alice, body).expect(202);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    const again = await submit(alice, body).expect(202);
    expect(again.body.id).toBe(first.body.id);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.headers.location).toBe(`/api/tasks/${first.body.id}`);
    const other = await submit(bob, body).expect(202);
    expect(other.body.id).not.toBe(first.body.id);
    await finished(alice, first.body.id);
    const list = (await t.http.get('/api/tasks?limit=100').set(alice.auth).expect(200)).body as Task[];
    expect(list.filter((x) => x.id === first.body.id)).toHaveLength(1);
  });

  it("another user's task is 404 on read and cancel, the same answer as a random id", async () => {
    const res = await submit(alice, { type: 'document.ingest', input: { content: 'Private notes of Alice' } });
    for (const id of [res.body.id as string, randomUUID()]) {
      const get = await t.http.get(`/api/tasks/${id}`).set(bob.auth).expect(404);
      expect(get.body.code).toBe('NOT_FOUND');
      await t.http.post(`/api/tasks/${id}/cancel`).set(bob.auth).expect(404);
    }
    await t.http.get('/api/tasks/not-a-uuid').set(alice.auth).expect(400);
    expect((await finished(alice, res.body.id)).status).toBe('completed');
  });

  it('cancelling a running agent.run stops its run (model request aborted, prefix kept); a finished task is not cancelled', async () => {
    const res = await submit(alice, { type: 'agent.run', input: { messages: ask('[[slow]]') } }).expect(202);
    await started(alice, res.body.id);
    await until(async () => (llm.requests.length ? true : undefined), 5_000, 'the model request');
    const cancel = await t.http.post(`/api/tasks/${res.body.id}/cancel`).set(alice.auth).expect(200);
    expect(cancel.body).toEqual({ cancelled: true });
    await llm.waitForAbort(2_000);
    const task = await finished(alice, res.body.id);
    expect(task).toMatchObject({ status: 'cancelled', result: null, error: null, attempts: 1 });
    expect(task.finished_at).not.toBeNull();
    const runs = await t.http.get('/api/conversations').set(alice.auth).expect(200);
    expect(runs.body.length).toBeGreaterThan(0);
    const again = await t.http.post(`/api/tasks/${res.body.id}/cancel`).set(alice.auth).expect(200);
    expect(again.body).toEqual({ cancelled: false });
  });

  it('a queued task that is cancelled never starts', async () => {
    const user = await createUser(t);
    // TASK_CONCURRENCY=2: two slow runs hold every worker slot, so the third task waits in the queue.
    const busy = [
      await submit(user, { type: 'agent.run', input: { messages: ask('[[deltas:20:100]]') } }),
      await submit(user, { type: 'agent.run', input: { messages: ask('[[deltas:20:100]]') } }),
    ];
    await Promise.all(busy.map((b) => started(user, b.body.id)));
    const queued = await submit(user, { type: 'document.ingest', input: { content: 'Never to be stored' } });
    expect((await read(user, queued.body.id)).status).toBe('queued');
    expect((await t.http.post(`/api/tasks/${queued.body.id}/cancel`).set(user.auth).expect(200)).body).toEqual({
      cancelled: true,
    });
    await Promise.all(busy.map((b) => finished(user, b.body.id)));
    await new Promise((r) => setTimeout(r, 300));
    const task = await read(user, queued.body.id);
    expect(task).toMatchObject({ status: 'cancelled', attempts: 0, started_at: null, progress: 0 });
    expect((await t.http.get('/api/documents').set(user.auth).expect(200)).body).toEqual([]);
  });

  it('a retryable failure is retried with backoff (attempts counted); a final failure keeps its error', async () => {
    const user = await createUser(t);
    // MAX_CONCURRENT_RUNS_PER_USER=2: two background chats hold the user's slots, so the task's run is refused.
    const hold = async () =>
      (
        await t.http
          .post('/api/chat')
          .set(user.auth)
          .send({ messages: ask('[[slow]]'), background: true })
          .expect(202)
      ).body as { run_id: string };
    const held = [await hold(), await hold()];
    const res = await submit(user, { type: 'agent.run', input: { messages: ask('[[say:finally]]') } });
    await until(async () => ((await read(user, res.body.id)).attempts >= 1 ? true : undefined), 5_000, 'attempt 1');
    for (const run of held) await t.http.post(`/api/runs/${run.run_id}/cancel`).set(user.auth).expect(200);
    const task = await finished(user, res.body.id);
    expect(task.status).toBe('completed');
    expect(task.attempts).toBeGreaterThanOrEqual(2);
    expect(task.result).toMatchObject({ message: { content: 'finally' } });

    // Held all along: every attempt is refused, and the task fails with the last refusal.
    const again = [await hold(), await hold()];
    const doomed = await submit(user, { type: 'agent.run', input: { messages: ask('[[say:never]]') } });
    const failed = await finished(user, doomed.body.id);
    expect(failed).toMatchObject({ status: 'failed', attempts: 3, result: null });
    expect(failed.error).toMatchObject({ code: 'TOO_MANY_ACTIVE_RUNS' });
    for (const run of again) await t.http.post(`/api/runs/${run.run_id}/cancel`).set(user.auth).expect(200);
  });

  it('a failure a retry cannot fix fails at once: one attempt, the error kept', async () => {
    const res = await submit(alice, { type: 'document.ingest', input: { content: '   \n\t  ' } }).expect(202);
    const task = await finished(alice, res.body.id);
    expect(task).toMatchObject({ status: 'failed', attempts: 1, result: null, progress: 0 });
    expect(task.error).toMatchObject({ code: 'UNPROCESSABLE' });
    expect(task.error!.message).toMatch(/no text/);
  });

  it('POST /api/uploads keeps a file; a document.ingest task with its upload_id parses and indexes it, with progress', async () => {
    await t.http.post('/api/uploads').set(alice.auth).expect(400);
    const text = `# Lighthouse log\n\n${'The lamp at Ar-Men was lit at dusk. '.repeat(2000)}`;
    const upload = await t.http
      .post('/api/uploads')
      .set(alice.auth)
      .attach('file', Buffer.from(text), { filename: 'lighthouse.md', contentType: 'text/markdown' })
      .expect(201);
    expect(upload.body).toMatchObject({
      filename: 'lighthouse.md',
      mime_type: 'text/markdown',
      size_bytes: Buffer.byteLength(text),
    });
    expect(Date.parse(upload.body.expires_at)).toBeGreaterThan(Date.now() + 23 * 3600_000);
    const res = await submit(alice, { type: 'document.ingest', input: { upload_id: upload.body.id } }).expect(202);
    const task = await finished(alice, res.body.id);
    expect(task).toMatchObject({ status: 'completed', progress: 1, attempts: 1 });
    expect(task.result).toMatchObject({ title: 'lighthouse.md', size_bytes: Buffer.byteLength(text) });
    expect((task.result as { chunk_count: number }).chunk_count).toBeGreaterThan(10);
    const hits = await t.http.get('/api/documents/search?q=Ar-Men lamp').set(alice.auth).expect(200);
    expect(hits.body[0]).toMatchObject({ document_id: (task.result as { id: string }).id });
  });
});

describe('Tasks: agent.run counts against the chat limit (e2e)', () => {
  it('the chat rate limit counts agent.run submissions with chat requests: 429 RATE_LIMITED beyond it', async () => {
    const { t, close } = await startChatApp({ RATE_LIMIT_CHAT_PER_MINUTE: '2' });
    try {
      const user = await createUser(t);
      await t.http
        .post('/api/chat')
        .set(user.auth)
        .send({ messages: ask('[[say:hi]]'), stream: false })
        .expect(200);
      await t.http
        .post('/api/tasks')
        .set(user.auth)
        .send({ type: 'agent.run', input: { messages: ask('[[say:one]]') } })
        .expect(202);
      const refused = await t.http
        .post('/api/tasks')
        .set(user.auth)
        .send({ type: 'agent.run', input: { messages: ask('[[say:two]]') } });
      expect(refused.status).toBe(429);
      expect(refused.body.code).toBe('RATE_LIMITED');
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
      // Ingestion is not a run start.
      await t.http
        .post('/api/tasks')
        .set(user.auth)
        .send({ type: 'document.ingest', input: { content: 'Not a run' } })
        .expect(202);
    } finally {
      await close();
    }
  });
});

describe('Tasks: an agent.run cut short by its process is answered again, its turn stored once (e2e)', () => {
  it('a task whose worker stopped mid-run is retried after the restart; the retry answers the same turn', async () => {
    const db = await provisionRestartableDatabase();
    // One Redis prefix for both apps (with Redis), so the second sees the first one's jobs.
    const env = { TASK_BACKOFF_MS: '50', REDIS_PREFIX: testRedisPrefix() };
    const first = await startChatAppOn(db, env);
    try {
      const user = await createUser(first.t);
      const res = await first.t.http
        .post('/api/tasks')
        .set(user.auth)
        .send({ type: 'agent.run', input: { messages: ask('[[deltas:30:60]]') } })
        .expect(202);
      await until(
        async () => {
          const task = (await first.t.http.get(`/api/tasks/${res.body.id}`).set(user.auth)).body as Task;
          return task.status === 'active' && first.llm.requests.length ? true : undefined;
        },
        10_000,
        'the run to start',
      );
      await new Promise((r) => setTimeout(r, 300));
      await first.close();

      const second = await startChatAppOn(db, env);
      try {
        const login = await second.t.http.post('/api/auth/login').send({ email: user.email, password: user.password });
        const auth = { Authorization: `Bearer ${login.body.access_token as string}` };
        const task = await until(
          async () => {
            const body = (await second.t.http.get(`/api/tasks/${res.body.id}`).set(auth)).body as Task;
            return FINISHED.has(body.status) ? body : undefined;
          },
          20_000,
          'the retried task to finish',
        );
        expect(task).toMatchObject({ status: 'completed', attempts: 2 });
        const result = task.result as { conversation_id: string; run_id: string; message: { content: string } };
        const history = (await second.t.http.get(`/api/chat/${result.conversation_id}/history`).set(auth).expect(200))
          .body as Array<{ role: string; status: string; content: string }>;
        expect(history.filter((m) => m.role === 'user')).toHaveLength(1);
        expect(history.map((m) => [m.role, m.status])).toEqual([
          ['user', 'completed'],
          ['assistant', 'cancelled'],
          ['assistant', 'completed'],
        ]);
        expect(result.message.content).toBe(Array.from({ length: 30 }, (_, i) => `chunk${i} `).join(''));
        // The retry's model request: the turn once, the first attempt's partial answer left out.
        const sent = (second.llm.requests[0].body as { messages: Array<{ role: string }> }).messages;
        expect(sent.map((m) => m.role)).toEqual(['user']);
      } finally {
        await second.close();
      }
    } finally {
      await db.drop();
    }
  }, 60_000);
});

/** The chat app on a database that outlives it (startChatApp's own, unused, is dropped with it). */
async function startChatAppOn(
  db: Awaited<ReturnType<typeof provisionRestartableDatabase>>,
  env: Record<string, string>,
): Promise<Awaited<ReturnType<typeof startChatApp>>> {
  return startChatApp({ ...env, ...db.env });
}
