import { EventEmitter } from 'node:events';
import { serialize } from 'pg-protocol';
import type { BackendMessage } from 'pg-protocol/dist/messages.js';
import { Parser } from 'pg-protocol/dist/parser.js';
import type { PgliteWorker } from './pglite-worker.js';

type Serialize = typeof serialize;

/**
 * What `pg`'s Client needs of its connection (the object PGlite's own `createPgConfig` puts in place of a socket),
 * spoken to PGlite in its worker thread: each message is serialized as pg's own Connection would write it, the
 * messages of one turn (a statement's parse, bind, describe, execute and sync) go to the worker as one buffer, and
 * the answer is parsed with pg's own parser into the events the Client listens to. There is no startup or
 * authentication exchange: the session is PGlite's one session, ready when the worker is.
 */
export class WorkerPgConnection extends EventEmitter {
  // Fields pg's Client reads and writes on its connection.
  _connecting = false;
  parsedStatements: Record<string, string> = {};
  submittedNamedStatements: Record<string, unknown> = {};
  readonly stream = { destroy: () => this.end() };

  private batch: Buffer[] = [];
  private sending = false;
  /** The answers so far, in order: `end` waits for them. */
  private delivered: Promise<void> = Promise.resolve();
  private readonly parser = new Parser();

  constructor(private readonly worker: PgliteWorker) {
    super();
  }

  connect(): void {
    this._connecting = true;
    process.nextTick(() => this.emit('readyForQuery'));
  }

  // Transport and authentication steps of a socket connection: nothing to do for an in-process session.
  requestSsl(): void {}
  startup(): void {}
  cancel(): void {}
  password(): void {}
  ref(): void {}
  unref(): void {}

  query(text: string): void {
    this.send(serialize.query(text));
  }
  parse(query: Parameters<Serialize['parse']>[0]): void {
    this.send(serialize.parse(query));
  }
  bind(config: Parameters<Serialize['bind']>[0]): void {
    this.send(serialize.bind(config));
  }
  execute(config: Parameters<Serialize['execute']>[0]): void {
    this.send(serialize.execute(config));
  }
  describe(message: Parameters<Serialize['describe']>[0]): void {
    this.send(serialize.describe(message));
  }
  close(message: Parameters<Serialize['close']>[0]): void {
    this.send(serialize.close(message));
  }
  flush(): void {
    this.send(serialize.flush());
  }
  sync(): void {
    this.send(serialize.sync());
  }
  sendCopyFromChunk(chunk: Buffer): void {
    this.send(serialize.copyData(chunk));
  }
  endCopyFrom(): void {
    this.send(serialize.copyDone());
  }
  sendCopyFail(message: string): void {
    this.send(serialize.copyFail(message));
  }

  /** The Client is done with the session (PGlite's stays open for the next Client): 'end' once answers are in. */
  end(): void {
    this.delivered = this.delivered.then(() => void this.emit('end'));
    for (const event of this.eventNames()) if (event !== 'newListener') this.removeAllListeners(event);
  }

  private send(message: Buffer): void {
    this.batch.push(message);
    if (this.sending) return;
    this.sending = true;
    // pg writes a statement's messages one after another in the same turn: they leave together.
    queueMicrotask(() => this.sendBatch());
  }

  private sendBatch(): void {
    this.sending = false;
    // Memory of its own (not Node's shared pool), so the worker is handed it instead of a copy.
    const messages = Buffer.allocUnsafeSlow(this.batch.reduce((n, m) => n + m.byteLength, 0));
    let at = 0;
    for (const message of this.batch) at += message.copy(messages, at);
    this.batch = [];
    const answer = this.worker.exec(messages);
    // In order, and the chain never breaks: a failure is reported and the next answer is still delivered.
    this.delivered = this.delivered
      .then(() => answer)
      .then((bytes) => this.deliver(bytes))
      .catch((err: unknown) => this.report(err));
  }

  private report(err: unknown): void {
    // pg's Client listens for 'error' for as long as it uses this connection; after `end` there is no one to tell.
    if (this.listenerCount('error')) this.emit('error', err);
  }

  private deliver(bytes: Uint8Array): void {
    this.parser.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), (message: BackendMessage) => {
      this.emit('message', message);
      this.emit(message.name === 'error' ? 'errorMessage' : message.name, message);
    });
  }
}

/** The `pg` pool options that run every Client on the worker's one session (TypeORM's `extra`). */
export function workerPgConfig(worker: PgliteWorker) {
  return {
    // pg-pool reads the legacy `poolSize` when `max` is unset (TypeORM leaves it unset without a poolSize option).
    poolSize: 1,
    user: 'postgres',
    password: 'unused',
    database: 'postgres',
    host: 'localhost',
    port: 5432,
    connection: new WorkerPgConnection(worker),
  };
}
