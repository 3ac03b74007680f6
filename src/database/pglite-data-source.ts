import { PGlite } from '@electric-sql/pglite';
import { createPgConfig } from '@electric-sql/pglite/node-postgres';
import { mkdir } from 'node:fs/promises';
import { DataSource } from 'typeorm';
import type { PostgresDataSourceOptions } from 'typeorm/driver/postgres/PostgresDataSourceOptions.js';

/**
 * A DataSource over embedded PGlite, driven through the real `pg` driver so the same SQL, migrations and
 * TypeORM code path run on PGlite and on a PostgreSQL server. It owns the PGlite instance and closes it last.
 */
export class PgliteDataSource extends DataSource {
  private constructor(
    options: PostgresDataSourceOptions,
    private readonly pglite: PGlite,
  ) {
    super(options);
  }

  static async create(dataDir: string, options: Omit<PostgresDataSourceOptions, 'type'>): Promise<PgliteDataSource> {
    if (!dataDir.startsWith('memory://')) await mkdir(dataDir, { recursive: true });
    const pglite = await PGlite.create(dataDir);
    return new PgliteDataSource({ ...options, type: 'postgres', extra: createPgConfig(pglite) }, pglite);
  }

  /** Lets tests simulate the database going away. */
  get embedded(): PGlite {
    return this.pglite;
  }

  override async destroy(): Promise<void> {
    if (this.isInitialized) await super.destroy();
    if (!this.pglite.closed) await this.pglite.close();
  }
}
