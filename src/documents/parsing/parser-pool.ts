import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { ParserQueueFull, ParserShuttingDown } from '../documents.errors.js';
import { ParseFailed } from './parse-failed.error.js';
import type { ParseJob, ParseReply } from './parse-job.js';
import type { PreparedText } from './text-pipeline.js';

// Resolved beside this file both in src/ (Jest) and in dist/src/ (nest-cli copies *.mjs as assets).
const WORKER_FILE = join(__dirname, 'worker', 'parse.worker.mjs');
const POOL_SIZE = Math.max(1, Math.min(4, availableParallelism()));
// A pathological file must not hold a worker forever, nor take the process down with it.
const PARSE_TIMEOUT_MS = 60_000;
const WORKER_HEAP_MB = 512;
const MAX_QUEUED = 64;

interface Pending {
  job: ParseJob & { id: number };
  resolve(value: PreparedText): void;
  reject(reason: unknown): void;
}

interface Slot {
  worker: Worker;
  current?: Pending;
  timer?: NodeJS.Timeout;
}

/**
 * A small pool of worker threads that turn an upload's bytes into its text and passages off the event loop
 * (decoding, PDF, DOCX and HTML parsing, normalizing, chunking). Workers start on demand, take
 * one job at a time, and are replaced when they time out, run out of their heap limit, or crash; jobs beyond the
 * pool size wait in a bounded queue.
 */
@Injectable()
export class ParserPool implements OnModuleDestroy {
  private readonly slots: Slot[] = [];
  private readonly queue: Pending[] = [];
  private nextId = 1;
  private closed = false;

  parse(job: ParseJob): Promise<PreparedText> {
    if (this.closed) return Promise.reject(new ParserShuttingDown());
    if (this.queue.length >= MAX_QUEUED) {
      return Promise.reject(new ParserQueueFull());
    }
    return new Promise<PreparedText>((resolve, reject) => {
      this.queue.push({ job: { ...job, id: this.nextId++ }, resolve, reject });
      this.dispatch();
    });
  }

  async onModuleDestroy(): Promise<void> {
    this.closed = true;
    for (const pending of this.queue.splice(0)) pending.reject(new ParserShuttingDown());
    await Promise.all(this.slots.splice(0).map((slot) => this.retire(slot, new Error('Parser pool closed'))));
  }

  private dispatch(): void {
    while (this.queue.length && !this.closed) {
      const slot = this.slots.find((s) => !s.current) ?? (this.slots.length < POOL_SIZE ? this.spawn() : undefined);
      if (!slot) return;
      this.assign(slot, this.queue.shift()!);
    }
  }

  private spawn(): Slot {
    const worker = new Worker(WORKER_FILE, { resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB } });
    // Idle workers must not keep the process (or a test run) alive.
    worker.unref();
    const slot: Slot = { worker };
    worker.on('message', (reply: ParseReply) => this.settle(slot, reply));
    worker.on('error', (err: Error & { code?: string }) => {
      const tooLarge = err.code === 'ERR_WORKER_OUT_OF_MEMORY';
      void this.retire(
        slot,
        tooLarge ? new ParseFailed('TOO_LARGE', 'The document needs too much memory to parse') : err,
      );
    });
    worker.on('exit', () => void this.retire(slot, new Error('Parser worker exited unexpectedly')));
    this.slots.push(slot);
    return slot;
  }

  private assign(slot: Slot, pending: Pending): void {
    slot.current = pending;
    slot.timer = setTimeout(
      () => void this.retire(slot, new ParseFailed('TIMEOUT', 'The document took too long to parse')),
      PARSE_TIMEOUT_MS,
    );
    const { job } = pending;
    // Move a private copy: the caller's Buffer may be a view into Node's shared pool, which must never be detached.
    const bytes = new Uint8Array(job.bytes);
    slot.worker.postMessage({ ...job, bytes }, [bytes.buffer]);
  }

  private settle(slot: Slot, reply: ParseReply): void {
    const pending = this.release(slot);
    if (!pending || reply.id !== pending.job.id) return;
    if (reply.ok) pending.resolve({ kind: reply.kind, text: reply.text, title: reply.title, chunks: reply.chunks });
    else pending.reject(new ParseFailed(reply.reason, reply.message));
    this.dispatch();
  }

  /** Removes a worker from the pool (terminating it) and fails the job it held. */
  private async retire(slot: Slot, reason: unknown): Promise<void> {
    const index = this.slots.indexOf(slot);
    if (index !== -1) this.slots.splice(index, 1);
    this.release(slot)?.reject(reason);
    slot.worker.removeAllListeners('exit');
    await slot.worker.terminate().catch(() => undefined);
    this.dispatch();
  }

  private release(slot: Slot): Pending | undefined {
    clearTimeout(slot.timer);
    const pending = slot.current;
    slot.current = undefined;
    return pending;
  }
}
