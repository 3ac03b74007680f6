import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { DocumentsRepository } from './documents.repository.js';
import { STALE_INGESTION_MS } from './documents.service.js';

const SWEEP_EVERY_MS = 5 * 60_000;

/**
 * Removes documents a dead process left `processing` (never visible, but holding their passages, the user's quota
 * and the file's hash). Embedded PGlite belongs to this process alone, so at boot every such row is abandoned; on a
 * shared PostgreSQL another instance may be storing one right now, so only rows past STALE_INGESTION_MS go.
 */
@Injectable()
export class StaleIngestionSweeper implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Documents');
  private timer?: NodeJS.Timeout;
  private sweeping?: Promise<number>;

  constructor(
    private readonly documents: DocumentsRepository,
    private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.sweep(this.config.database.kind === 'pglite' ? 0 : STALE_INGESTION_MS);
    this.timer = setInterval(() => {
      this.sweeping ??= this.sweep(STALE_INGESTION_MS).finally(() => (this.sweeping = undefined));
    }, SWEEP_EVERY_MS);
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    await this.sweeping;
  }

  /** Removes `processing` documents older than `olderThanMs`; returns how many (0 when the database failed). */
  async sweep(olderThanMs: number): Promise<number> {
    try {
      const removed = await this.documents.discardStale(olderThanMs);
      if (removed) this.logger.warn({ msg: 'removed documents abandoned while being stored', removed });
      return removed;
    } catch (err) {
      this.logger.warn({ msg: 'could not remove abandoned documents', error: (err as Error).message });
      return 0;
    }
  }
}
