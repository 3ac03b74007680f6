import { createUsers } from '../api-client.js';
import { BASELINE_NOT_RUN, check, info, type Row } from '../report.js';
import { aggregate, measuringClientLag, runConcurrent, type StreamStats } from '../stream-load.js';
import type { StreamTarget } from '../sse-client.js';
import { appTarget, directTarget, promptFor, relayTarget } from '../stream-targets.js';
import { settle, type BenchContext, type Scenario } from './scenario.js';

const STALL_MS = 200;
const TARGET_STREAMS = 1000;
/** Streams are spread over users so MAX_CONCURRENT_RUNS_PER_USER (at most 1000) is never what limits a step. */
const STREAMS_PER_USER = 250;

/** Every stream completed, none lost a frame or waited over the stall bound for its next one. */
function clean(s: StreamStats, n: number): boolean {
  return s.ok === n && s.lostFrames === 0 && s.stalls === 0;
}

function describe(s: StreamStats): string {
  const parts = [
    `${s.ok}/${s.streams} complete`,
    `${s.lostFrames} lost`,
    `${s.stalls} gaps > ${STALL_MS} ms`,
    `gap p99 ${s.gaps.p99.toFixed(0)} / max ${s.gaps.max.toFixed(0)} ms`,
    `peak ${s.peakConcurrent} at once`,
    `first token p50 ${s.firstToken.p50.toFixed(0)} / p99 ${s.firstToken.p99.toFixed(0)} ms`,
  ];
  if (s.errors.length) parts.push(`e.g. ${s.errors[0].slice(0, 60)}`);
  return parts.join(', ');
}

/**
 * Steps up the number of concurrent streams, each `streamMs` long at the run's pacing. A step is clean when every
 * stream completed with no lost frame and no gap over 200 ms; what it held is its peak: the most streams that were
 * between their first and last token at one moment (when the app takes longer to start N runs than a stream lasts,
 * fewer than N are ever live together, and the table says so rather than crediting N). Stepping stops at the first
 * step that is not clean.
 */
async function stepUp(
  ctx: BenchContext,
  label: string,
  steps: number[],
  streamMs: number,
  target: (i: number) => StreamTarget,
): Promise<{ rows: Row[]; held: number }> {
  const rows: Row[] = [];
  let held = 0;
  let stopped = false;
  for (const n of steps) {
    if (stopped) {
      rows.push(info(`${label}: ${n} concurrent streams`, 'not run (a smaller step was not clean)'));
      continue;
    }
    const targets = Array.from({ length: n }, (_, i) => target(i));
    const { value: results, lag } = await measuringClientLag(() =>
      runConcurrent(targets, { timeoutMs: streamMs + 120_000 }),
    );
    const stats = aggregate(results, STALL_MS, true);
    if (stats.ok === 0) throw new Error(`no ${label} stream of ${n} completed: ${stats.errors[0] ?? 'no result'}`);
    const ok = clean(stats, n);
    rows.push(info(`${label}: ${n} concurrent streams`, `${ok ? 'clean' : 'NOT clean'}: ${describe(stats)}`));
    if (lag.maxMs > 50) {
      ctx.note(
        `active ${label} ${n}: the bench client's own event loop lagged up to ${lag.maxMs.toFixed(0)} ms (p99 ${lag.p99Ms.toFixed(0)} ms); gaps include it`,
      );
    }
    if (ok) held = Math.max(held, stats.peakConcurrent);
    else stopped = true;
    await settle(ctx);
  }
  return { rows, held };
}

/**
 * Concurrent chat streams through the app, stepped up; and first the same steps straight from the scripted model
 * to the bench client (no app): the most streams this machine can carry at this pacing at all, since model server,
 * client and app share its cores. The app cannot hold more than that ceiling. Then through the bare relay: what one
 * Node process in the middle holds when it does nothing but pass bytes on; and through the SDK relay: what it holds
 * when it reads the model through the Anthropic SDK, as the app must.
 */
export const activeStreamsScenario: Scenario = {
  name: 'active',
  async run(ctx) {
    const { steps, streamMs } = ctx.options.sizes.active;
    const pacing = {
      count: Math.max(ctx.options.pacing.count, Math.ceil(streamMs / Math.max(1, ctx.options.pacing.delayMs))),
      delayMs: ctx.options.pacing.delayMs,
    };
    const prompt = promptFor(pacing);
    const users = await createUsers(ctx.app.url, 'active', Math.ceil(Math.max(...steps) / STREAMS_PER_USER));
    const direct = await stepUp(ctx, 'direct', steps, streamMs, () => directTarget(ctx.llm.url, prompt));
    const notRun = { rows: [], held: undefined };
    const withBaselines = ctx.options.sizes.streamBaselines;
    const relay = withBaselines
      ? await stepUp(ctx, 'relay', steps, streamMs, () => relayTarget(ctx.baseline.url, prompt))
      : notRun;
    const sdkRelay = withBaselines
      ? await stepUp(ctx, 'sdk relay', steps, streamMs, () => relayTarget(ctx.baseline.url, prompt, 'sdk'))
      : notRun;
    const app = await stepUp(ctx, 'app', steps, streamMs, (i) =>
      appTarget(ctx.app.url, users[i % users.length].token, prompt),
    );
    const held = (n: number | undefined) =>
      n === undefined ? BASELINE_NOT_RUN : `${n || 'none'} (steps ${steps.join('/')})`;
    return [
      check(
        `active streams held at once (0 lost, no gap > ${STALL_MS} ms), ${pacing.count} deltas ${pacing.delayMs} ms apart`,
        `>= ${TARGET_STREAMS}`,
        held(app.held),
        app.held >= TARGET_STREAMS,
      ),
      info('  ceiling: streams held straight from the scripted model to the client (no app)', held(direct.held)),
      info(
        '  baseline: streams held through a bare relay (no auth, no database, bytes passed through)',
        held(relay.held),
      ),
      info(
        '  baseline: streams held through an SDK relay (the model read through the SDK, events re-sent)',
        held(sdkRelay.held),
      ),
      ...app.rows,
      ...sdkRelay.rows,
      ...relay.rows,
      ...direct.rows,
    ];
  },
};
