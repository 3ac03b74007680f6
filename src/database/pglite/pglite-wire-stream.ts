import { Duplex } from 'node:stream';
import type { PgliteWorker } from './pglite-worker.js';

/** The frontend's Terminate message ('X', length 4): PGlite's one session must outlive each pg Client. */
const isTerminate = (chunk: Buffer) => chunk.byteLength === 5 && chunk[0] === 0x58;

/**
 * What `pg`'s `stream` option asks for (a Duplex speaking the PostgreSQL wire protocol, in place of a socket),
 * spoken to PGlite in its worker thread. pg writes its messages to it as to a socket (startup included: PGlite
 * answers it as a server would, with no password asked) and reads the answers through its own parser. The messages
 * written in one turn (a statement's parse, bind, describe, execute and sync, which pg corks) go to the worker as one
 * buffer; the answers come back in the order they were asked.
 */
export class PgliteWireStream extends Duplex {
  private batch: Buffer[] = [];
  private sending = false;
  /** The answers so far, in order: the end of the stream waits for them. */
  private delivered: Promise<void> = Promise.resolve();

  constructor(private readonly worker: PgliteWorker) {
    super();
  }

  // What pg calls on a socket. There is nothing to dial: the session is ready when the worker is.
  connect(): this {
    process.nextTick(() => {
      if (this.worker.closed) this.destroy(this.worker.closedReason());
      else this.emit('connect');
    });
    return this;
  }
  setNoDelay(): this {
    return this;
  }
  setKeepAlive(): this {
    return this;
  }
  ref(): this {
    return this;
  }
  unref(): this {
    return this;
  }

  override _read(): void {}

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (!isTerminate(chunk)) this.queue(chunk);
    callback();
  }

  override _writev(chunks: Array<{ chunk: Buffer }>, callback: (error?: Error | null) => void): void {
    for (const { chunk } of chunks) if (!isTerminate(chunk)) this.queue(chunk);
    callback();
  }

  /** pg is done with the session (PGlite's stays open for the next Client): the stream ends once answers are in. */
  override _final(callback: (error?: Error | null) => void): void {
    void this.delivered.then(() => {
      this.push(null);
      callback();
    });
  }

  private queue(chunk: Buffer): void {
    this.batch.push(chunk);
    if (this.sending) return;
    this.sending = true;
    queueMicrotask(() => this.send());
  }

  private send(): void {
    this.sending = false;
    // Memory of its own (not Node's shared pool), so the worker is handed it instead of a copy.
    const messages = Buffer.allocUnsafeSlow(this.batch.reduce((n, m) => n + m.byteLength, 0));
    let at = 0;
    for (const message of this.batch) at += message.copy(messages, at);
    this.batch = [];
    // Settled at once (a rejection waiting for its turn would count as unhandled), delivered in order.
    const answer = this.worker.exec(messages).then(
      (bytes): { bytes: Uint8Array; err?: undefined } => ({ bytes }),
      (err: unknown) => ({ bytes: undefined, err: err as Error }),
    );
    this.delivered = this.delivered
      .then(() => answer)
      .then(({ bytes, err }) => {
        // The worker gone: the stream fails, as a broken socket would.
        if (err) this.destroy(err);
        else if (bytes?.byteLength) this.push(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      });
  }
}

/** The `pg` pool options that run every Client on the worker's one session (TypeORM's `extra`). */
export function workerPgConfig(worker: PgliteWorker) {
  return {
    // pg-pool reads the legacy `poolSize` when `max` is unset (TypeORM leaves it unset without a poolSize option).
    poolSize: 1,
    user: 'postgres',
    database: 'postgres',
    stream: () => new PgliteWireStream(worker),
  };
}
