// A worker's resourceLimits cap its JS heap only. What the parsers allocate outside it (pdf.js's decoded streams,
// zip data, Buffers: all ArrayBuffers) is measured here, for this worker alone (`external` counts this isolate's
// ArrayBuffers), and reported to the pool, which ends the worker: a worker cannot stop a parser from inside.
// pdf.js yields to the event loop between pieces of work, so the interval runs even while one document is parsed.
import process from 'node:process';
import { setInterval } from 'node:timers';

const INTERVAL_MS = 25;

let watched;

setInterval(() => {
  if (!watched || watched.reported) return;
  const { heapUsed, external } = process.memoryUsage();
  if (heapUsed + external <= watched.limit) return;
  watched.reported = true;
  watched.port.postMessage({ memoryBytes: heapUsed + external });
}, INTERVAL_MS).unref();

/** Watches this worker's memory while one job runs; returns the function that stops watching. */
export function watchMemory(port, limit) {
  const entry = { port, limit, reported: false };
  watched = entry;
  return () => {
    if (watched === entry) watched = undefined;
  };
}
