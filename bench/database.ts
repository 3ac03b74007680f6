import { join } from 'node:path';
import { Client } from 'pg';

export interface BenchDatabase {
  kind: 'pglite' | 'postgres';
  /** What the table header says about the store. */
  description: string;
  /** Environment for the app child. */
  env: Record<string, string>;
  drop(): Promise<void>;
}

/**
 * The store under test. Default: embedded PGlite in the run's temporary directory. With BENCH_DATABASE_URL: a fresh
 * database created on that server for this run and dropped after it, so runs never see each other's rows.
 */
export async function prepareDatabase(workDir: string, serverUrl: string | undefined): Promise<BenchDatabase> {
  if (!serverUrl) {
    const dataDir = join(workDir, 'pglite');
    return {
      kind: 'pglite',
      description: 'embedded PGlite (in the app process)',
      env: { PGLITE_DIR: dataDir },
      drop: async () => undefined,
    };
  }
  const name = `bench_${process.pid}_${Date.now()}`;
  const admin = new Client({ connectionString: serverUrl });
  await admin.connect();
  let version: string;
  try {
    version = String((await admin.query('SHOW server_version')).rows[0].server_version);
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    kind: 'postgres',
    description: `PostgreSQL ${version} at ${url.host} (fresh database ${name})`,
    env: { DATABASE_URL: url.toString() },
    drop: async () => {
      const client = new Client({ connectionString: serverUrl });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}
