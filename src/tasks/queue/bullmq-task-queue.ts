import { Logger } from '@nestjs/common';
import { Worker, type ConnectionOptions, type Queue } from 'bullmq';
import { TaskQueue, type TaskRunner } from './task-queue.js';

export const TASKS_QUEUE = 'tasks';

export interface BullTaskQueueOptions {
  connection: ConnectionOptions;
  prefix: string;
  concurrency: number;
  maxAttempts: number;
  backoffMs: number;
  lockMs: number;
}

/** Thrown to BullMQ for an attempt that ended in a retryable failure: it retries the job after its backoff. */
class RetryLater extends Error {
  constructor() {
    super('retry later');
  }
}

/**
 * Tasks as BullMQ jobs (REDIS_URL), one per task, the job id being the task id (adding it twice is a no-op). The
 * worker's hold on a job is a lock renewed while it runs; a worker that dies stops renewing, and another worker's
 * stalled-job check hands the job back to the queue after `lockMs`. The task record counts attempts and decides
 * when to give up, so BullMQ's own limits are set not to decide first. The worker is created here, from the
 * configuration, only in processes that run tasks, and once the application has booted.
 */
export class BullTaskQueue extends TaskQueue {
  readonly shared = true;
  private readonly logger = new Logger('TaskQueue');
  private worker?: Worker;

  constructor(
    private readonly queue: Queue,
    private readonly options: BullTaskQueueOptions,
  ) {
    super();
  }

  async add(taskId: string): Promise<void> {
    await this.queue.add(
      'task',
      { taskId },
      {
        jobId: taskId,
        attempts: this.options.maxAttempts,
        backoff: { type: 'exponential', delay: this.options.backoffMs },
        removeOnComplete: true,
        removeOnFail: true,
      },
    );
  }

  async remove(taskId: string): Promise<void> {
    // An active job is locked and stays: its worker is told through ClusterEvents and stops it.
    await this.queue.remove(taskId).catch(() => 0);
  }

  work(run: TaskRunner): void {
    const { connection, prefix, concurrency, lockMs, maxAttempts } = this.options;
    this.worker = new Worker<{ taskId: string }>(
      this.queue.name,
      async (job) => {
        if ((await run(job.data.taskId)) === 'retry') throw new RetryLater();
      },
      {
        connection,
        prefix,
        concurrency,
        lockDuration: lockMs,
        stalledInterval: lockMs,
        maxStalledCount: maxAttempts,
      },
    );
    this.worker.on('error', (err) => this.logger.warn({ msg: 'task worker error', error: err.message }));
  }

  async stop(): Promise<void> {
    await this.worker?.close();
  }
}
