import {
  firstTokenMs,
  openStream,
  tokenGaps,
  type StreamOptions,
  type StreamResult,
  type StreamTarget,
} from './sse-client.js';
import { sleep, summarize, type Summary } from './stats.js';

export interface StreamStats {
  streams: number;
  /** Streams that answered 200 and ended with their final frame (or, when stopping at the first token, got one). */
  ok: number;
  errors: string[];
  firstToken: Summary;
  /** Request sent to response headers: for the app, auth plus the run's start transaction. */
  opened: Summary;
  gaps: Summary;
  lostFrames: number;
  /** Token gaps longer than the stall threshold. */
  stalls: number;
  /** Most streams that were between their first and last token at the same moment. */
  peakConcurrent: number;
}

export function aggregate(results: StreamResult[], stallMs: number, expectCompletion: boolean): StreamStats {
  const ttft: number[] = [];
  const opened: number[] = [];
  const gaps: number[] = [];
  const errors: string[] = [];
  let ok = 0;
  let lost = 0;
  for (const r of results) {
    const first = firstTokenMs(r);
    if (first !== undefined) ttft.push(first);
    if (r.openedAt !== undefined) opened.push(r.openedAt - r.startedAt);
    gaps.push(...tokenGaps(r));
    lost += r.lostFrames;
    const good = r.status === 200 && !r.error && (expectCompletion ? r.completed : first !== undefined);
    if (good) ok++;
    else errors.push(r.error ?? (r.completed ? 'no token' : `incomplete (status ${r.status})`));
  }
  return {
    streams: results.length,
    ok,
    errors,
    firstToken: summarize(ttft),
    opened: summarize(opened),
    gaps: summarize(gaps),
    lostFrames: lost,
    stalls: gaps.filter((g) => g > stallMs).length,
    peakConcurrent: peakOverlap(results),
  };
}

function peakOverlap(results: StreamResult[]): number {
  const edges: Array<[number, number]> = [];
  for (const r of results) {
    if (r.tokenTimes.length < 2) continue;
    edges.push([r.tokenTimes[0], 1], [r.tokenTimes[r.tokenTimes.length - 1], -1]);
  }
  // Ends sort before starts at the same instant, so back-to-back streams do not count as overlapping.
  edges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let open = 0;
  let peak = 0;
  for (const [, delta] of edges) peak = Math.max(peak, (open += delta));
  return peak;
}

/** All streams at once: the concurrency figures. */
export function runConcurrent(targets: StreamTarget[], options: StreamOptions): Promise<StreamResult[]> {
  return Promise.all(targets.map((t) => openStream(t, options)));
}

/**
 * One stream at a time, `pauseMs` apart, so each request meets an idle server (a disconnected run's final writes
 * land in the pause rather than in the next measurement).
 */
export async function runSequential(
  targetFor: (i: number) => StreamTarget,
  count: number,
  options: StreamOptions,
  pauseMs: number,
): Promise<StreamResult[]> {
  const results: StreamResult[] = [];
  for (let i = 0; i < count; i++) {
    results.push(await openStream(targetFor(i), options));
    await sleep(pauseMs);
  }
  return results;
}
