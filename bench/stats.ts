/** Order statistics over samples in milliseconds (or any unit); nearest-rank, so every value reported was observed. */
export interface Summary {
  count: number;
  min: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

export function summarize(samples: readonly number[]): Summary {
  const sorted = Float64Array.from(samples).sort();
  const values = Array.from(sorted);
  const sum = values.reduce((a, b) => a + b, 0);
  return {
    count: values.length,
    min: values[0] ?? Number.NaN,
    p50: percentile(values, 50),
    p95: percentile(values, 95),
    p99: percentile(values, 99),
    max: values[values.length - 1] ?? Number.NaN,
    mean: values.length ? sum / values.length : Number.NaN,
  };
}

/** How an evenly paced load's slow answers fall in time: a tail spread over the window, or one event. */
export interface SlowStretches {
  /** Answers slower than the bound. */
  slow: number;
  /** Runs of slow answers, each sent within the join interval of the one before. */
  stretches: number;
  /**
   * The stretch with the most slow answers: how many, when its first was sent (ms, on `sentAt`'s clock) and how long
   * from that send to its last answer (ms).
   */
  largest: { slow: number; fromMs: number; spanMs: number };
}

/**
 * Groups the answers slower than `overMs` into stretches: a slow answer sent within `joinMs` of the previous slow
 * one belongs to its stretch. `sentAt[i]` and `latency[i]` describe answer i in send order; NaN latencies (failed
 * requests, counted elsewhere) are skipped.
 */
export function slowStretches(
  sentAt: ArrayLike<number>,
  latency: ArrayLike<number>,
  overMs: number,
  joinMs: number,
): SlowStretches {
  let slow = 0;
  let stretches = 0;
  let largest = { slow: 0, fromMs: 0, spanMs: 0 };
  let current = { slow: 0, first: 0, lastSent: Number.NEGATIVE_INFINITY, end: 0 };
  const close = () => {
    if (current.slow > largest.slow)
      largest = { slow: current.slow, fromMs: current.first, spanMs: current.end - current.first };
  };
  for (let i = 0; i < latency.length; i++) {
    if (!(latency[i] > overMs)) continue;
    slow++;
    if (sentAt[i] - current.lastSent > joinMs) {
      close();
      stretches++;
      current = { slow: 0, first: sentAt[i], lastSent: sentAt[i], end: 0 };
    }
    current.slow++;
    current.lastSent = sentAt[i];
    current.end = Math.max(current.end, sentAt[i] + latency[i]);
  }
  close();
  return { slow, stretches, largest };
}

export function ms(value: number, digits = 1): string {
  return Number.isFinite(value) ? `${value.toFixed(digits)} ms` : 'n/a';
}

export function mbPerSecond(bytes: number, elapsedMs: number): number {
  return bytes / 1e6 / (elapsedMs / 1000);
}

export const sleep = (delayMs: number) => new Promise<void>((resolve) => setTimeout(resolve, delayMs));

/** Whether `promise` settles within `limitMs`; the timer is cleared either way, so it never holds the process open. */
export async function settlesWithin(promise: Promise<unknown>, limitMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), limitMs)));
  try {
    return await Promise.race([promise.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
