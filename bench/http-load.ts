import autocannon from 'autocannon';
import { fork } from 'node:child_process';
import { Agent } from 'node:http';
import { join } from 'node:path';
import { timedGet } from './api-client.js';
import { sleep, slowStretches, summarize, type SlowStretches } from './stats.js';

export interface HttpLoad {
  /** Responses (any status) per second over the whole run.*/
  rps: number;
  /** autocannon latencies: whole milliseconds (its histogram's resolution). */
  p50: number;
  p99: number;
  requests: number;
  /** Non-2xx answers, socket errors and timeouts: a load that produced any is reported, not trusted silently. */
  failures: number;
}

export interface HttpLoadOptions {
  url: string;
  /** One header set per request in turn (e.g. several users' tokens); the same every time if only one. */
  headers?: Array<Record<string, string>>;
  connections: number;
  durationS: number;
  /** Requests per second over all connections; unset: as fast as the server answers. */
  overallRate?: number;
}

/** One autocannon run from this process (GET, keep-alive, no pipelining). */
export async function httpLoad(o: HttpLoadOptions): Promise<HttpLoad> {
  const path = new URL(o.url).pathname;
  const result = await autocannon({
    url: o.url,
    // Each connection cycles through these requests in order.
    requests: (o.headers ?? [{}]).map((headers) => ({ method: 'GET' as const, path, headers })),
    connections: o.connections,
    duration: o.durationS,
    pipelining: 1,
    ...(o.overallRate
      ? {
          overallRate: Math.max(1, Math.round(o.overallRate)),
          // At a fixed rate autocannon would otherwise "correct" for coordinated omission by synthesizing samples
          // 1 ms apart, which pads the histogram with low values; below saturation the raw latencies are the truth.
          ignoreCoordinatedOmission: true,
        }
      : {}),
  });
  return {
    // Per response, not autocannon's per-second samples (a sub-second run has none).
    rps: (result['2xx'] + result.non2xx) / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    requests: result.requests.total,
    failures: result.non2xx + result.errors + result.timeouts,
  };
}

export function describeLoad(l: HttpLoad): string {
  const failed = l.failures ? `, ${l.failures} failed` : '';
  return `${Math.round(l.rps)} req/s, p50 ${l.p50} ms, p99 ${l.p99} ms${failed}`;
}

export interface PacedLoad {
  sent: number;
  failures: number;
  p50: number;
  p99: number;
  /** How late the client itself sent its latest request (its own event-loop lag), in ms. */
  maxLateMs: number;
  /** What the first failure was (a status or a socket error), so a failed request is explained, not just counted. */
  firstFailure?: string;
  /** The warm-up's requests (sent at the same rate, not in p50/p99): shown, so what it leaves out can be seen. */
  warmup?: { sent: number; p99: number; max: number };
  /** The counted window's answers slower than the bound the caller gave, grouped in time. */
  slow: SlowStretches & { overMs: number };
  /**
   * Wall-clock ms (performance.timeOrigin-based) of the first send, warm-up included: the origin of the stretches'
   * `fromMs`, so another process's readings can be set against them; and the counted window's start and end.
   */
  startedAt: number;
  window: { from: number; to: number };
}

/** Slow answers sent less than this apart are one stretch (one pause somewhere), not two. */
const STRETCH_JOIN_MS = 100;

/**
 * Open-loop load: one GET every 1000/rate ms on schedule, whatever the previous ones are doing, each timed from
 * its send to its response (sub-millisecond). The first `warmupS` seconds are sent at the same rate but not
 * counted: they open the client's connections and warm its code (a fresh process), which is not the server's
 * steady state; failures are counted throughout. autocannon's `overallRate` is a per-connection quota per second:
 * every connection sends back to back until its quota is spent, then waits for the next second, so its "half rate"
 * is bursts at full speed. This is what a steady half-rate stream of requests looks like.
 */
export async function pacedGet(
  url: string,
  headers: Array<Record<string, string>>,
  rate: number,
  durationS: number,
  warmupS: number,
  slowMs: number,
): Promise<PacedLoad> {
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const interval = 1000 / rate;
  const uncounted = Math.floor(rate * warmupS);
  const total = uncounted + Math.max(1, Math.floor(rate * durationS));
  // Every response's latency and every send's lateness by send index, warm-up included (one code path for all, and
  // the warm-up can be reported beside the counted window); NaN: no answer (a failure).
  const latencies = new Float64Array(total).fill(Number.NaN);
  const lateness = new Float64Array(total);
  // Counted, not kept: holding every request's promise until the end would keep all of them alive through each of
  // the client's scavenges, and its own pauses would grow with the run.
  let inFlight = 0;
  let sendingDone = false;
  let allAnswered!: () => void;
  const answered = new Promise<void>((resolve) => (allAnswered = resolve));
  const settled = () => {
    if (--inFlight === 0 && sendingDone) allAnswered();
  };
  let failures = 0;
  let firstFailure: string | undefined;
  const fail = (why: string) => {
    failures++;
    firstFailure ??= why;
  };
  const start = performance.now();
  for (let i = 0; i < total; i++) {
    const due = start + i * interval;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    const late = performance.now() - due;
    lateness[i] = late;
    inFlight++;
    timedGet(url, headers[i % headers.length], agent)
      .then(
        ({ status, ms }) => {
          if (status !== 200) fail(`status ${status}`);
          else latencies[i] = ms;
        },
        (err: unknown) => fail(err instanceof Error ? err.message : String(err)),
      )
      .finally(settled);
  }
  sendingDone = true;
  if (inFlight > 0) await answered;
  agent.destroy();
  const answeredIn = (from: number, to: number) => [...latencies.subarray(from, to)].filter((ms) => !Number.isNaN(ms));
  const s = summarize(answeredIn(uncounted, total));
  const w = summarize(answeredIn(0, uncounted));
  const maxLateMs = lateness.subarray(uncounted).reduce((max, late) => Math.max(max, late), 0);
  // When each counted request actually left (its due time plus how late the client was), from the window's start.
  const sentAt = Float64Array.from({ length: total - uncounted }, (_, i) => {
    const at = uncounted + i;
    return at * interval + lateness[at];
  });
  const slow = slowStretches(sentAt, latencies.subarray(uncounted), slowMs, STRETCH_JOIN_MS);
  const startedAt = performance.timeOrigin + start;
  return {
    startedAt,
    window: { from: startedAt + uncounted * interval, to: performance.timeOrigin + performance.now() },
    sent: total - uncounted,
    failures,
    p50: s.p50,
    p99: s.p99,
    maxLateMs,
    firstFailure,
    warmup: uncounted ? { sent: uncounted, p99: w.p99, max: w.max } : undefined,
    slow: { ...slow, overMs: slowMs },
  };
}

/** `pacedGet` run in a child process (bench/paced-client.ts), so the measuring client's own pauses stay out of it. */
export function pacedGetInChild(
  url: string,
  headers: Array<Record<string, string>>,
  rate: number,
  durationS: number,
  warmupS: number,
  slowMs: number,
): Promise<PacedLoad> {
  const args = JSON.stringify({ url, headers, rate, durationS, warmupS, slowMs });
  const child = fork(join(__dirname, 'paced-client.js'), [args], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    child.once('message', (msg: { result?: PacedLoad; error?: string }) =>
      msg.result ? resolve(msg.result) : reject(new Error(`paced client failed: ${msg.error}`)),
    );
    child.once('exit', (code) => reject(new Error(`paced client exited with ${code} before answering`)));
  });
}
