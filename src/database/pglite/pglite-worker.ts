import { Logger } from '@nestjs/common';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Worker } from 'node:worker_threads';
import { PGLITE_SETTINGS, pgliteStartParams } from './pglite-settings.js';

// Resolved beside this file both in src/ (Jest) and in dist/src/ (nest-cli copies *.mjs as assets).
const WORKER_FILE = join(__dirname, 'pglite.worker.mjs');
const CREATE_FILE = join(__dirname, 'pglite-create.mjs');

type Answer = { type?: undefined; id: number; bytes?: Uint8Array; heapUsed?: number; error?: string };
type BootMessage = { type: 'ready' } | { type: 'failed'; message: string };

interface Pending {
  resolve(answer: Answer): void;
  reject(err: Error): void;
}

/** The message the database-failure classification knows for an embedded database that is gone. */
const closedError = (why?: string) => new Error(why ? `PGlite is closed: ${why}` : 'PGlite is closed');

/**
 * Embedded PGlite in a worker thread of its own. PGlite runs PostgreSQL compiled to WebAssembly, and each call
 * runs to its end without yielding: in the app's thread, a run start, a batch of progress saves or a search over
 * 100,000 passages held up every open stream for as long as it took. Here the statements run beside the event
 * loop; the app's thread only serializes protocol messages and parses the answers. One exchange costs about 0.2 ms
 * of CPU more than a call in the same thread.
 */
export class PgliteWorker {
  private static readonly logger = new Logger('PgliteWorker');
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private gone?: Error;

  private constructor(private readonly worker: Worker) {
    worker.on('message', (answer: Answer) => this.settle(answer));
    // Not closed by us: the database is gone until the process restarts (requests answer 503 meanwhile).
    worker.on('error', (err) => this.lost(`its worker failed (${err.message})`));
    worker.on('exit', (code) => this.lost(`its worker exited (code ${code})`));
  }

  /**
   * Starts the worker and opens (or creates) the database in `dataDir`, with `settings` over `PGLITE_SETTINGS`;
   * rejects with PGlite's reason if it cannot.
   */
  static async start(dataDir: string, settings: Readonly<Record<string, string>> = {}): Promise<PgliteWorker> {
    const startParams = pgliteStartParams({ ...PGLITE_SETTINGS, ...settings });
    if (!dataDir.startsWith('memory://') && !existsSync(join(dataDir, 'PG_VERSION'))) {
      await PgliteWorker.create(dataDir, startParams);
    }
    return new PgliteWorker(await PgliteWorker.boot(dataDir, startParams));
  }

  /**
   * Creates the database in a short-lived process: what initdb leaves behind (see pglite-create.mjs) goes with it, so
   * a first start idles like every later one (docs/PERFORMANCE.md, PGlite settings and footprint).
   */
  private static async create(dataDir: string, startParams: string[]): Promise<void> {
    try {
      await promisify(execFile)(process.execPath, [CREATE_FILE, dataDir, JSON.stringify(startParams)]);
    } catch (err) {
      const why = (err as { stderr?: string }).stderr?.trim() || (err as Error).message;
      throw new Error(`PGlite could not create ${dataDir}: ${why}`, { cause: err });
    }
  }

  private static async boot(dataDir: string, startParams: string[]): Promise<Worker> {
    const worker = new Worker(WORKER_FILE, { workerData: { dataDir, startParams } });
    let onMessage!: (m: BootMessage) => void;
    let onError!: (err: Error) => void;
    let onExit!: (code: number) => void;
    try {
      await new Promise<void>((resolve, reject) => {
        onMessage = (m) =>
          m.type === 'ready' ? resolve() : reject(new Error(`PGlite could not open ${dataDir}: ${m.message}`));
        onError = reject;
        onExit = (code) => reject(new Error(`PGlite's worker exited during boot (code ${code})`));
        worker.on('message', onMessage).on('error', onError).on('exit', onExit);
      });
    } catch (err) {
      await worker.terminate();
      throw err;
    } finally {
      // Only these: Node's Worker keeps listeners of its own on itself (they ref its message port).
      worker.off('message', onMessage).off('error', onError).off('exit', onExit);
    }
    return worker;
  }

  get closed(): boolean {
    return this.gone !== undefined;
  }

  /** Why calls fail now ("PGlite is closed…"); only meaningful once `closed`. */
  closedReason(): Error {
    return this.gone ?? closedError();
  }

  /** Runs frontend protocol messages (one or more, in one buffer); resolves with the backend's raw answer. */
  async exec(messages: Uint8Array): Promise<Uint8Array> {
    // A buffer of its own can be handed over without a copy; a view into a shared one (Node's pool) must not be.
    const own = messages.byteLength === messages.buffer.byteLength ? messages : new Uint8Array(messages);
    const answer = await this.ask({ type: 'exec', bytes: own }, [own.buffer as ArrayBuffer]);
    return answer.bytes ?? new Uint8Array(0);
  }

  /** The worker thread's JS heap in use, in bytes (the database's own memory, WebAssembly's, is not in it). */
  async heapUsed(): Promise<number> {
    return (await this.ask({ type: 'heap' })).heapUsed ?? 0;
  }

  /** Closes the database (PGlite flushes and shuts down), then the worker. Later calls fail as "PGlite is closed". */
  async close(): Promise<void> {
    if (this.gone) return;
    try {
      await this.ask({ type: 'close' });
    } finally {
      this.fail(closedError());
      await this.worker.terminate();
    }
  }

  private ask(message: { type: string; bytes?: Uint8Array }, transfer: ArrayBuffer[] = []): Promise<Answer> {
    if (this.gone) return Promise.reject(this.gone);
    const id = this.nextId++;
    return new Promise<Answer>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...message, id }, transfer);
    });
  }

  private settle(answer: Answer): void {
    const waiting = this.pending.get(answer.id);
    if (!waiting) return;
    this.pending.delete(answer.id);
    if (answer.error !== undefined) waiting.reject(new Error(answer.error));
    else waiting.resolve(answer);
  }

  private lost(why: string): void {
    if (this.gone) return;
    PgliteWorker.logger.error({ msg: 'the embedded database stopped', reason: why });
    this.fail(closedError(why));
  }

  /** From now on every call fails with `err`; what was waiting fails with it too. */
  private fail(err: Error): void {
    this.gone ??= err;
    for (const waiting of this.pending.values()) waiting.reject(this.gone);
    this.pending.clear();
  }
}
