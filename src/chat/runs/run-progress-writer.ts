import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { databaseFailure } from '../../common/errors/database-unavailable.js';
import { RunsRepository } from './runs.repository.js';

/**
 * How often streamed text is saved while runs stream. A crash loses at most this much of an answer in progress;
 * a shorter interval means more writes. One UPDATE per run every 250 ms exhausted the pool at 1,000 streams, and
 * on embedded PGlite (which then executed on the event loop) each one stalled every stream.
 */
export const PROGRESS_SAVE_MS = 500;
/** Rows per UPDATE: keeps one statement short, so a run start or a search gets its turn between them. */
const ROWS_PER_STATEMENT = 200;

/** A run whose streamed text is saved in the background. */
export interface ProgressSource {
  readonly messageId: string;
  /** The text so far (read when the batch is written, so the newest text is saved). */
  readonly text: string;
  /** Called when a save failed because the database is unavailable. */
  markStorageLost(): void;
}

/**
 * Saves the streamed text of every active run in batches: every PROGRESS_SAVE_MS, one UPDATE per
 * ROWS_PER_STATEMENT runs that received text since the last save, one batch in flight at a time.
 */
@Injectable()
export class RunProgressWriter implements OnApplicationShutdown {
  private readonly logger = new Logger(RunProgressWriter.name);
  private readonly dirty = new Map<string, ProgressSource>();
  private timer?: NodeJS.Timeout;
  private inFlight: Promise<void> = Promise.resolve();

  constructor(private readonly repo: RunsRepository) {}

  /** Schedules `source`'s text for the next batch. */
  changed(source: ProgressSource): void {
    this.dirty.set(source.messageId, source);
    this.schedule();
  }

  private schedule(): void {
    if (!this.timer) {
      this.timer = setTimeout(() => void this.flush(), PROGRESS_SAVE_MS);
      this.timer.unref();
    }
  }

  /**
   * Takes `source` out of the batches (its run is about to save its final state) and resolves once a batch that
   * may hold it has landed. Batches only touch `streaming` messages, so even a late one cannot undo a final save.
   */
  forget(source: ProgressSource): Promise<void> {
    this.dirty.delete(source.messageId);
    return this.inFlight;
  }

  /** Writes what is pending now (also used at shutdown, after runs were cancelled). */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.dirty.size) return this.inFlight;
    const batch = [...this.dirty.values()];
    this.dirty.clear();
    this.inFlight = this.inFlight.then(() => this.write(batch));
    return this.inFlight;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.flush();
  }

  private async write(batch: ProgressSource[]): Promise<void> {
    for (let i = 0; i < batch.length; i += ROWS_PER_STATEMENT) {
      const part = batch.slice(i, i + ROWS_PER_STATEMENT);
      try {
        await this.repo.saveStreamingTexts(part.map((s) => ({ messageId: s.messageId, text: s.text })));
      } catch (err) {
        const failure = databaseFailure(err);
        if (failure === 'busy') {
          // Every connection stayed in use (overload), the database is fine: nothing is lost, since the texts are
          // still in memory, so they go into the next batch and the streams go on. A run that has finished in the
          // meantime is not harmed: batches only touch `streaming` messages.
          this.logger.warn({ msg: 'run progress not saved: the database pool is busy; retrying', runs: part.length });
          for (const source of part) if (!this.dirty.has(source.messageId)) this.dirty.set(source.messageId, source);
          this.schedule();
          continue;
        }
        if (failure) {
          this.logger.error({ msg: 'could not save run progress', runs: part.length, error: String(err) });
          for (const source of part) source.markStorageLost();
        } else {
          await this.writeOneByOne(part);
        }
      }
    }
  }

  /**
   * A batch the database refused for its content, not its availability: each run's text is saved on its own, so
   * one run's bad row cannot lose the progress of the others in its batch. A row refused on its own is left for its
   * run's final save (which has a fallback of its own).
   */
  private async writeOneByOne(part: ProgressSource[]): Promise<void> {
    for (const source of part) {
      try {
        await this.repo.saveStreamingTexts([{ messageId: source.messageId, text: source.text }]);
      } catch (err) {
        this.logger.error({ msg: "could not save a run's progress", message_id: source.messageId, error: String(err) });
        if (databaseFailure(err)) source.markStorageLost();
      }
    }
  }
}
