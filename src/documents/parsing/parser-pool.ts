import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import { availableParallelism } from 'node:os';
import { MessageChannel } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { AppConfig, type ParserConfig } from '../../config/app-config.js';
import { ParserQueueFull, ParserShuttingDown, TooManyUploadsParsing } from '../documents.errors.js';
import { ParseFailed } from './parse-failed.error.js';
import type { ParseJob, ParserLimits, ParseReply, ParseTask, WorkerNotice } from './parse-job.js';
import type { PreparedText } from './text-pipeline.js';

/** Injection token of the file piscina runs as the parse task (`PARSER_WORKER_FILE_PATH` unless a test says). */
export const PARSER_WORKER_FILE = Symbol('PARSER_WORKER_FILE');

const POOL_SIZE = Math.max(1, Math.min(4, availableParallelism()));
// Uploads waiting for a worker, all users together: each holds its bytes (up to 25 MiB) in memory meanwhile.
const MAX_QUEUED = 64;
// A worker that loaded pdf.js keeps it for the next PDF; one idle this long is ended.
const IDLE_WORKER_MS = 30_000;
const RETRY_AFTER_SECONDS = 5;
const MiB = 1024 * 1024;

export interface ParseOptions {
  /** Whose upload: each user's jobs wait in a queue of their own, and the queues are served in turn. */
  userId?: string;
  /** Aborting (the client went away) drops a waiting job, or ends the worker running it. */
  signal?: AbortSignal;
}

interface Pending {
  job: ParseJob;
  userId: string;
  signal?: AbortSignal;
  resolve(value: PreparedText): void;
  reject(reason: unknown): void;
  dequeue(): void;
}

/**
 * A pool of worker threads (piscina) that turn an upload's bytes into its text and passages off the event loop
 * (decoding, PDF, DOCX and HTML parsing, normalizing, chunking), shared fairly between users.
 *
 * Jobs wait in one queue per user, and a free worker takes the next job of the next user in turn, skipping users
 * who already have `jobsPerUser` jobs running: one user's heavy files hold at most that many workers, and another
 * user's small upload starts at the next free one instead of waiting behind them. A user with `queuePerUser` jobs
 * waiting gets 429 for more; only when every user's waiting jobs together fill MAX_QUEUED does the pool answer 503.
 *
 * Piscina only ever holds as many jobs as it has workers, so the order is decided here. A job is stopped (its worker
 * ended and replaced by piscina) when it passes the parse timeout, when the worker reports memory beyond its limit
 * (heap plus ArrayBuffers; the heap alone is also capped by `resourceLimits`), or when its caller aborts.
 */
@Injectable()
export class ParserPool implements OnModuleDestroy {
  private readonly piscina: Piscina<ParseTask, ParseReply>;
  private readonly limits: ParserLimits;
  private readonly parser: ParserConfig;
  /** Waiting jobs by user; the Map's order is the turn order (a served user moves to the back). */
  private readonly waiting = new Map<string, Pending[]>();
  private readonly runningByUser = new Map<string, number>();
  private readonly running = new Set<AbortController>();
  private waitingCount = 0;
  private closed = false;

  constructor(config: AppConfig, @Inject(PARSER_WORKER_FILE) workerFile: string) {
    this.parser = config.documents.parser;
    const memoryMb = this.parser.workerMemoryMb;
    this.limits = {
      maxPartBytes: this.parser.maxPartBytes,
      maxExpandedBytes: this.parser.maxExpandedBytes,
      maxPdfPages: this.parser.maxPdfPages,
      maxPdfTextOperators: this.parser.maxPdfTextOperators,
      maxHtmlDepth: this.parser.maxHtmlDepth,
      maxPassages: config.documents.maxPassagesPerDocument,
      memoryBytes: memoryMb * MiB,
    };
    this.piscina = new Piscina<ParseTask, ParseReply>({
      filename: workerFile,
      minThreads: 0,
      maxThreads: POOL_SIZE,
      idleTimeout: IDLE_WORKER_MS,
      concurrentTasksPerWorker: 1,
      atomics: 'disabled',
      resourceLimits: { maxOldGenerationSizeMb: memoryMb },
    });
  }

  parse(job: ParseJob, options: ParseOptions = {}): Promise<PreparedText> {
    if (this.closed) return Promise.reject(new ParserShuttingDown());
    if (options.signal?.aborted) return Promise.reject(options.signal.reason);
    const userId = options.userId ?? '';
    const queue = this.waiting.get(userId) ?? [];
    if (queue.length >= this.parser.queuePerUser && this.busyFor(userId)) {
      return Promise.reject(new TooManyUploadsParsing(queue.length, RETRY_AFTER_SECONDS));
    }
    if (this.waitingCount >= MAX_QUEUED) return Promise.reject(new ParserQueueFull());
    return new Promise<PreparedText>((resolve, reject) => {
      const pending: Pending = { job, userId, signal: options.signal, resolve, reject, dequeue: () => undefined };
      const onAbort = () => {
        pending.dequeue();
        reject(options.signal!.reason);
      };
      options.signal?.addEventListener('abort', onAbort, { once: true });
      pending.dequeue = () => {
        options.signal?.removeEventListener('abort', onAbort);
        this.remove(pending);
      };
      queue.push(pending);
      this.waiting.set(userId, queue);
      this.waitingCount++;
      this.dispatch();
    });
  }

  async onModuleDestroy(): Promise<void> {
    this.closed = true;
    for (const queue of this.waiting.values()) {
      for (const pending of [...queue]) {
        pending.dequeue();
        pending.reject(new ParserShuttingDown());
      }
    }
    for (const controller of this.running) controller.abort(new ParserShuttingDown());
    await this.piscina.destroy();
  }

  /** Whether a new job of this user would have to wait: all its running slots are taken. */
  private busyFor(userId: string): boolean {
    return (this.runningByUser.get(userId) ?? 0) >= this.parser.jobsPerUser || this.running.size >= POOL_SIZE;
  }

  private remove(pending: Pending): void {
    const queue = this.waiting.get(pending.userId);
    const index = queue?.indexOf(pending) ?? -1;
    if (!queue || index === -1) return;
    queue.splice(index, 1);
    this.waitingCount--;
    if (queue.length === 0) this.waiting.delete(pending.userId);
  }

  private dispatch(): void {
    while (!this.closed && this.running.size < POOL_SIZE) {
      const next = this.nextInTurn();
      if (!next) return;
      this.start(next);
    }
  }

  /** The oldest job of the first user in turn who may run one more; that user goes to the back of the turn. */
  private nextInTurn(): Pending | undefined {
    for (const [userId, queue] of this.waiting) {
      if ((this.runningByUser.get(userId) ?? 0) >= this.parser.jobsPerUser) continue;
      const pending = queue[0];
      pending.dequeue();
      const rest = this.waiting.get(userId);
      if (rest) {
        this.waiting.delete(userId);
        this.waiting.set(userId, rest);
      }
      return pending;
    }
    return undefined;
  }

  private start(pending: Pending): void {
    const { job, userId, signal } = pending;
    const controller = new AbortController();
    this.running.add(controller);
    this.runningByUser.set(userId, (this.runningByUser.get(userId) ?? 0) + 1);

    const timer = setTimeout(
      () => controller.abort(new ParseFailed('TIMEOUT', 'The document took too long to parse')),
      this.parser.timeoutMs,
    );
    const onCallerAbort = () => controller.abort(signal!.reason);
    signal?.addEventListener('abort', onCallerAbort, { once: true });
    const { port1, port2 } = new MessageChannel();
    port1.on('message', ({ memoryBytes }: WorkerNotice) => {
      controller.abort(
        new ParseFailed(
          'TOO_LARGE',
          `The document needs more than ${this.parser.workerMemoryMb} MiB of memory to parse ` +
            `(the limit for one document; it reached ${Math.round(memoryBytes / MiB)} MiB)`,
        ),
      );
    });
    // Move a private copy: the caller's Buffer may be a view into Node's shared pool, which must never be detached.
    const bytes = new Uint8Array(job.bytes);
    const task: ParseTask = { job: { ...job, bytes }, limits: this.limits, port: port2 };

    this.piscina
      .run(task, { signal: controller.signal, transferList: [bytes.buffer, port2] })
      .then(
        (reply) => {
          if (controller.signal.aborted) pending.reject(controller.signal.reason);
          else if (reply.ok) {
            pending.resolve({ kind: reply.kind, text: reply.text, title: reply.title, chunks: reply.chunks });
          } else pending.reject(new ParseFailed(reply.reason, reply.message));
        },
        (err: Error & { code?: string }) => {
          if (controller.signal.aborted) pending.reject(controller.signal.reason);
          else if (err.code === 'ERR_WORKER_OUT_OF_MEMORY') {
            pending.reject(
              new ParseFailed(
                'TOO_LARGE',
                `The document needs more than ${this.parser.workerMemoryMb} MiB of memory to parse ` +
                  '(the limit for one document)',
              ),
            );
          } else pending.reject(err);
        },
      )
      .finally(() => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onCallerAbort);
        port1.close();
        this.running.delete(controller);
        const left = (this.runningByUser.get(userId) ?? 1) - 1;
        if (left > 0) this.runningByUser.set(userId, left);
        else this.runningByUser.delete(userId);
        this.dispatch();
      });
  }
}
