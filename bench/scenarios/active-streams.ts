import { createUsers } from '../api-client.js';
import type { AppProcess } from '../app-process.js';
import { info, check, type Row } from '../report.js';
import type { StreamTarget } from '../sse-client.js';
import { aggregate, runConcurrent, type StreamStats } from '../stream-load.js';
import { appTarget, directTarget, promptFor } from '../stream-targets.js';
import { settle, type BenchContext, type Scenario } from './scenario.js';

const STALL_MS = 200;
const TARGET_STREAMS = 1000;
/** Streams are spread over users so MAX_CONCURRENT_RUNS_PER_USER (at most 1000) is never what limits a step. */
const STREAMS_PER_USER = 250;

function describe(s: StreamStats): string {
  const parts = [
    `${s.ok}/${s.streams} complete`,
    `${s.lostFrames} lost`,
    `${s.stalls} gaps > ${STALL_MS} ms`,
    `gap p99 ${s.gaps.p99.toFixed(0)} ms`,
    `peak ${s.peakConcurrent} at once`,
  ];
  if (s.errors.length) parts.push(`e.g. ${s.errors[0].slice(0, 60)}`);
  return parts.join(', ');
}

/**
 * Steps up the number of concurrent streams. A step is clean when every stream completed with no lost frame and no
 * gap over 200 ms; what it held is its peak: the most streams between their first and last token at one moment.
 * Stepping stops at the first step that is not clean.
 */
async function stepUp(
  ctx: BenchContext,
  label: string,
  target: (i: number) => StreamTarget,
  app: AppProcess,
): Promise<{ rows: Row[]; held: number }> {
  const { steps, streamMs } = ctx.options.sizes.active;
  const rows: Row[] = [];
  let held = 0;
  for (const n of steps) {
    const results = await runConcurrent(
      Array.from({ length: n }, (_, i) => target(i)),
      { timeoutMs: streamMs + 120_000 },
    );
    const stats = aggregate(results, STALL_MS, true);
    if (stats.ok === 0) throw new Error(`no ${label} stream of ${n} completed: ${stats.errors[0] ?? 'no result'}`);
    const clean = stats.ok === n && stats.lostFrames === 0 && stats.stalls === 0;
    rows.push(info(`  ${label}: ${n} concurrent streams`, `${clean ? 'clean' : 'NOT clean'}: ${describe(stats)}`));
    await settle(ctx, app);
    if (!clean) break;
    held = Math.max(held, stats.peakConcurrent);
  }
  return { rows, held };
}

/** Paced long enough that a step's streams overlap while the last ones are still starting. */
export function activePrompt(ctx: BenchContext): string {
  const { delayMs, count } = ctx.options.pacing;
  return promptFor({
    count: Math.max(count, Math.ceil(ctx.options.sizes.active.streamMs / Math.max(1, delayMs))),
    delayMs,
  });
}

/** Streams held through `app`, stepped up, spread over fresh users. */
export async function appStreamsHeld(ctx: BenchContext, label: string, app: AppProcess) {
  const prompt = activePrompt(ctx);
  const most = Math.max(...ctx.options.sizes.active.steps);
  const users = await createUsers(app.url, 'active', Math.ceil(most / STREAMS_PER_USER));
  return stepUp(ctx, label, (i) => appTarget(app.url, users[i % users.length].token, prompt), app);
}

/**
 * Concurrent chat streams through the app, stepped up; first the same steps straight from the scripted model to the
 * bench client: the most this machine carries at this pacing at all (model server, client and app share its cores).
 */
export const activeStreamsScenario: Scenario = {
  name: 'active',
  async run(ctx) {
    const prompt = activePrompt(ctx);
    const direct = await stepUp(ctx, 'model straight', () => directTarget(ctx.llm.url, prompt), ctx.app);
    const app = await appStreamsHeld(ctx, 'app', ctx.app);
    const steps = ctx.options.sizes.active.steps.join('/');
    return [
      check(
        `active streams held at once (0 lost, no gap > ${STALL_MS} ms)`,
        `>= ${TARGET_STREAMS}`,
        `${app.held || 'none'} (steps ${steps})`,
        app.held >= TARGET_STREAMS,
      ),
      info('  ceiling: held straight from the scripted model (no app)', `${direct.held || 'none'} (steps ${steps})`),
      ...app.rows,
      ...direct.rows,
    ];
  },
};
