import { PGlite } from '@electric-sql/pglite';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPrivatePostgres, type PrivatePostgres } from './private-postgres.js';
import { TEST_DATABASE_URL } from './test-database.js';

/**
 * The database a fault test crashes its server against: a PGlite data directory in a temp folder on the default
 * (PGlite) run, a private PostgreSQL cluster on the PostgreSQL run (TEST_DATABASE_URL set), so both CI runs cover
 * the store they are about without doubling the time.
 */
export interface FaultDatabase {
  kind: 'pglite' | 'postgres';
  /** Environment for the spawned server. */
  env: Record<string, string>;
  /** PostgreSQL only: the cluster, to stop and start it. */
  cluster?: PrivatePostgres;
  /** Reads the database. PGlite allows one process at a time: call it only while no server is running. */
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  destroy(): Promise<void>;
}

export async function createFaultDatabase(kind = TEST_DATABASE_URL ? 'postgres' : 'pglite'): Promise<FaultDatabase> {
  if (kind === 'postgres') {
    const cluster = await startPrivatePostgres();
    return {
      kind,
      cluster,
      env: { DATABASE_URL: cluster.url, DATABASE_POOL_SIZE: '20' },
      query: (sql, params) => cluster.query(sql, params),
      destroy: () => cluster.destroy(),
    };
  }
  const root = await mkdtemp(join(tmpdir(), 'agent-fault-'));
  const dataDir = join(root, 'pglite');
  return {
    kind: 'pglite',
    env: { PGLITE_DIR: dataDir },
    async query<T>(sql: string, params: unknown[] = []) {
      const db = await PGlite.create(dataDir);
      try {
        return (await db.query<T>(sql, params)).rows;
      } finally {
        await db.close();
      }
    },
    destroy: () => rm(root, { recursive: true, force: true }),
  };
}
