import { createUsers } from '../api-client.js';
import { BASELINE_NOT_RUN, check, info, type Row } from '../report.js';
import type { StreamResult, StreamTarget } from '../sse-client.js';
import { aggregate, measuringClientLag, runConcurrent, runSequential, type StreamStats } from '../stream-load.js';
import { appTarget, directTarget, promptFor, relayTarget, type Pacing } from '../stream-targets.js';
import { ms } from '../stats.js';
import { settle, type BenchContext, type Scenario } from './scenario.js';

const STREAM_TIMEOUT_MS = 60_000;
/** Idle time between sequential requests, so a finished run's final writes never overlap the next measurement. */
const SEQUENTIAL_PAUSE_MS = 25;
const WARMUP_STREAMS = 5;

/**
 * The answer for the sequential first-token samples: short and whole (4 deltas 5 ms apart), so hundreds of samples
 * take seconds and every run completes. Disconnecting at the first token instead (the previous method) cancels
 * every run, which closes the app's kept-alive connection to the model: each next request then paid a TCP connect
 * upstream that a completed run never causes, plus the cancelled run's final save overlapping it.
 */
const SHORT_ANSWER = { count: 4, delayMs: 5 };

/** Runs the same requests against the scripted model directly and through the app, interleaved one by one. */
async function interleaved(ctx: BenchContext, token: string, count: number, pacing: Pacing) {
  const prompt = promptFor(pacing);
  const targets = [directTarget(ctx.llm.url, prompt), appTarget(ctx.app.url, token, prompt)];
  const results = await runSequential(
    (i) => targets[i % 2],
    count * 2,
    { timeoutMs: STREAM_TIMEOUT_MS, stopAfterFirstToken: false },
    SEQUENTIAL_PAUSE_MS,
  );
  const side = (parity: number) => results.filter((_, i) => i % 2 === parity);
  return pair(side(0), side(1), true);
}

function pair(direct: StreamResult[], app: StreamResult[], complete: boolean) {
  const d = aggregate(direct, Infinity, complete);
  const a = aggregate(app, Infinity, complete);
  for (const [label, s] of [
    ['direct', d],
    ['app', a],
  ] as const) {
    if (s.ok === 0) throw new Error(`no ${label} stream succeeded: ${s.errors[0] ?? 'no tokens'}`);
  }
  return { direct: d, app: a };
}

const opened = (s: StreamStats) =>
  `p50 ${s.opened.p50.toFixed(1)} / p99 ${s.opened.p99.toFixed(1)} ms after the request`;

const failures = (s: StreamStats) => (s.ok < s.streams ? `, ${s.streams - s.ok} of ${s.streams} failed` : '');

/** p50/p99 pairs as one readable cell: "direct 1.2 / 3.4 ms, app 5.6 / 7.8 ms". */
function sides(d: StreamStats, a: StreamStats, pick: (s: StreamStats) => { p50: number; p99: number }): string {
  const f = (s: StreamStats) => `${pick(s).p50.toFixed(1)} / ${pick(s).p99.toFixed(1)} ms`;
  return `direct ${f(d)}, app ${f(a)} (p50 / p99)${failures(a)}`;
}

export const firstTokenScenario: Scenario = {
  name: 'first-token',
  async run(ctx) {
    const sizes = ctx.options.sizes.firstToken;
    const [user] = await createUsers(ctx.app.url, 'first-token', 1);
    const rows: Row[] = [];

    await interleaved(ctx, user.token, WARMUP_STREAMS, SHORT_ANSWER);
    await settle(ctx);

    // 1 stream at a time, short whole answers (SHORT_ANSWER), so hundreds of samples fit the time.
    const seq = await interleaved(ctx, user.token, sizes.sequential, SHORT_ANSWER);
    const addedP50 = seq.app.firstToken.p50 - seq.direct.firstToken.p50;
    const addedP99 = seq.app.firstToken.p99 - seq.direct.firstToken.p99;
    rows.push(
      info(
        `first token, 1 stream (n=${sizes.sequential} per side)`,
        sides(seq.direct, seq.app, (s) => s.firstToken),
      ),
      check('added first token p50, 1 stream', '<= 5 ms', ms(addedP50), addedP50 <= 5),
      check('added first token p99, 1 stream', '<= 15 ms', ms(addedP99), addedP99 <= 15),
      info('  of which app response headers (run accepted), 1 stream', opened(seq.app)),
    );
    await settle(ctx);

    // Whole streams, one at a time: the gaps between text frames.
    const whole = await interleaved(ctx, user.token, sizes.gapStreams, ctx.options.pacing);
    const gapAdded = whole.app.gaps.p99 - whole.direct.gaps.p99;
    rows.push(
      info(
        `frame gap, 1 stream (${whole.app.gaps.count} gaps per side)`,
        sides(whole.direct, whole.app, (s) => s.gaps),
      ),
      check('added frame gap p99, 1 stream', '<= 2 ms', ms(gapAdded, 2), gapAdded <= 2),
    );
    await settle(ctx);

    // N streams at once, whole: first token and gaps under concurrency, rounds alternating direct and app.
    const prompt = promptFor(ctx.options.pacing);
    // The relays' rounds show what any Node service in the middle adds on this machine at this concurrency, and what
    // reading the model through the SDK adds to that.
    const direct: StreamResult[] = [];
    const app: StreamResult[] = [];
    const relay: StreamResult[] = [];
    const sdkRelay: StreamResult[] = [];
    const n = sizes.concurrent;
    const { lag } = await measuringClientLag(async () => {
      for (let round = 0; round < sizes.concurrentRounds; round++) {
        const sides: Array<[StreamResult[], StreamTarget]> = [
          [direct, directTarget(ctx.llm.url, prompt)],
          [app, appTarget(ctx.app.url, user.token, prompt)],
        ];
        if (ctx.options.sizes.streamBaselines) {
          sides.push([relay, relayTarget(ctx.baseline.url, prompt)]);
          sides.push([sdkRelay, relayTarget(ctx.baseline.url, prompt, 'sdk')]);
        }
        for (const [results, target] of sides) {
          results.push(...(await runConcurrent(Array(n).fill(target), { timeoutMs: STREAM_TIMEOUT_MS })));
          await settle(ctx);
        }
      }
    });
    const conc = pair(direct, app, true);
    const concAdded = conc.app.firstToken.p99 - conc.direct.firstToken.p99;
    const baseline = (results: StreamResult[]) => {
      if (!results.length) return BASELINE_NOT_RUN;
      const s = aggregate(results, Infinity, true);
      const added = s.firstToken.p99 - conc.direct.firstToken.p99;
      return `first token ${s.firstToken.p50.toFixed(1)} / ${s.firstToken.p99.toFixed(1)} ms (p50 / p99)${failures(s)}; added p99 ${ms(added)}`;
    };
    const concGap = conc.app.gaps.p99 - conc.direct.gaps.p99;
    rows.push(
      info(
        `first token, ${n} concurrent (x${sizes.concurrentRounds} rounds)`,
        sides(conc.direct, conc.app, (s) => s.firstToken),
      ),
      check(`added first token p99, ${n} concurrent`, '<= 25 ms', ms(concAdded), concAdded <= 25),
      info(`  of which app response headers (run accepted), ${n} concurrent`, opened(conc.app)),
      info(`  baseline: bare relay (no auth, no database, bytes passed through), ${n} concurrent`, baseline(relay)),
      info(
        `  baseline: SDK relay (the model read through the SDK, events re-sent), ${n} concurrent`,
        baseline(sdkRelay),
      ),
      info(
        `frame gap, ${n} concurrent`,
        sides(conc.direct, conc.app, (s) => s.gaps),
      ),
      info(`added frame gap p99, ${n} concurrent`, ms(concGap, 2)),
    );
    if (lag.maxMs > 20) {
      ctx.note(
        `first-token: the bench client's own event loop lagged up to ${lag.maxMs.toFixed(0)} ms during the ${n}-stream rounds`,
      );
    }
    return rows;
  },
};
