// Worker-thread entry that owns the embedded PGlite database, so its queries (PostgreSQL compiled to WebAssembly,
// synchronous inside each call) run beside the event loop instead of on it. Plain ESM JavaScript on purpose, as
// the document parsers' worker: a Worker loads this file directly with Node, both from dist/ and under Jest.
//
// workerData: { dataDir, startParams (added to PGlite's own) }. A new database is created before this starts, by
// pglite-create.mjs in a process of its own.
// Messages in: { type: 'exec', id, bytes } (frontend protocol messages, any number, one buffer),
// { type: 'heap', id } and { type: 'close', id }. Out: { type: 'ready' } or { type: 'failed', message } once at
// boot, then { id, bytes } (the backend's answer, raw), { id, heapUsed } (this thread's JS heap in use, bytes) or
// { id, error } per message, in the order they came.
import { getHeapStatistics } from 'node:v8';
import { parentPort, workerData } from 'node:worker_threads';
import { PGlite } from '@electric-sql/pglite';
import { describePgliteError } from './pglite-error.mjs';

let db;
try {
  db = await PGlite.create(workerData.dataDir, {
    startParams: [...PGlite.defaultStartParams, ...workerData.startParams],
  });
} catch (err) {
  db = undefined;
  parentPort.postMessage({ type: 'failed', message: describePgliteError(err) });
}

if (db) {
  // One request at a time, in order: PGlite is a single session, and the answers must come back as they were asked.
  let queue = Promise.resolve();
  parentPort.on('message', (message) => {
    queue = queue.then(() => handle(message));
  });
  parentPort.postMessage({ type: 'ready' });
}

async function handle(message) {
  try {
    if (message.type === 'exec') {
      // A startup packet (its length's first byte is 0; every other frontend message starts with its type) opens a
      // session for a new pg Client: it starts as a new server session would, with nothing prepared and no
      // transaction left open by a Client that was dropped.
      if (message.bytes[0] === 0) await resetSession();
      const answer = await exchange(message.bytes);
      // Handed over, not copied: the answer has a buffer of its own.
      parentPort.postMessage({ id: message.id, bytes: answer }, [answer.buffer]);
    } else if (message.type === 'heap') {
      parentPort.postMessage({ id: message.id, heapUsed: getHeapStatistics().used_heap_size });
    } else if (message.type === 'close') {
      await db.close();
      parentPort.postMessage({ id: message.id });
    } else {
      throw new Error(`unknown message type: ${message.type}`);
    }
  } catch (err) {
    parentPort.postMessage({ id: message.id, error: describePgliteError(err) });
  }
}

async function resetSession() {
  if (db.isInTransaction()) await db.exec('ROLLBACK');
  await db.exec('DISCARD ALL');
}

/**
 * Runs protocol messages and collects the backend's answer as written. Not `execProtocolRaw`: PGlite 0.5 also parses
 * every answer returned that way and keeps each parsed message (rows as JS strings) in a list that only its
 * `execProtocol` clears, so through the raw call this thread's heap kept every row it ever returned: about 4 MB/s
 * at 600 documents lists a second, with scavenges of 7-16 ms and ever longer mark-compacts holding up the one
 * session. `execProtocolRawStream` hands each written piece to a callback instead, unparsed, as a view into the
 * database's memory that is only valid during the call: copied at once.
 */
async function exchange(bytes) {
  const pieces = [];
  let size = 0;
  await db.execProtocolRawStream(bytes, {
    onRawData: (piece) => {
      pieces.push(piece.slice());
      size += piece.byteLength;
    },
  });
  if (pieces.length === 1) return pieces[0];
  const answer = new Uint8Array(size);
  let at = 0;
  for (const piece of pieces) {
    answer.set(piece, at);
    at += piece.byteLength;
  }
  return answer;
}
