import { setMaxListeners } from 'node:events';
import { createUsers } from '../api-client.js';
import { check, info } from '../report.js';
import { openStream, type StreamResult, type StreamTarget } from '../sse-client.js';
import { appTarget, promptFor } from '../stream-targets.js';
import { settlesWithin, sleep } from '../stats.js';
import { settle, type Scenario } from './scenario.js';

export const IDLE_PING_MS = 1000;
const TARGET_STREAMS = 2000;
const TARGET_KB_PER_STREAM = 40;
const OPEN_TIMEOUT_MS = 120_000;
const STREAMS_PER_USER = 500;
/** The final hold: long enough for every stream to see two pings. */
const HOLD_MS = 2.5 * IDLE_PING_MS;

/** Streams held open from the client side until `closeAll`. */
class HeldStreams {
  private readonly close = new AbortController();
  private readonly streams: Array<Promise<StreamResult>> = [];

  constructor(capacity: number) {
    setMaxListeners(capacity + 10, this.close.signal);
  }

  /** Opens the streams; resolves once each has answered (200 or an error), or false at the bound. */
  async open(targets: StreamTarget[]): Promise<boolean> {
    const answered = targets.map(
      (target) =>
        new Promise<void>((resolve) => {
          const timeoutMs = 2 * OPEN_TIMEOUT_MS + 4 * HOLD_MS;
          this.streams.push(
            openStream(target, { timeoutMs, signal: this.close.signal, onOpen: resolve }).finally(resolve),
          );
        }),
    );
    return settlesWithin(Promise.all(answered), OPEN_TIMEOUT_MS);
  }

  closeAll(): Promise<StreamResult[]> {
    this.close.abort();
    return Promise.all(this.streams);
  }
}

/** A process's RSS once it has stopped moving (3 samples 300 ms apart within 1%, at most 15 s). */
export async function steadyRssKb(rssKb: () => number): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < 50; i++) {
    samples.push(rssKb());
    const last = samples.slice(-3);
    if (last.length === 3 && Math.max(...last) <= Math.min(...last) * 1.01) break;
    await sleep(300);
  }
  return samples[samples.length - 1];
}

const mb = (kb: number) => `${(kb / 1024).toFixed(1)} MB`;

/**
 * Idle chat streams: `POST /api/chat` whose model never answers (`[[hang]]`), held by pings. Memory per stream is
 * the app's RSS slope between N/2 and N streams, each reading right after a full GC (over the inspector) so that
 * garbage, and when V8 happens to collect it, is not in the figure. A quarter of N is opened and closed first so
 * first-use allocations are not charged to the streams.
 */
export const idleStreamsScenario: Scenario = {
  name: 'idle',
  async run(ctx) {
    const n = ctx.options.sizes.idle.streams;
    const users = await createUsers(ctx.app.url, 'idle', Math.ceil(n / STREAMS_PER_USER));
    const targets = (from: number, count: number) =>
      Array.from({ length: count }, (_, i) =>
        appTarget(ctx.app.url, users[(from + i) % users.length].token, promptFor('hang')),
      );
    const afterGc = async () => {
      const heapKb = await ctx.app.fullGc();
      return { rssKb: await steadyRssKb(() => ctx.app.rssKb()), heapKb };
    };
    const warmup = new HeldStreams(n);
    await warmup.open(targets(0, Math.ceil(n / 4)));
    await warmup.closeAll();
    await settle(ctx);

    const before = await afterGc();
    const held = new HeldStreams(n);
    const half = Math.floor(n / 2);
    const openedHalf = await held.open(targets(0, half));
    await sleep(IDLE_PING_MS);
    const atHalf = await afterGc();
    const openedRest = await held.open(targets(half, n - half));
    await sleep(HOLD_MS);
    const atFull = await afterGc();
    const results = await held.closeAll();
    await settle(ctx);

    const open = results.filter((r) => r.status === 200 && !r.error).length;
    if (open === 0) throw new Error(`no idle stream opened: ${results[0]?.error ?? 'no result'}`);
    if (!openedHalf || !openedRest) ctx.note(`idle: not every stream had answered within ${OPEN_TIMEOUT_MS} ms`);
    const pinged = results.filter((r) => r.pings >= 2).length;
    const perStream = (atFull.rssKb - atHalf.rssKb) / (n - half);
    return [
      check(
        `idle streams held by pings (SSE_PING_MS=${IDLE_PING_MS})`,
        `${TARGET_STREAMS} open, each pinged`,
        `${open} open, ${pinged} got >= 2 pings (of ${n})`,
        n >= TARGET_STREAMS && open === n && pinged === n,
      ),
      check(
        `memory per idle stream (RSS slope after a full GC, ${half} -> ${n} streams)`,
        `<= ${TARGET_KB_PER_STREAM} KB`,
        `${perStream.toFixed(1)} KB`,
        perStream <= TARGET_KB_PER_STREAM,
      ),
      info('  of which JS heap (same slope)', `${((atFull.heapKb - atHalf.heapKb) / (n - half)).toFixed(1)} KB`),
      info(
        `app RSS after a full GC: steady / ${half} / ${n} idle streams`,
        `${mb(before.rssKb)} / ${mb(atHalf.rssKb)} / ${mb(atFull.rssKb)}`,
      ),
    ];
  },
};
