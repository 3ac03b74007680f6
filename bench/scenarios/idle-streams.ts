import { setMaxListeners } from 'node:events';
import { readFileSync } from 'node:fs';
import { createUsers } from '../api-client.js';
import { ownOpenFilesLimit } from '../app-process.js';
import { check, info } from '../report.js';
import { openStream, type StreamResult, type StreamTarget } from '../sse-client.js';
import { appTarget, promptFor } from '../stream-targets.js';
import { settlesWithin, sleep } from '../stats.js';
import { settle, type BenchContext, type Scenario } from './scenario.js';

export const IDLE_PING_MS = 1000;
const TARGET_STREAMS = 2000;
const TARGET_KB_PER_STREAM = 40;
const OPEN_TIMEOUT_MS = 120_000;
const STREAMS_PER_USER = 500;
/** The final hold: long enough for every stream to see two pings. */
const HOLD_MS = 2.5 * IDLE_PING_MS;
/** After the first half opens: time for its allocations (socket buffers, first pings) to land before RSS is read. */
const HALF_HOLD_MS = IDLE_PING_MS;

/** Streams held open from the client side until `closeAll`. */
class HeldStreams {
  private readonly close = new AbortController();
  private readonly streams: Array<Promise<StreamResult>> = [];

  constructor(capacity: number) {
    // One signal closes every stream: each adds a listener, far past the leak-warning default of 10.
    setMaxListeners(capacity + 10, this.close.signal);
  }

  /** Opens the streams; resolves once each has answered (200 or an error), or false at the bound. */
  async open(targets: StreamTarget[]): Promise<boolean> {
    let answered = 0;
    let allAnswered!: () => void;
    const everyone = new Promise<void>((resolve) => (allAnswered = resolve));
    const answer = () => {
      if (++answered === targets.length) allAnswered();
    };
    for (const target of targets) {
      let opened = false;
      const onOpen = () => {
        opened = true;
        answer();
      };
      const timeoutMs = 2 * OPEN_TIMEOUT_MS + 4 * HOLD_MS;
      this.streams.push(
        openStream(target, { timeoutMs, signal: this.close.signal, onOpen }).then((r) => {
          if (!opened) answer();
          return r;
        }),
      );
    }
    return targets.length === 0 || settlesWithin(everyone, OPEN_TIMEOUT_MS);
  }

  closeAll(): Promise<StreamResult[]> {
    this.close.abort();
    return Promise.all(this.streams);
  }
}

/** A process's RSS once it has stopped moving (3 samples 300 ms apart within 1%, at most 15 s). */
async function steadyRssKb(rssKb: () => number): Promise<number> {
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

interface IdleMeasure {
  before: number;
  atHalf: number;
  atFull: number;
  half: number;
  perStreamKb: number;
  results: StreamResult[];
  allAnswered: boolean;
}

/**
 * Opens N streams that stay open on pings alone and charges the process's resident memory (RSS: heap, socket
 * buffers, native memory) to them. RSS right after boot still holds the garbage of startup (hundreds of MB on
 * PGlite) that V8 hands back at its next full GC, which the first load triggers; so a warm-up batch is opened and
 * closed first, and the figure is the slope between N/2 and N streams: the marginal memory of one more idle stream.
 * A full GC between the two readings can still hand back more than the streams took (observed: a negative slope),
 * so the figure is noisy; heap snapshots (BENCHMARKS.md) are the precise measure.
 */
async function measureIdle(
  ctx: BenchContext,
  n: number,
  targets: (from: number, count: number) => StreamTarget[],
  rssKb: () => number,
): Promise<IdleMeasure> {
  const warmup = new HeldStreams(n);
  await warmup.open(targets(0, Math.ceil(n / 4)));
  await warmup.closeAll();
  await settle(ctx);

  const before = await steadyRssKb(rssKb);
  const held = new HeldStreams(n);
  const half = Math.floor(n / 2);
  const openedHalf = await held.open(targets(0, half));
  await sleep(HALF_HOLD_MS);
  const atHalf = rssKb();
  const openedRest = await held.open(targets(half, n - half));
  await sleep(HOLD_MS);
  const atFull = rssKb();
  const results = await held.closeAll();
  await settle(ctx);
  const perStreamKb = (atFull - atHalf) / (n - half);
  return { before, atHalf, atFull, half, perStreamKb, results, allAnswered: openedHalf && openedRest };
}

/**
 * Idle chat streams: `POST /api/chat` whose model never answers (`[[hang]]`), held by pings. Then the same
 * measurement on the baseline relay (node:http SSE + one pending fetch to the model per stream, no framework, no
 * run, no database), which shows how much of the figure any Node relay on the SDK's HTTP client pays.
 */
export const idleStreamsScenario: Scenario = {
  name: 'idle',
  async run(ctx) {
    const n = ctx.options.sizes.idle.streams;
    const users = await createUsers(ctx.app.url, 'idle', Math.ceil(n / STREAMS_PER_USER));
    const app = await measureIdle(
      ctx,
      n,
      (from, count) =>
        Array.from({ length: count }, (_, i) =>
          appTarget(ctx.app.url, users[(from + i) % users.length].token, promptFor('hang')),
        ),
      () => ctx.app.rssKb(),
    );
    const relay = await measureIdle(
      ctx,
      n,
      (_from, count) => Array.from({ length: count }, () => relayTarget(ctx.baseline.url)),
      () => rssOf(ctx.baseline.pid),
    );

    const open = app.results.filter((r) => r.status === 200 && !r.error).length;
    if (open === 0) throw new Error(`no idle stream opened: ${app.results[0]?.error ?? 'no result'}`);
    // Every stream saw the whole second hold, so each got at least two pings if pings flow.
    const pinged = app.results.filter((r) => r.pings >= 2).length;
    const relayPinged = relay.results.filter((r) => r.pings >= 2).length;
    ctx.note(
      `idle: open-files limit ${ctx.app.openFilesLimit()} for the app, ${ownOpenFilesLimit()} for the bench (each idle stream holds a client socket and a model socket in the app)`,
    );
    if (!app.allAnswered) ctx.note(`idle: not every stream had answered within ${OPEN_TIMEOUT_MS} ms`);
    return [
      check(
        `idle streams held by pings (SSE_PING_MS=${IDLE_PING_MS})`,
        `${TARGET_STREAMS} open, each pinged`,
        `${open} open, ${pinged} got >= 2 pings (of ${n})`,
        n >= TARGET_STREAMS && open === n && pinged === n,
      ),
      check(
        `memory per idle stream (RSS slope, ${app.half} -> ${n} streams)`,
        `<= ${TARGET_KB_PER_STREAM} KB`,
        // A full GC between the two readings can hand back more than the second half's streams took: then the
        // slope says nothing, and a negative figure must not pass for a met target.
        app.perStreamKb > 0
          ? `${app.perStreamKb.toFixed(1)} KB`
          : `not measured: RSS fell by ${(-app.perStreamKb).toFixed(1)} KB per added stream (a GC in between)`,
        app.perStreamKb > 0 && app.perStreamKb <= TARGET_KB_PER_STREAM,
      ),
      info(
        `app RSS: steady / ${app.half} / ${n} idle streams`,
        `${mb(app.before)} / ${mb(app.atHalf)} / ${mb(app.atFull)} (${((app.atFull - app.before) / n).toFixed(1)} KB per stream from steady)`,
      ),
      info(
        '  baseline: bare Node relay (node:http SSE + a pending fetch to the model), same method',
        `${relay.perStreamKb.toFixed(1)} KB per stream (${relayPinged} of ${n} pinged); app / baseline ${(app.perStreamKb / relay.perStreamKb).toFixed(2)}x`,
      ),
    ];
  },
};

function relayTarget(baselineUrl: string): StreamTarget {
  return {
    label: 'relay',
    url: new URL('/relay', baselineUrl),
    headers: {},
    body: '{}',
    isToken: () => false,
    isEnd: () => false,
    sequenced: false,
  };
}

function rssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1] ?? NaN);
}
