/** What became of one attempt at a task, for its queue: `retry` puts it back after a backoff. */
export type AttemptResult = 'done' | 'retry';

/** Runs one attempt at the task with this id (its record says what to do). Never rejects for the task's failures. */
export type TaskRunner = (taskId: string) => Promise<AttemptResult>;

/**
 * Moves tasks to the processes that run them. The task records live in PostgreSQL; a queue carries only their ids.
 * With REDIS_URL it is BullMQ (shared by every process; a job whose worker died is handed to another); without it,
 * an in-process queue with the same behaviour for one process.
 */
export abstract class TaskQueue {
  /** True when jobs survive this process (the queue is shared): nothing to take up again at boot. */
  abstract readonly shared: boolean;

  /** Queues a stored task. */
  abstract add(taskId: string): Promise<void>;

  /** Takes a task off the queue if it has not started (best effort: a worker that takes it finds it cancelled). */
  abstract remove(taskId: string): Promise<void>;

  /** Starts handing tasks to `run`, at most `concurrency` at once (in processes whose role runs tasks). */
  abstract work(run: TaskRunner): void;

  /** Stops taking tasks; resolves once the ones in hand have returned. */
  abstract stop(): Promise<void>;
}
