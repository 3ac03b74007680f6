import type { OnModuleDestroy } from '@nestjs/common';
import type { LoggedRunEvent, RunStreamEvent } from '../run-stream-event.js';
import { RunEventLog } from './run-event-log.js';
import { waitForWake } from './wait-for-wake.js';

interface Log {
  readonly events: LoggedRunEvent[];
  closed: boolean;
  /** Followers waiting for the next event. */
  wakers: Array<() => void>;
  bytes: number;
}

/** Rough heap cost of an event beyond its strings: the two objects and their slots. */
const EVENT_OVERHEAD_BYTES = 120;
const EXPIRY_SWEEP_MS = 60_000;

function sizeOf(event: RunStreamEvent): number {
  return EVENT_OVERHEAD_BYTES + (event.type === 'text_delta' ? event.text.length * 2 : JSON.stringify(event).length);
}

/**
 * The one-process event log: each run's events in an array. Finished logs are kept `ttlMs`, and, since they live in
 * this process's heap, at most `maxBytes` of them: past that the oldest finished ones go first (their replay is then
 * 410, like an expired one). A process that dies takes its logs with it.
 */
export class MemoryRunEventLog extends RunEventLog implements OnModuleDestroy {
  private readonly logs = new Map<string, Log>();
  /** Finished runs, in the order they finished, with the time each expires. */
  private readonly finished = new Map<string, number>();
  private finishedBytes = 0;
  private sweeper?: NodeJS.Timeout;

  constructor(
    private readonly ttlMs: number,
    private readonly maxBytes: number,
    private readonly now: () => number = Date.now,
  ) {
    super();
  }

  open(runId: string): void {
    this.logs.set(runId, { events: [], closed: false, wakers: [], bytes: 0 });
  }

  append(runId: string, event: RunStreamEvent): number {
    const log = this.logs.get(runId);
    if (!log || log.closed) throw new Error(`run ${runId} has no open event log`);
    const id = log.events.length + 1;
    log.events.push({ id, event });
    log.bytes += sizeOf(event);
    this.wake(log);
    return id;
  }

  close(runId: string): void {
    const log = this.logs.get(runId);
    if (!log || log.closed) return;
    log.closed = true;
    this.wake(log);
    this.finished.set(runId, this.now() + this.ttlMs);
    this.finishedBytes += log.bytes;
    this.sweeper ??= setInterval(() => this.expire(), EXPIRY_SWEEP_MS).unref();
    this.evictOverBudget();
  }

  discard(runId: string): void {
    const log = this.logs.get(runId);
    if (!log) return;
    this.drop(runId, log);
  }

  follow(runId: string, after: number, signal: AbortSignal): Promise<AsyncIterable<LoggedRunEvent> | undefined> {
    this.expire();
    const log = this.logs.get(runId);
    return Promise.resolve(log ? this.followLog(log, after, signal) : undefined);
  }

  lastId(runId: string): Promise<number | undefined> {
    this.expire();
    return Promise.resolve(this.logs.get(runId)?.events.length);
  }

  endOrphan(runId: string, events: RunStreamEvent[]): Promise<void> {
    const log = this.logs.get(runId);
    if (log && !log.closed) {
      for (const event of events) this.append(runId, event);
      this.close(runId);
    }
    return Promise.resolve();
  }

  /** Stops the expiry timer; the logs stay readable. */
  onModuleDestroy(): void {
    clearInterval(this.sweeper);
    this.sweeper = undefined;
  }

  private async *followLog(log: Log, after: number, signal: AbortSignal): AsyncGenerator<LoggedRunEvent> {
    let next = Math.max(0, after);
    for (;;) {
      while (next < log.events.length) yield log.events[next++];
      if (log.closed || signal.aborted) return;
      await waitForWake((wake) => log.wakers.push(wake), signal);
    }
  }

  private wake(log: Log): void {
    if (!log.wakers.length) return;
    const wakers = log.wakers;
    log.wakers = [];
    for (const wake of wakers) wake();
  }

  /** Drops finished logs past their time: every minute, and before each read (cheap: it stops at the first kept). */
  private expire(): void {
    const now = this.now();
    for (const [runId, expiresAt] of this.finished) {
      if (expiresAt > now) break;
      this.drop(runId, this.logs.get(runId));
    }
  }

  private evictOverBudget(): void {
    for (const runId of this.finished.keys()) {
      if (this.finishedBytes <= this.maxBytes) return;
      this.drop(runId, this.logs.get(runId));
    }
  }

  private drop(runId: string, log: Log | undefined): void {
    this.logs.delete(runId);
    if (this.finished.delete(runId) && log) this.finishedBytes -= log.bytes;
    // Followers of a discarded log stop rather than wait forever.
    if (log && !log.closed) {
      log.closed = true;
      this.wake(log);
    }
  }
}
