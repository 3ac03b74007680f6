import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

export interface TestDatabase {
  /** Environment that points the app at this database. */
  env: Record<string, string>;
  kind: 'postgres' | 'pglite';
  /** For PostgreSQL: the database's name on the server. */
  name?: string;
  drop(): Promise<void>;
}

/** The server the suite runs against: set by `.ci/run` (and by you, to test against PostgreSQL). */
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL || undefined;

export async function adminQuery(sql: string): Promise<void> {
  const client = new Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/**
 * Each suite gets a database of its own: a fresh in-memory PGlite by default, or a new database on the
 * PostgreSQL server named by TEST_DATABASE_URL (dropped afterwards), so suites never see each other's rows.
 */
export async function provisionDatabase(): Promise<TestDatabase> {
  if (!TEST_DATABASE_URL) {
    return { env: { PGLITE_DIR: 'memory://' }, kind: 'pglite', drop: async () => {} };
  }
  const name = `agent_test_${randomBytes(6).toString('hex')}`;
  await adminQuery(`CREATE DATABASE ${name}`);
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = `/${name}`;
  return {
    env: { DATABASE_URL: url.toString(), DATABASE_POOL_SIZE: '5' },
    kind: 'postgres',
    name,
    drop: () => adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}

/**
 * A database that outlives one app instance, for restart tests: a new PostgreSQL database, or PGlite in a
 * temporary folder (in-memory PGlite dies with the app). `drop()` removes either.
 */
export async function provisionRestartableDatabase(): Promise<TestDatabase> {
  const db = await provisionDatabase();
  if (db.kind === 'postgres') return db;
  const dir = await mkdtemp(join(tmpdir(), 'agent-pglite-'));
  return { env: { PGLITE_DIR: dir }, kind: 'pglite', drop: () => rm(dir, { recursive: true, force: true }) };
}
