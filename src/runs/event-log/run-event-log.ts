import type { LoggedRunEvent, RunStreamEvent } from '../run-stream-event.js';

/**
 * The event log of every run: clients watch a run by following its log, they do not own it. Events get ids 1, 2,
 * 3… within their run as they are appended; a follower replays the events after the id it last saw, then gets the
 * new ones as they come, and stops after `run_finished`. The instance driving a run appends; any instance follows.
 * A finished run's log is kept RUN_EVENTS_TTL_S, then dropped (the answer stays in the conversation's history).
 *
 * In one process (no REDIS_URL) the log is in memory; with REDIS_URL it is a Redis Stream per run, so a client can
 * resume on any instance.
 */
export abstract class RunEventLog {
  /**
   * Starts the log of a run this instance drives. `onLost` is called (once) if the log's store fails: the run's
   * events can no longer be kept, and the run should stop.
   */
  abstract open(runId: string, onLost?: (err: unknown) => void): void;

  /** Appends an event to a run this instance opened; returns its id. */
  abstract append(runId: string, event: RunStreamEvent): number;

  /** After the run's last event (`run_finished`): the log is kept for RUN_EVENTS_TTL_S from now. */
  abstract close(runId: string): void;

  /** Forgets a log opened for a run that was never stored (its start failed). */
  abstract discard(runId: string): void;

  /**
   * The run's events after `after`, then live ones, ending after `run_finished` (or when `signal` aborts).
   * Undefined when no log is kept for the run: never written here, expired, or lost with a process.
   */
  abstract follow(
    runId: string,
    after: number,
    signal: AbortSignal,
  ): Promise<AsyncIterable<LoggedRunEvent> | undefined>;

  /** The id of the run's last event, or undefined when no log is kept for it. */
  abstract lastId(runId: string): Promise<number | undefined>;

  /**
   * Ends the log of a run whose driving instance died (found by another instance's sweep): appends `events` after
   * whatever the log holds and closes it. A no-op where no log is kept for the run.
   */
  abstract endOrphan(runId: string, events: RunStreamEvent[]): Promise<void>;
}
