import { Logger } from '@nestjs/common';
import type { RunEvent } from '../../agents/runtime/run-event.js';
import { databaseFailure, isDatabaseUnavailable } from '../../common/errors/database-unavailable.js';
import type { FinishedRunStatus } from '../../runs/run-stream-event.js';
import type { ProgressSource, RunProgressWriter } from './run-progress-writer.js';
import type { RunsRepository } from './runs.repository.js';

/** How long the final state of a run is retried in the background while the database is unavailable. */
const FINAL_SAVE_RETRY_MS = 120_000;
const FINAL_SAVE_BACKOFF_MS = [500, 1000, 2000, 5000];
/** A write that found every pool connection busy is tried again this many times, this far apart. */
const BUSY_RETRIES = 3;
const BUSY_RETRY_MS = 1000;

export interface RunEnd {
  status: FinishedRunStatus;
  stopReason: string | null;
  usage: { input_tokens: number; output_tokens: number };
  error: { code: string; message: string } | null;
  lastEventId: number;
}

/** What became of a run's final save. */
export type FinalSave = 'saved' | 'decided_elsewhere' | 'unsaved';

/**
 * Persists one run while it streams: the assistant text is saved by the shared RunProgressWriter (batched with
 * every other run's, about every 500 ms) so a crash or cancel keeps the prefix; tool calls are saved as they
 * finish; `finish` writes the final text and statuses once every earlier write has landed. Database errors are
 * logged, never thrown into the stream. When the database becomes unavailable, `onStorageLost` is called once (the
 * run cannot be saved, so it should stop), and the final state is retried in the background until the database is
 * back. A pool that is only busy (every connection in use) is waited out instead.
 */
export class RunRecorder implements ProgressSource {
  // One for all runs: a recorder lives as long as its stream.
  private static readonly logger = new Logger(RunRecorder.name);
  private assistantText = '';
  private writes: Promise<void> = Promise.resolve();
  private lost = false;

  constructor(
    private readonly repo: RunsRepository,
    private readonly progress: RunProgressWriter,
    private readonly ids: { runId: string; messageId: string | null; userId: string; instanceId: string },
    private readonly onStorageLost: () => void = () => undefined,
  ) {}

  get messageId(): string {
    return this.ids.messageId ?? '';
  }

  get text(): string {
    return this.assistantText;
  }

  /** True once a write failed because the database was unavailable. */
  get storageLost(): boolean {
    return this.lost;
  }

  /** The run started streaming into this assistant message (a queued run gets one when it starts). */
  streamInto(messageId: string): void {
    this.ids.messageId = messageId;
  }

  appendText(text: string): void {
    this.assistantText += text;
    if (this.ids.messageId) this.progress.changed(this);
  }

  markStorageLost(): void {
    if (this.lost) return;
    this.lost = true;
    this.onStorageLost();
  }

  recordToolResult(event: Extract<RunEvent, { type: 'tool_result' }>): void {
    this.enqueue(() =>
      this.repo.insertToolCall({
        runId: this.ids.runId,
        userId: this.ids.userId,
        toolUseId: event.id,
        name: event.name,
        input: event.input ?? null,
        result: event.error ? null : (event.result ?? null),
        error: event.error ?? null,
        durationMs: event.duration_ms,
      }),
    );
  }

  /**
   * Saves the run's end. While the database is unavailable the save is retried in the background (the run would
   * otherwise stay active, holding its conversation); a save the database refuses for its content is replaced by a
   * `failed` end without the text, so the conversation is usable again whatever happened.
   */
  async finish(end: RunEnd): Promise<FinalSave> {
    await this.progress.forget(this);
    await this.writes;
    const save = (e: RunEnd, text: string) =>
      this.repo.finishRun({
        runId: this.ids.runId,
        messageId: this.ids.messageId,
        text,
        instanceId: this.ids.instanceId,
        ...e,
      });
    try {
      return (await save(end, this.text)) ? 'saved' : 'decided_elsewhere';
    } catch (err) {
      RunRecorder.logger.error({ msg: 'could not save the end of a run', run_id: this.ids.runId, error: String(err) });
      if (isDatabaseUnavailable(err)) {
        this.retryInBackground(() => save(end, this.text));
        return 'unsaved';
      }
    }
    const failed: RunEnd = {
      ...end,
      status: 'failed',
      stopReason: 'error',
      error: { code: 'INTERNAL_ERROR', message: 'The answer could not be saved' },
    };
    try {
      return (await save(failed, '')) ? 'saved' : 'decided_elsewhere';
    } catch (err) {
      RunRecorder.logger.error({ msg: 'could not save a failed run', run_id: this.ids.runId, error: String(err) });
      return 'unsaved';
    }
  }

  private retryInBackground(save: () => Promise<boolean>, attempt = 0, started = Date.now()): void {
    if (Date.now() - started > FINAL_SAVE_RETRY_MS) {
      RunRecorder.logger.error({ msg: 'gave up saving the end of a run', run_id: this.ids.runId });
      return;
    }
    const delay = FINAL_SAVE_BACKOFF_MS[Math.min(attempt, FINAL_SAVE_BACKOFF_MS.length - 1)];
    setTimeout(() => {
      save().then(
        () =>
          RunRecorder.logger.log({ msg: 'saved the end of a run after the database returned', run_id: this.ids.runId }),
        (err: unknown) => {
          if (isDatabaseUnavailable(err)) this.retryInBackground(save, attempt + 1, started);
        },
      );
    }, delay).unref();
  }

  private enqueue(write: () => Promise<void>): void {
    this.writes = this.writes
      .then(() => this.retryWhileBusy(write))
      .catch((err: unknown) => {
        RunRecorder.logger.error({ msg: 'could not save run progress', run_id: this.ids.runId, error: String(err) });
        if (isDatabaseUnavailable(err)) this.markStorageLost();
      });
  }

  /**
   * Overload is not an outage: when every pool connection stayed in use, the write is tried again (in order: the
   * run's later writes wait behind it) instead of the run being stopped as if the database were gone.
   */
  private async retryWhileBusy(write: () => Promise<void>): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await write();
      } catch (err) {
        if (attempt >= BUSY_RETRIES || databaseFailure(err) !== 'busy') throw err;
        RunRecorder.logger.warn({
          msg: 'run record not saved: the database pool is busy; retrying',
          run_id: this.ids.runId,
        });
        await new Promise((resolve) => setTimeout(resolve, BUSY_RETRY_MS));
      }
    }
  }
}
