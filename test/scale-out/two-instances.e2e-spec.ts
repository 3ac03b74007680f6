import { Client } from 'pg';
import { MIGRATIONS } from '../../src/database/migrations/index.js';
import {
  startScriptedAnthropic,
  type ScriptedAnthropic,
} from '../fixtures/scripted-anthropic/scripted-anthropic.server.js';
import { describeWithRedis, TEST_REDIS_URL, testRedisPrefix } from '../support/redis.js';
import {
  assertServerBuilt,
  getJson,
  killAllServers,
  loginOver,
  spawnServer,
  type ServerProcess,
} from '../support/server-process.js';
import { ask, finishedOf, followRun, type SseEvent, streamChat, textOf } from '../support/sse.js';
import { provisionDatabase, TEST_DATABASE_URL, type TestDatabase } from '../support/test-database.js';
import { until } from '../support/wait-for.js';

beforeAll(assertServerBuilt);
afterAll(killAllServers);

const describeScaledOut = TEST_DATABASE_URL ? describeWithRedis : describe.skip;

/**
 * Two instances of the built server on one PostgreSQL database and one Redis, behaving as one service (issue 24):
 * a run started on A is resumed, watched, cancelled, interrupted and deleted from B; limits are counted once; an
 * instance booting leaves the others' runs alone; an instance killed with SIGKILL is swept by another.
 */
describeScaledOut('Scale-out: two instances on one PostgreSQL and one Redis', () => {
  let db: TestDatabase;
  let llm: ScriptedAnthropic;
  let env: Record<string, string>;
  let a: ServerProcess;
  let b: ServerProcess;
  let urlA: string;
  let urlB: string;
  let users = 0;

  const instance = () => spawnServer(env);
  const login = (url: string) =>
    loginOver(url, { email: `scale-${++users}-${Date.now()}@example.com`, password: 'password-scale-out-1' });
  const post = (url: string, token: string, path: string, body?: unknown, method = 'POST') =>
    fetch(`${url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const run = async (url: string, token: string, runId: string) =>
    (await getJson<{ status: string; stop_reason: string; last_event_id: number }>(`${url}/api/runs/${runId}`, token))
      .body;
  const background = async (url: string, token: string, content: string, extra: Record<string, unknown> = {}) => {
    const res = await post(url, token, '/api/chat', ask(content, { background: true, ...extra }));
    expect(res.status).toBe(202);
    return (await res.json()) as { run_id: string; conversation_id: string };
  };
  const streaming = (url: string, token: string, runId: string) =>
    until(async () => ((await run(url, token, runId)).last_event_id >= 3 ? true : undefined), 5_000, 'streaming');

  beforeAll(async () => {
    db = await provisionDatabase();
    llm = await startScriptedAnthropic();
    env = {
      ...db.env,
      DATABASE_POOL_SIZE: '10',
      REDIS_URL: TEST_REDIS_URL!,
      REDIS_PREFIX: testRedisPrefix(),
      JWT_SECRET: 'scale-out-test-secret-0123456789abcdefghij',
      ANTHROPIC_API_KEY: 'sk-scale-out-test-key',
      ANTHROPIC_BASE_URL: llm.url,
      LOG_LEVEL: 'info',
      RUN_HEARTBEAT_MS: '200',
      RATE_LIMIT_CHAT_PER_MINUTE: '6',
      MAX_CONCURRENT_RUNS_PER_USER: '2',
      RATE_LIMIT_LOGIN_PER_MINUTE: '3',
    };
    // Both boot at once on an empty database: migrations run once, under the advisory lock.
    a = instance();
    b = instance();
    [urlA, urlB] = await Promise.all([a.url, b.url]);
  }, 120_000);
  afterAll(async () => {
    killAllServers();
    await llm?.close();
    await db?.drop();
  });
  beforeEach(() => llm.reset());

  it('two instances booting together on an empty database apply each migration once; both are ready', async () => {
    const client = new Client({ connectionString: db.env.DATABASE_URL });
    await client.connect();
    try {
      const { rows } = await client.query<{ name: string }>('SELECT name FROM migrations ORDER BY id');
      expect(rows.map((r) => r.name)).toEqual(MIGRATIONS.map((m) => m.name));
    } finally {
      await client.end();
    }
    for (const url of [urlA, urlB]) {
      const ready = await fetch(`${url}/ready`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toMatchObject({ status: 'ready', database: true, redis: true });
    }
  });

  it('a run started on A and dropped is resumed on B with Last-Event-ID: no gap, no duplicate, the stored text', async () => {
    const token = await login(urlA);
    const seen: SseEvent[] = [];
    const controller = new AbortController();
    await streamChat(urlA, token, ask('[[deltas:16:40]]', { on_disconnect: 'continue' }), {
      signal: controller.signal,
      onEvent: (e) => {
        seen.push(e);
        if (seen.filter((s) => s.event === 'text_delta').length === 4) controller.abort();
      },
    });
    const runId = seen[0].json!.run_id as string;
    const started = Date.now();
    let firstMs = 0;
    const rest = await followRun(urlB, token, runId, {
      headers: { 'Last-Event-ID': seen.at(-1)!.id! },
      onEvent: () => (firstMs ||= Date.now() - started),
    });
    const all = [...seen, ...rest.events];
    expect(all.map((e) => Number(e.id))).toEqual(all.map((_, i) => i + 1));
    expect(finishedOf(rest.events)).toMatchObject({ status: 'completed' });
    const history = await getJson<Array<{ content: string }>>(
      `${urlB}/api/chat/${seen[0].json!.conversation_id}/history`,
      token,
    );
    expect(textOf(all)).toBe(history.body[1].content);
    console.log(`Scale-out resume: first event on B ${firstMs} ms after GET /api/runs/{id}/events with Last-Event-ID`);
  });

  it('B follows a run driven by A live, from its first event to run_finished', async () => {
    const token = await login(urlA);
    const started = await background(urlA, token, '[[deltas:10:60]]');
    const watched = await followRun(urlB, token, started.run_id);
    expect(watched.events[0].json).toMatchObject({ type: 'run_started', run_id: started.run_id });
    expect(textOf(watched.events)).toBe(Array.from({ length: 10 }, (_, i) => `chunk${i} `).join(''));
    expect(watched.done).toBe(true);
  });

  it('a cancel on B stops the run on A: its model request is aborted within a second, the prefix kept', async () => {
    const token = await login(urlA);
    const started = await background(urlA, token, '[[slow]]');
    await streaming(urlA, token, started.run_id);
    const asked = Date.now();
    const res = await post(urlB, token, `/api/runs/${started.run_id}/cancel`);
    expect(await res.json()).toEqual({ cancelled: true });
    await llm.waitForAbort(1_000);
    expect(Date.now() - asked).toBeLessThan(1_500);
    expect(await run(urlB, token, started.run_id)).toMatchObject({ status: 'cancelled', stop_reason: 'cancelled' });
    // The same through the conversation's cancel route.
    llm.reset();
    const second = await background(urlA, token, '[[slow]]');
    await streaming(urlA, token, second.run_id);
    const byConversation = await post(urlB, token, `/api/chat/${second.conversation_id}/cancel`);
    expect(await byConversation.json()).toEqual({ cancelled: true });
    await llm.waitForAbort(1_000);
  });

  it('a delete on B stops the run on A before its rows go', async () => {
    const token = await login(urlA);
    const started = await background(urlA, token, '[[slow]]');
    await streaming(urlA, token, started.run_id);
    const res = await post(urlB, token, `/api/conversations/${started.conversation_id}`, undefined, 'DELETE');
    expect(res.status).toBe(204);
    await llm.waitForAbort(1_000);
    expect((await getJson(`${urlA}/api/chat/${started.conversation_id}/history`, token)).status).toBe(404);
    expect((await getJson(`${urlA}/api/runs/${started.run_id}`, token)).status).toBe(404);
  });

  it('if_busy "interrupt" on B stops the run on A and answers on B', async () => {
    const token = await login(urlA);
    const started = await background(urlA, token, '[[slow]]');
    await streaming(urlA, token, started.run_id);
    const next = await streamChat(
      urlB,
      token,
      ask('[[say:from B]]', { conversation_id: started.conversation_id, if_busy: 'interrupt' }),
    );
    expect(finishedOf(next.events)).toMatchObject({ status: 'completed' });
    expect(await run(urlA, token, started.run_id)).toMatchObject({ status: 'cancelled', stop_reason: 'interrupted' });
  });

  it('limits are counted once across instances: chat starts, concurrent runs, login attempts', async () => {
    const token = await login(urlA);
    // RATE_LIMIT_CHAT_PER_MINUTE=6, alternating instances.
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) {
      const res = await post(i % 2 ? urlB : urlA, token, '/api/chat', ask('[[say:hi]]', { stream: false }));
      statuses.push(res.status);
      await res.text();
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200, 429]);

    // MAX_CONCURRENT_RUNS_PER_USER=2: one run on each instance, the third is refused on either.
    const other = await login(urlB);
    const first = await background(urlA, other, '[[slow]]');
    const second = await background(urlB, other, '[[slow]]');
    const third = await post(urlA, other, '/api/chat', ask('[[say:no]]', { stream: false }));
    expect(third.status).toBe(429);
    expect(((await third.json()) as { code: string }).code).toBe('TOO_MANY_ACTIVE_RUNS');
    await post(urlB, other, `/api/runs/${first.run_id}/cancel`);
    await post(urlA, other, `/api/runs/${second.run_id}/cancel`);

    // RATE_LIMIT_LOGIN_PER_MINUTE=3 per account, alternating instances.
    const email = `throttled-${Date.now()}@example.com`;
    await post(urlA, '', '/api/auth/register', { email, password: 'password-right-1' });
    const logins: number[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await post(i % 2 ? urlB : urlA, '', '/api/auth/login', { email, password: 'password-wrong-1' });
      logins.push(res.status);
    }
    expect(logins).toEqual([401, 401, 401, 429, 429]);
  });

  it("an instance booting leaves the other instances' live runs alone", async () => {
    const token = await login(urlA);
    const started = await background(urlA, token, '[[deltas:30:50]]');
    await streaming(urlA, token, started.run_id);
    const c = instance();
    await c.url;
    const done = await until(
      async () => {
        const r = await run(urlA, token, started.run_id);
        return r.status === 'running' ? undefined : r;
      },
      10_000,
      'the run to end',
    );
    expect(done).toMatchObject({ status: 'completed' });
    c.child.kill('SIGTERM');
    await c.exited;
  }, 90_000);

  it('an instance killed with SIGKILL has its runs swept by another within a few heartbeats; followers finish', async () => {
    const d = instance();
    const urlD = await d.url;
    const token = await login(urlD);
    const started = await background(urlD, token, '[[slow]]');
    await streaming(urlD, token, started.run_id);
    const following = followRun(urlB, token, started.run_id);
    await new Promise((r) => setTimeout(r, 200));
    d.child.kill('SIGKILL');
    const killedAt = Date.now();
    const watched = await following;
    const sweptMs = Date.now() - killedAt;
    expect(finishedOf(watched.events)).toEqual({
      type: 'run_finished',
      status: 'interrupted',
      stop_reason: 'interrupted',
    });
    expect(watched.events.find((e) => e.event === 'error')?.json).toMatchObject({ code: 'INTERRUPTED' });
    expect(sweptMs).toBeLessThan(5_000);
    expect(await run(urlB, token, started.run_id)).toMatchObject({ status: 'interrupted' });
    // The conversation is usable again, on another instance.
    const next = await streamChat(urlB, token, ask('[[say:go on]]', { conversation_id: started.conversation_id }));
    expect(finishedOf(next.events)).toMatchObject({ status: 'completed' });
    console.log(`Scale-out: a SIGKILLed instance's run was swept and its follower finished ${sweptMs} ms later`);
  }, 90_000);
});
