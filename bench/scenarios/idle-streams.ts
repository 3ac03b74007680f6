import { setMaxListeners } from 'node:events';
import { readFileSync } from 'node:fs';
import { createUsers } from '../api-client.js';
import { ownOpenFilesLimit } from '../app-process.js';
import { BASELINE_NOT_RUN, check, info } from '../report.js';
import { openStream, type StreamResult, type StreamTarget } from '../sse-client.js';
import { appTarget, promptFor, relayTarget } from '../stream-targets.js';
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
  /** The JS heap's share of it: heap in use after a full GC, same slope. */
  heapPerStreamKb: number;
  results: StreamResult[];
  allAnswered: boolean;
}

/** A process being measured: its RSS now, and a full GC that resolves with the JS heap in use after it (KB). */
interface Measured {
  rssKb(): number;
  fullGc(): Promise<number>;
}

/** RSS and JS heap right after a full GC: what the process holds, not what it has not collected yet. */
async function afterGc(measured: Measured): Promise<{ rssKb: number; heapKb: number }> {
  const heapKb = await measured.fullGc();
  return { rssKb: await steadyRssKb(() => measured.rssKb()), heapKb };
}

/**
 * Opens N streams that stay open on pings alone and charges the process's resident memory (RSS: heap, socket
 * buffers, native memory) to them: the slope between N/2 and N streams, the marginal memory of one more idle
 * stream, each reading taken right after a full GC so that garbage, and when V8 happens to collect it, is not in
 * the figure (without the GC, the same code read anywhere from -79 to +119 KB per stream). A warm-up batch is
 * opened and closed first so first-use allocations are not charged to the streams.
 */
async function measureIdle(
  ctx: BenchContext,
  n: number,
  targets: (from: number, count: number) => StreamTarget[],
  measured: Measured,
): Promise<IdleMeasure> {
  const warmup = new HeldStreams(n);
  await warmup.open(targets(0, Math.ceil(n / 4)));
  await warmup.closeAll();
  await settle(ctx);

  const before = await afterGc(measured);
  const held = new HeldStreams(n);
  const half = Math.floor(n / 2);
  const openedHalf = await held.open(targets(0, half));
  await sleep(HALF_HOLD_MS);
  const atHalf = await afterGc(measured);
  const openedRest = await held.open(targets(half, n - half));
  await sleep(HOLD_MS);
  const atFull = await afterGc(measured);
  const results = await held.closeAll();
  await settle(ctx);
  return {
    before: before.rssKb,
    atHalf: atHalf.rssKb,
    atFull: atFull.rssKb,
    half,
    perStreamKb: (atFull.rssKb - atHalf.rssKb) / (n - half),
    heapPerStreamKb: (atFull.heapKb - atHalf.heapKb) / (n - half),
    results,
    allAnswered: openedHalf && openedRest,
  };
}

/**
 * Idle chat streams: `POST /api/chat` whose model never answers (`[[hang]]`), held by pings. Then the same
 * measurement on the bare relay (an SSE response + one pending undici request to the model per stream, no run, no
 * database), which shows how much of the figure any Node relay on the same HTTP client pays, and on the SDK relay
 * (the same, through the Anthropic SDK), which shows what reading the model through the SDK adds to that.
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
      ctx.app,
    );
    const baselineProcess = { rssKb: () => rssOf(ctx.baseline.pid), fullGc: () => ctx.baseline.call<number>('gc') };
    const relays = (kind: 'bytes' | 'sdk') => (_from: number, count: number) =>
      Array.from({ length: count }, () => relayTarget(ctx.baseline.url, promptFor('hang'), kind));
    const withBaselines = ctx.options.sizes.streamBaselines;
    const relay = withBaselines ? await measureIdle(ctx, n, relays('bytes'), baselineProcess) : undefined;
    const sdkRelay = withBaselines ? await measureIdle(ctx, n, relays('sdk'), baselineProcess) : undefined;

    const open = app.results.filter((r) => r.status === 200 && !r.error).length;
    if (open === 0) throw new Error(`no idle stream opened: ${app.results[0]?.error ?? 'no result'}`);
    // Every stream saw the whole second hold, so each got at least two pings if pings flow.
    const pinged = app.results.filter((r) => r.pings >= 2).length;
    const pingedOf = (m: IdleMeasure) => m.results.filter((r) => r.pings >= 2).length;
    const baseline = (m: IdleMeasure | undefined) =>
      !m
        ? BASELINE_NOT_RUN
        : `${m.perStreamKb.toFixed(1)} KB per stream, JS heap ${m.heapPerStreamKb.toFixed(1)} KB (${pingedOf(m)} of ${n} pinged); app / baseline ${(app.perStreamKb / m.perStreamKb).toFixed(2)}x`;
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
        `memory per idle stream (RSS slope after a full GC, ${app.half} -> ${n} streams)`,
        `<= ${TARGET_KB_PER_STREAM} KB`,
        `${app.perStreamKb.toFixed(1)} KB`,
        app.perStreamKb <= TARGET_KB_PER_STREAM,
      ),
      info('  of which JS heap (same slope)', `${app.heapPerStreamKb.toFixed(1)} KB`),
      info(
        `app RSS after a full GC: steady / ${app.half} / ${n} idle streams`,
        `${mb(app.before)} / ${mb(app.atHalf)} / ${mb(app.atFull)} (${((app.atFull - app.before) / n).toFixed(1)} KB per stream from steady)`,
      ),
      info(
        '  baseline: bare relay (SSE response + one pending undici request to the model), same method',
        baseline(relay),
      ),
      info(
        '  baseline: SDK relay (the same, reading the model through the Anthropic SDK on the same client)',
        baseline(sdkRelay),
      ),
    ];
  },
};

function rssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1] ?? NaN);
}
