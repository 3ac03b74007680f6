// Worker-thread entry that owns the embedded PGlite database, so its queries (PostgreSQL compiled to WebAssembly,
// synchronous inside each call) run beside the event loop instead of on it. Plain ESM JavaScript on purpose, as
// the document parsers' worker: a Worker loads this file directly with Node, both from dist/ and under Jest.
//
// Messages in: { type: 'exec', id, bytes } (frontend protocol messages, any number, one buffer) and
// { type: 'close', id }. Out: { type: 'ready' } or { type: 'failed', message } once at boot, then
// { id, bytes } (the backend's answer, raw) or { id, error } per message, in the order they came.
import { parentPort, workerData } from 'node:worker_threads';
import { PGlite } from '@electric-sql/pglite';

let db;
try {
  db = await PGlite.create(workerData.dataDir);
} catch (err) {
  parentPort.postMessage({ type: 'failed', message: err instanceof Error ? err.message : String(err) });
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
      const answer = await db.execProtocolRaw(message.bytes);
      // Handed over, not copied; a view into a larger buffer (such as the database's own memory) is copied first.
      const own = answer.byteLength === answer.buffer.byteLength ? answer : new Uint8Array(answer);
      parentPort.postMessage({ id: message.id, bytes: own }, [own.buffer]);
    } else if (message.type === 'close') {
      await db.close();
      parentPort.postMessage({ id: message.id });
    } else {
      throw new Error(`unknown message type: ${message.type}`);
    }
  } catch (err) {
    parentPort.postMessage({ id: message.id, error: err instanceof Error ? err.message : String(err) });
  }
}
