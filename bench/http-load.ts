import autocannon from 'autocannon';
import { fork } from 'node:child_process';
import { Agent } from 'node:http';
import { join } from 'node:path';
import { timedGet } from './api-client.js';
import { sleep, summarize, type Summary } from './stats.js';

export interface HttpLoad {
  /** Responses (any status) per second over the whole run. */
  rps: number;
  /** autocannon latencies: whole milliseconds (its histogram's resolution). */
  p50: number;
  p99: number;
  /** Non-2xx answers, socket errors and timeouts: a load that produced any is reported, not trusted silently. */
  failures: number;
}

export interface HttpLoadOptions {
  url: string;
  /** One header set per request in turn (e.g. several users' tokens). */
  headers?: Array<Record<string, string>>;
  connections: number;
  durationS: number;
}

/** One autocannon run from this process (GET, keep-alive, no pipelining), as fast as the server answers. */
export async function httpLoad(o: HttpLoadOptions): Promise<HttpLoad> {
  const path = new URL(o.url).pathname;
  const result = await autocannon({
    url: o.url,
    requests: (o.headers ?? [{}]).map((headers) => ({ method: 'GET' as const, path, headers })),
    connections: o.connections,
    duration: o.durationS,
    pipelining: 1,
  });
  return {
    rps: (result['2xx'] + result.non2xx) / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    failures: result.non2xx + result.errors + result.timeouts,
  };
}

export function describeLoad(l: HttpLoad): string {
  const failed = l.failures ? `, ${l.failures} failed` : '';
  return `${Math.round(l.rps)} req/s, p50 ${l.p50} ms, p99 ${l.p99} ms${failed}`;
}

/**
 * Open-loop load: one GET every 1000/rate ms on schedule, whatever the previous ones are doing, each timed from its
 * send to its answer. autocannon's fixed rate sends each second's quota in a burst; this is a steady stream. The
 * first `warmupS` seconds are sent but not counted (connections opening, code warming).
 */
export async function pacedGet(
  url: string,
  headers: Array<Record<string, string>>,
  rate: number,
  durationS: number,
  warmupS: number,
): Promise<Summary & { failures: number }> {
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const interval = 1000 / rate;
  const uncounted = Math.floor(rate * warmupS);
  const total = uncounted + Math.max(1, Math.floor(rate * durationS));
  const latencies: number[] = [];
  let failures = 0;
  const pending: Array<Promise<void>> = [];
  const start = performance.now();
  try {
    for (let i = 0; i < total; i++) {
      const due = start + i * interval;
      const wait = due - performance.now();
      if (wait > 1) await sleep(wait);
      pending.push(
        timedGet(url, headers[i % headers.length], agent).then(
          ({ status, ms }) => {
            if (status !== 200) failures++;
            else if (i >= uncounted) latencies.push(ms);
          },
          () => void failures++,
        ),
      );
    }
    await Promise.all(pending);
  } finally {
    agent.destroy();
  }
  return { ...summarize(latencies), failures };
}

/**
 * `pacedGet` in a process of its own (bench/paced-client.ts): a fresh heap with nothing else on its event loop, so
 * the bench process's own pauses (it has held thousands of streams' results by then) are not in the latencies.
 */
export function pacedGetInChild(...args: Parameters<typeof pacedGet>): ReturnType<typeof pacedGet> {
  const child = fork(join(__dirname, 'paced-client.js'), [JSON.stringify(args)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    child.once('message', (msg: { result?: Awaited<ReturnType<typeof pacedGet>>; error?: string }) =>
      msg.result ? resolve(msg.result) : reject(new Error(`paced client failed: ${msg.error}`)),
    );
    child.once('exit', (code) => reject(new Error(`paced client exited with ${code} before answering`)));
  });
}
