import { mkdir } from 'node:fs/promises';
import { DataSource } from 'typeorm';
import type { PostgresDataSourceOptions } from 'typeorm/driver/postgres/PostgresDataSourceOptions.js';
import { PgliteWorker } from './pglite/pglite-worker.js';
import { workerPgConfig } from './pglite/pglite-wire-stream.js';

/**
 * A DataSource over embedded PGlite, driven through the real `pg` driver so the same SQL, migrations and
 * TypeORM code path run on PGlite and on a PostgreSQL server. PGlite itself runs in a worker thread (see
 * PgliteWorker), which this DataSource owns and closes last.
 */
export class PgliteDataSource extends DataSource {
  private constructor(
    options: PostgresDataSourceOptions,
    private readonly pglite: PgliteWorker,
  ) {
    super(options);
  }

  /** `settings`: PostgreSQL settings over `PGLITE_SETTINGS`. */
  static async create(
    dataDir: string,
    options: Omit<PostgresDataSourceOptions, 'type'>,
    settings: Readonly<Record<string, string>> = {},
  ): Promise<PgliteDataSource> {
    if (!dataDir.startsWith('memory://')) await mkdir(dataDir, { recursive: true });
    const pglite = await PgliteWorker.start(dataDir, settings);
    return new PgliteDataSource({ ...options, type: 'postgres', extra: workerPgConfig(pglite) }, pglite);
  }

  /** Lets tests simulate the database going away. */
  get embedded(): PgliteWorker {
    return this.pglite;
  }

  /** A boot that fails here (TypeORM cannot open its pool) closes the worker too: it would keep the process alive. */
  override async initialize(): Promise<this> {
    try {
      return await super.initialize();
    } catch (err) {
      await this.pglite.close().catch(() => undefined);
      throw err;
    }
  }

  override async destroy(): Promise<void> {
    if (this.isInitialized) await super.destroy();
    await this.pglite.close();
  }
}
