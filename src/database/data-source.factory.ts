import { DataSource } from 'typeorm';
import type { PostgresDataSourceOptions } from 'typeorm/driver/postgres/PostgresDataSourceOptions.js';
import { DatabaseConfig } from '../config/app-config.js';
import { ENTITIES } from './entities.js';
import { MIGRATIONS } from './migrations/index.js';
import { PgliteDataSource } from './pglite-data-source.js';

/** Options shared by the app and the TypeORM CLI. Schema changes happen through migrations only. */
export function baseOptions(): Omit<PostgresDataSourceOptions, 'type'> {
  return {
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsRun: false,
    migrationsTransactionMode: 'each',
    synchronize: false,
    logging: false,
  };
}

/** PostgreSQL through a `pg` pool when a URL is configured; embedded PGlite otherwise. Not yet initialized. */
export async function createDataSource(db: DatabaseConfig): Promise<DataSource> {
  if (db.kind === 'pglite') return PgliteDataSource.create(db.dataDir, baseOptions());
  return new DataSource({
    ...baseOptions(),
    type: 'postgres',
    url: db.url,
    poolSize: db.poolSize,
    extra: { connectionTimeoutMillis: 5000, idleTimeoutMillis: 30000 },
  });
}

/** Initializes the DataSource and applies pending migrations; used at boot by the app and by the CLI. */
export async function initializeDataSource(dataSource: DataSource): Promise<DataSource> {
  await dataSource.initialize();
  try {
    await dataSource.runMigrations({ transaction: 'each' });
  } catch (err) {
    await dataSource.destroy();
    throw err;
  }
  return dataSource;
}
