import { Logger } from '@nestjs/common';
import { TaskQueue, type TaskRunner } from './task-queue.js';

/**
 * The one-process queue (no REDIS_URL): ids in memory, first in first out, at most `concurrency` running, a retry
 * put back after `backoffMs` doubled per retry. Nothing survives the process; the task records do, and the worker
 * takes unfinished ones up again at boot.
 */
export class InProcessTaskQueue extends TaskQueue {
  readonly shared = false;
  private readonly logger = new Logger('TaskQueue');
  private readonly waiting: string[] = [];
  private readonly delayed = new Map<string, NodeJS.Timeout>();
  private readonly retries = new Map<string, number>();
  private readonly active = new Map<string, Promise<void>>();
  private run?: TaskRunner;
  private stopped = false;

  constructor(private readonly options: { concurrency: number; backoffMs: number }) {
    super();
  }

  add(taskId: string): Promise<void> {
    if (!this.active.has(taskId) && !this.delayed.has(taskId) && !this.waiting.includes(taskId)) {
      this.waiting.push(taskId);
      this.pump();
    }
    return Promise.resolve();
  }

  remove(taskId: string): Promise<void> {
    const at = this.waiting.indexOf(taskId);
    if (at >= 0) this.waiting.splice(at, 1);
    clearTimeout(this.delayed.get(taskId));
    this.delayed.delete(taskId);
    this.retries.delete(taskId);
    return Promise.resolve();
  }

  work(run: TaskRunner): void {
    this.run = run;
    this.pump();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.delayed.values()) clearTimeout(timer);
    this.delayed.clear();
    await Promise.allSettled(this.active.values());
  }

  private pump(): void {
    while (this.run && !this.stopped && this.active.size < this.options.concurrency && this.waiting.length) {
      this.start(this.run, this.waiting.shift()!);
    }
  }

  private start(run: TaskRunner, taskId: string): void {
    const attempt = run(taskId)
      .catch((err: unknown) => {
        this.logger.error({
          msg: 'task attempt failed',
          task_id: taskId,
          error: err instanceof Error ? err.stack : err,
        });
        return 'retry' as const;
      })
      .then((result) => {
        if (result === 'retry' && !this.stopped) this.retryLater(taskId);
        else this.retries.delete(taskId);
      })
      .finally(() => {
        this.active.delete(taskId);
        this.pump();
      });
    this.active.set(taskId, attempt);
  }

  private retryLater(taskId: string): void {
    const retry = (this.retries.get(taskId) ?? 0) + 1;
    this.retries.set(taskId, retry);
    const timer = setTimeout(
      () => {
        this.delayed.delete(taskId);
        void this.add(taskId);
      },
      this.options.backoffMs * 2 ** (retry - 1),
    ).unref();
    this.delayed.set(taskId, timer);
  }
}
