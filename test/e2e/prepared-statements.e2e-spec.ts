import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import { Client, type Pool, type PoolClient } from 'pg';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver.js';
import { DataSource, QueryFailedError } from 'typeorm';
import { databaseFailure } from '../../src/common/errors/database-unavailable.js';
import { PreparedStatements, statement } from '../../src/database/prepared-statements.js';
import type { ScriptedAnthropic } from '../fixtures/scripted-anthropic/scripted-anthropic.server.js';
import { startChatApp } from '../support/chat-app.js';
import { createUser, type TestUser } from '../support/factories.js';
import { streamChat } from '../support/sse.js';
import type { TestApp } from '../support/test-app.js';
import { TEST_DATABASE_URL } from '../support/test-database.js';

// Only a PostgreSQL server has backends to terminate.
const itOnPostgres = TEST_DATABASE_URL ? it : it.skip;

const OURS = [
  'chat_conversation_history',
  'documents_find_owned',
  'documents_list_owned',
  'runs_finish',
  'runs_open_follow_up',
  'runs_open_new',
];

const DIVIDE_BY_ZERO = statement('test_divide_by_zero', 'SELECT 1 / $1::int AS n');
const BACKEND = statement('test_backend_pid', 'SELECT pg_backend_pid() AS pid');
const SLEEP = statement('test_sleep', 'SELECT pg_sleep($1::float8)');
// The error an administrator's terminate sends, raised on a connection that then stays open.
const TERMINATING = statement(
  'test_terminating',
  `DO $$ BEGIN RAISE EXCEPTION 'terminating connection due to administrator command' USING ERRCODE = '57P01'; END $$`,
);

/** The app's statements on one connection (pool of one on PostgreSQL; PGlite has one connection anyway). */
async function startOnOneConnection(env: Record<string, string> = {}) {
  return startChatApp({ DATABASE_POOL_SIZE: '1', RATE_LIMIT_CHAT_PER_MINUTE: '1000', ...env });
}

/** What the app's only database session has prepared, by name. */
async function preparedNames(t: TestApp): Promise<string[]> {
  const rows: Array<{ name: string }> = await t.app
    .get(DataSource)
    .query('SELECT name FROM pg_prepared_statements ORDER BY name');
  return rows.map((r) => r.name);
}

async function exerciseHotPaths(t: TestApp, user: TestUser): Promise<void> {
  const doc = (
    await t.http
      .post('/api/documents')
      .set(user.auth)
      .send({ title: 'A', content: `alpha ${randomUUID()}` })
      .expect(201)
  ).body;
  await t.http.get('/api/documents').set(user.auth).expect(200);
  await t.http.get(`/api/documents/${doc.id}`).set(user.auth).expect(200);
  const first = await streamChat(t.url, user.token, { messages: [{ role: 'user', content: 'Hello' }] });
  const conversationId = first.events[0].json!.conversation_id as string;
  const followUp = await streamChat(t.url, user.token, {
    conversation_id: conversationId,
    messages: [{ role: 'user', content: 'And again' }],
  });
  expect(followUp.events.at(-1)!.json).toMatchObject({ status: 'completed' });
}

describe('Hot statements run as named prepared statements', () => {
  let t: TestApp;
  let llm: ScriptedAnthropic;
  let close: () => Promise<void>;
  let alice: TestUser;

  beforeAll(async () => {
    ({ t, llm, close } = await startOnOneConnection());
    alice = await createUser(t);
  });
  afterAll(() => close());
  beforeEach(() => llm.reset());

  it('prepares the chat and document statements once, by name, on the connection that ran them', async () => {
    await exerciseHotPaths(t, alice);
    expect(await preparedNames(t)).toEqual(expect.arrayContaining(OURS));
    // Run again: still one of each (a second PREPARE of a name would have failed the request).
    await exerciseHotPaths(t, alice);
    const names = await preparedNames(t);
    for (const name of OURS) expect(names.filter((n) => n === name)).toHaveLength(1);
  });

  it('answers right past the executions after which PostgreSQL may switch to a generic plan', async () => {
    const bob = await createUser(t);
    const ids: string[] = [];
    for (const title of ['one', 'two', 'three']) {
      const res = await t.http
        .post('/api/documents')
        .set(bob.auth)
        .send({ title, content: `text ${title}` });
      ids.unshift(res.body.id as string);
    }
    for (let round = 0; round < 4; round++) {
      for (const [limit, offset] of [
        [10, 0],
        [1, 0],
        [1, 2],
        [2, 1],
      ]) {
        const res = await t.http.get(`/api/documents?limit=${limit}&offset=${offset}`).set(bob.auth).expect(200);
        expect(res.body.map((d: { id: string }) => d.id)).toEqual(ids.slice(offset, offset + limit));
      }
    }
    // Another user's list through the same prepared statement: scoped by its parameter, never by a cached plan.
    const carol = await createUser(t);
    expect((await t.http.get('/api/documents').set(carol.auth).expect(200)).body).toEqual([]);
  });

  it('fails as TypeORM queries fail, and keeps the connection (and what it prepared) after a statement error', async () => {
    const statements = t.app.get(PreparedStatements);
    const [{ pid }] = await statements.rows<{ pid: number }>(BACKEND, []);
    const err = await statements.rows(DIVIDE_BY_ZERO, [0]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(QueryFailedError);
    expect((err as QueryFailedError).driverError).toMatchObject({ code: '22012' });
    expect(databaseFailure(err)).toBeUndefined();
    expect(await statements.rows(DIVIDE_BY_ZERO, [2])).toEqual([{ n: 0 }]);
    expect((await statements.rows<{ pid: number }>(BACKEND, []))[0].pid).toBe(pid);
    expect(await preparedNames(t)).toEqual(expect.arrayContaining([...OURS, 'test_divide_by_zero']));
  });

  it('refuses a second text under a name already declared', () => {
    expect(() => statement('test_backend_pid', 'SELECT 2')).toThrow(/declared twice/);
    expect(statement('test_backend_pid', BACKEND.text)).toEqual(BACKEND);
  });

  it('drops a connection the server says it is ending, before the pool can hand it out again', async () => {
    // A terminated backend sends its error and closes the socket after; a connection released in between looked
    // healthy to the pool, and the next query on it failed. Here the socket stays open: the widest such window.
    const statements = t.app.get(PreparedStatements);
    const [{ pid }] = await statements.rows<{ pid: number }>(BACKEND, []);
    const err = await statements.rows(TERMINATING, []).catch((e: unknown) => e);
    expect((err as QueryFailedError).driverError).toMatchObject({ code: '57P01' });
    expect(databaseFailure(err)).toBe('unavailable');
    const [{ pid: next }] = await statements.rows<{ pid: number }>(BACKEND, []);
    if (TEST_DATABASE_URL) expect(next).not.toBe(pid);
    await t.http.get('/api/documents').set(alice.auth).expect(200);
  });

  itOnPostgres(
    'drops a connection that broke mid-statement, reports it as unavailable, and goes on with a new one',
    async () => {
      const statements = t.app.get(PreparedStatements);
      const [{ pid }] = await statements.rows<{ pid: number }>(BACKEND, []);
      const sleeping = statements.rows(SLEEP, [30]).catch((e: unknown) => e);
      const admin = new Client({ connectionString: t.db.env.DATABASE_URL });
      await admin.connect();
      try {
        for (let i = 0; i < 50; i++) {
          const { rows } = await admin.query(`SELECT 1 FROM pg_stat_activity WHERE pid = $1 AND state = 'active'`, [
            pid,
          ]);
          if (rows.length) break;
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        await admin.query('SELECT pg_terminate_backend($1)', [pid]);
      } finally {
        await admin.end();
      }
      const err = await sleeping;
      expect(err).toBeInstanceOf(QueryFailedError);
      expect(databaseFailure(err)).toBe('unavailable');
      const [{ pid: next }] = await statements.rows<{ pid: number }>(BACKEND, []);
      expect(next).not.toBe(pid);
      // The new connection prepares again, on first use.
      await t.http.get('/api/documents').set(alice.auth).expect(200);
      expect(await preparedNames(t)).toContain('documents_list_owned');
    },
  );

  itOnPostgres('survives a connection whose socket fails mid-statement (the client emits an error event)', async () => {
    const pool = (t.app.get(DataSource).driver as PostgresDriver).master as Pool;
    const statements = t.app.get(PreparedStatements);
    const acquired = new Promise<PoolClient>((resolve) => pool.once('acquire', resolve));
    const sleeping = statements.rows(SLEEP, [30]).catch((e: unknown) => e);
    const client = (await acquired) as PoolClient & { connection: { stream: Socket } };
    // A reset from the network, not a PostgreSQL error message: pg emits 'error' on the checked-out client.
    client.connection.stream.destroy(new Error('read ECONNRESET'));
    const err = await sleeping;
    expect(err).toBeInstanceOf(QueryFailedError);
    expect(await statements.rows(DIVIDE_BY_ZERO, [1])).toEqual([{ n: 1 }]);
  });
});

describe('DATABASE_PREPARED_STATEMENTS=false', () => {
  let t: TestApp;
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ t, close } = await startOnOneConnection({ DATABASE_PREPARED_STATEMENTS: 'false' }));
  });
  afterAll(() => close());

  it('runs the same statements unnamed: nothing is prepared on the connection', async () => {
    await exerciseHotPaths(t, await createUser(t));
    expect((await preparedNames(t)).filter((n) => OURS.includes(n))).toEqual([]);
  });
});
