import type { TaskEntity, TaskError, TaskType } from '../entities/task.entity.js';

/** Why an attempt's signal was aborted: the task was cancelled, or this process is shutting down. */
export class TaskStopped extends Error {
  constructor(readonly why: 'cancelled' | 'shutdown') {
    super(why);
    this.name = 'TaskStopped';
  }
}

/** One attempt at a task, as a handler sees it. */
export interface TaskAttempt {
  /** The task as this attempt started it: `attempts` is this attempt's number. */
  task: TaskEntity;
  /** Aborted (with a `TaskStopped`) when the task is cancelled or this process shuts down. */
  signal: AbortSignal;
  progress(value: number): Promise<void>;
  /** Records the run an `agent.run` attempt follows; false when the task was decided elsewhere meanwhile. */
  recordRun(runId: string): Promise<boolean>;
}

export type AttemptOutcome =
  | {
      status: 'completed';
      result: Record<string, unknown>;
      /** Undoes the work when the task turns out to have been cancelled meanwhile. */
      discard?: () => Promise<void>;
    }
  | { status: 'failed'; error: TaskError }
  /** A failure a later attempt may not meet (a dead worker, an outage, a limit): retried after a backoff. */
  | { status: 'retry'; error: TaskError }
  | { status: 'cancelled' };

/** Does the work of one task type. Throwing is allowed: the worker turns the error into an outcome. */
export interface TaskHandler {
  readonly type: TaskType;
  run(attempt: TaskAttempt): Promise<AttemptOutcome>;
}
