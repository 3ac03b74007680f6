import {
  BeforeApplicationShutdown,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnModuleDestroy,
  OnModuleInit,
} from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { ClusterEvents, clusterChannel } from '../cluster/cluster-events.js';
import { AppError, type ErrorCode } from '../common/errors/app.error.js';
import { isDatabaseUnavailable } from '../common/errors/database-unavailable.js';
import { isRedisUnavailable } from '../common/errors/redis-unavailable.js';
import { AppConfig } from '../config/app-config.js';
import type { TaskEntity, TaskError, TaskType } from './entities/task.entity.js';
import { AgentRunHandler } from './handlers/agent-run.handler.js';
import { DocumentIngestHandler } from './handlers/document-ingest.handler.js';
import { TaskStopped, type AttemptOutcome, type TaskHandler } from './handlers/task-handler.js';
import { TaskQueue, type AttemptResult } from './queue/task-queue.js';
import { TasksRepository } from './tasks.repository.js';

/** Tells every process that a task was cancelled: the one running it stops it. */
export const TASK_CANCELLED = clusterChannel<{ taskId: string }>('tasks.cancelled');

/** Refusals that a later attempt may not meet: limits, a conversation busy for now, an outage. */
const RETRYABLE: ReadonlySet<ErrorCode> = new Set([
  'RATE_LIMITED',
  'TOO_MANY_ACTIVE_RUNS',
  'CONVERSATION_BUSY',
  'IDEMPOTENCY_IN_PROGRESS',
  'SERVICE_UNAVAILABLE',
]);

/** How long shutdown waits for stopped attempts to record themselves. */
const SHUTDOWN_SAVE_MS = 5000;

/**
 * Runs task attempts in processes whose role runs tasks (`all`, `worker`): takes a task from the queue, starts an
 * attempt on its record (one more attempt, fenced), hands it to its type's handler and records the outcome. A
 * retryable failure goes back to the queue (backoff) while attempts remain, else the task fails with that error.
 * A cancel reaches the attempt wherever it runs (ClusterEvents); shutting down stops the attempts in hand, which
 * are retried (by another worker with Redis, at the next boot without).
 */
@Injectable()
export class TaskWorker implements OnModuleInit, OnApplicationBootstrap, OnModuleDestroy, BeforeApplicationShutdown {
  private readonly logger = new Logger(TaskWorker.name);
  private readonly handlers: ReadonlyMap<TaskType, TaskHandler>;
  private readonly running = new Map<string, AbortController>();
  private unsubscribe?: () => void;
  private working = false;

  constructor(
    private readonly queue: TaskQueue,
    private readonly tasks: TasksRepository,
    private readonly events: ClusterEvents,
    private readonly config: AppConfig,
    agentRun: AgentRunHandler,
    documentIngest: DocumentIngestHandler,
  ) {
    this.handlers = new Map<TaskType, TaskHandler>([
      [agentRun.type, agentRun],
      [documentIngest.type, documentIngest],
    ]);
  }

  onModuleInit(): void {
    this.unsubscribe = this.events.subscribe(TASK_CANCELLED, ({ taskId }) =>
      this.running.get(taskId)?.abort(new TaskStopped('cancelled')),
    );
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.processRole === 'api') return;
    if (!this.queue.shared) {
      // One process owns an in-process queue: what it held when it stopped is taken up again.
      for (const id of await this.tasks.unfinishedIds()) await this.queue.add(id);
    }
    this.working = true;
    this.queue.work((taskId) => this.attempt(taskId));
  }

  /** Stops taking tasks and waits, at most `graceMs`, for those in hand to finish on their own. */
  async drain(graceMs: number): Promise<void> {
    if (!this.working) return;
    await Promise.race([this.queue.stop(), sleep(graceMs, undefined, { ref: false })]);
  }

  /** First of the shutdown hooks: attempts still going are stopped before the runs they follow are. */
  onModuleDestroy(): void {
    this.unsubscribe?.();
    for (const attempt of this.running.values()) attempt.abort(new TaskStopped('shutdown'));
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (!this.working) return;
    await Promise.race([this.queue.stop(), sleep(SHUTDOWN_SAVE_MS, undefined, { ref: false })]);
  }

  /** Tasks this process is running now. */
  get size(): number {
    return this.running.size;
  }

  /** One attempt at a task, start to recorded outcome. Never rejects. */
  async attempt(taskId: string): Promise<AttemptResult> {
    const { maxAttempts } = this.config.tasks;
    let task: TaskEntity | null;
    try {
      task = await this.tasks.claim(taskId, maxAttempts);
      if (!task) {
        // Finished, cancelled, or out of attempts with its last worker gone: nothing to run.
        await this.tasks.giveUp(taskId, maxAttempts, {
          code: 'INTERRUPTED',
          message: `The task was interrupted on each of its ${maxAttempts} attempts`,
        });
        return 'done';
      }
    } catch (err) {
      this.logger.warn({ msg: 'could not start a task attempt', task_id: taskId, error: String(err) });
      return 'retry';
    }
    const controller = new AbortController();
    this.running.set(task.id, controller);
    try {
      const outcome = await this.outcomeOf(task, controller.signal);
      return await this.record(task, outcome);
    } catch (err) {
      this.logger.warn({ msg: 'could not record a task attempt', task_id: task.id, error: String(err) });
      return 'retry';
    } finally {
      this.running.delete(task.id);
    }
  }

  private async outcomeOf(task: TaskEntity, signal: AbortSignal): Promise<AttemptOutcome> {
    const handler = this.handlers.get(task.type)!;
    const attempt = task.attempts;
    try {
      return await handler.run({
        task,
        signal,
        progress: async (value) => {
          await this.tasks.setProgress(task.id, attempt, value);
        },
        recordRun: (runId) => this.tasks.setRunId(task.id, attempt, runId),
      });
    } catch (err) {
      return this.failure(task, err);
    }
  }

  private async record(task: TaskEntity, outcome: AttemptOutcome): Promise<AttemptResult> {
    const { id, attempts } = task;
    switch (outcome.status) {
      case 'completed':
        if (!(await this.tasks.complete(id, attempts, outcome.result))) await outcome.discard?.();
        return 'done';
      case 'failed':
        await this.tasks.fail(id, attempts, outcome.error);
        return 'done';
      case 'cancelled':
        await this.tasks.cancelled(id, attempts);
        return 'done';
      case 'retry':
        this.logger.warn({
          msg: 'task attempt failed; it may be retried',
          task_id: id,
          attempt: attempts,
          ...outcome.error,
        });
        if (attempts >= this.config.tasks.maxAttempts) {
          await this.tasks.fail(id, attempts, outcome.error);
          return 'done';
        }
        return (await this.tasks.requeue(id, attempts)) ? 'retry' : 'done';
    }
  }

  /** A handler's error as an outcome: coded refusals by their code, outages retried, anything else a bug. */
  private failure(task: TaskEntity, err: unknown): AttemptOutcome {
    if (err instanceof AppError) {
      const error = { code: err.code, message: err.message };
      return RETRYABLE.has(err.code) ? { status: 'retry', error } : { status: 'failed', error };
    }
    if (isDatabaseUnavailable(err) || isRedisUnavailable(err)) {
      return { status: 'retry', error: { code: 'SERVICE_UNAVAILABLE', message: 'A dependency was unavailable' } };
    }
    this.logger.error({ msg: 'task failed', task_id: task.id, error: err instanceof Error ? err.stack : String(err) });
    return { status: 'failed', error: internalError() };
  }
}

function internalError(): TaskError {
  return { code: 'INTERNAL_ERROR', message: 'The task failed unexpectedly' };
}
