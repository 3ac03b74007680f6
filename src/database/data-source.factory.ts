import { Client } from 'pg';
import { DataSource } from 'typeorm';
import type { PostgresDataSourceOptions } from 'typeorm/driver/postgres/PostgresDataSourceOptions.js';
import { DatabaseConfig } from '../config/app-config.js';
import { MIGRATIONS } from './migrations/index.js';
import { PgliteDataSource } from './pglite-data-source.js';

/** The entity classes of the app's features, handed in by the composition root (`src/entities.ts`). */
export type EntityList = NonNullable<PostgresDataSourceOptions['entities']>;

/** Options shared by the app and the TypeORM CLI. Schema changes happen through migrations only. */
export function baseOptions(entities: EntityList = []): Omit<PostgresDataSourceOptions, 'type'> {
  return {
    entities,
    migrations: MIGRATIONS,
    migrationsRun: false,
    migrationsTransactionMode: 'each',
    synchronize: false,
    logging: false,
  };
}

/** PostgreSQL through a `pg` pool when a URL is configured; embedded PGlite otherwise. Not yet initialized. */
export async function createDataSource(db: DatabaseConfig, entities: EntityList): Promise<DataSource> {
  if (db.kind === 'pglite') {
    return PgliteDataSource.create(db.dataDir, baseOptions(entities), { shared_buffers: db.sharedBuffers });
  }
  return new DataSource({
    ...baseOptions(entities),
    type: 'postgres',
    url: db.url,
    poolSize: db.poolSize,
    extra: { connectionTimeoutMillis: db.poolTimeoutMs, idleTimeoutMillis: 30000 },
  });
}

// Data sources opened by a boot that may still fail later (e.g. an invalid agent definition): Nest gives no
// handle to close them then, and an open pool would keep the process (or a test run) alive.
const opened = new Set<DataSource>();

/** Closes every DataSource opened by this process that is still open; for a boot that failed half-way. */
export async function closeOpenedDataSources(): Promise<void> {
  const all = [...opened];
  opened.clear();
  await Promise.allSettled(all.map((ds) => ds.destroy()));
}

/** The advisory lock instances of this service take for migrations (any fixed key). */
const BOOT_LOCK_KEY = 7_302_114_118;

/**
 * Runs `work` while holding a PostgreSQL session advisory lock shared by every instance, so instances booting
 * together migrate one after the other: the second finds the work done. The lock is held on a connection of its own,
 * outside the pool, because the work needs the pool's connections (a pool of one would otherwise wait for itself);
 * ending that session releases the lock, even when the work failed. Embedded PGlite belongs to one process: no lock.
 */
export async function withBootLock<T>(dataSource: DataSource, work: () => Promise<T>): Promise<T> {
  if (dataSource instanceof PgliteDataSource) return work();
  const { url } = dataSource.options as PostgresDataSourceOptions;
  const lock = new Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  lock.on('error', () => undefined); // a lost lock session surfaces through the work's own connections
  await lock.connect();
  try {
    await lock.query('SELECT pg_advisory_lock($1)', [BOOT_LOCK_KEY]);
    return await work();
  } finally {
    await lock.end().catch(() => undefined);
  }
}

/** Initializes the DataSource and applies pending migrations; used at boot by the app and by the CLI. */
export async function initializeDataSource(dataSource: DataSource): Promise<DataSource> {
  await dataSource.initialize();
  opened.add(dataSource);
  const destroy = dataSource.destroy.bind(dataSource);
  dataSource.destroy = async () => {
    opened.delete(dataSource);
    await destroy();
  };
  try {
    await withBootLock(dataSource, () => dataSource.runMigrations({ transaction: 'each' }));
  } catch (err) {
    await dataSource.destroy();
    throw err;
  }
  return dataSource;
}
