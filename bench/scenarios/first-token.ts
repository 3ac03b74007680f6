import { createUsers } from '../api-client.js';
import type { StreamTarget } from '../sse-client.js';
import { aggregate, runConcurrent, runSequential, type StreamStats } from '../stream-load.js';
import { appTarget, directTarget, promptFor } from '../stream-targets.js';
import { ms, p50p99 } from '../stats.js';
import { check, info, type Row } from '../report.js';
import { settle, type Scenario } from './scenario.js';

const STREAM_TIMEOUT_MS = 60_000;
/** Idle time between sequential requests, so a finished run's final writes never overlap the next measurement. */
const SEQUENTIAL_PAUSE_MS = 25;
const WARMUP_STREAMS = 5;

/**
 * The answer for the sequential samples: short and whole (4 deltas 5 ms apart), so hundreds of samples take seconds
 * and every run completes (a run cancelled at its first token closes the app's kept-alive connection to the model
 * and charges the next sample a TCP connect).
 */
export const SHORT_ANSWER = promptFor({ count: 4, delayMs: 5 });

/** The same request to each target in turn, one at a time, `count` rounds; the stats of each target's streams. */
export async function interleaved(targets: StreamTarget[], count: number): Promise<StreamStats[]> {
  const results = await runSequential(
    (i) => targets[i % targets.length],
    count * targets.length,
    { timeoutMs: STREAM_TIMEOUT_MS },
    SEQUENTIAL_PAUSE_MS,
  );
  return targets.map((target, t) => {
    const stats = aggregate(
      results.filter((_, i) => i % targets.length === t),
      Infinity,
      true,
    );
    if (stats.ok === 0) throw new Error(`no ${target.label} stream succeeded: ${stats.errors[0] ?? 'no tokens'}`);
    return stats;
  });
}

const failures = (s: StreamStats) => (s.ok < s.streams ? `, ${s.streams - s.ok} of ${s.streams} failed` : '');

export const firstTokenScenario: Scenario = {
  name: 'first-token',
  async run(ctx) {
    const { sequential, concurrent, concurrentRounds } = ctx.options.sizes.firstToken;
    const [user] = await createUsers(ctx.app.url, 'first-token', 1);
    const short = [directTarget(ctx.llm.url, SHORT_ANSWER), appTarget(ctx.app.url, user.token, SHORT_ANSWER)];
    await interleaved(short, WARMUP_STREAMS);
    await settle(ctx);
    const [direct, app] = await interleaved(short, sequential);
    const added = app.firstToken.p50 - direct.firstToken.p50;
    const addedP99 = app.firstToken.p99 - direct.firstToken.p99;
    const rows: Row[] = [
      info(
        `first token, 1 stream (n=${sequential} per side)`,
        `model straight ${p50p99(direct.firstToken)}, app ${p50p99(app.firstToken)}${failures(app)}`,
      ),
      check('added first token p50, 1 stream', '<= 5 ms', ms(added), added <= 5),
      check('added first token p99, 1 stream', '<= 15 ms', ms(addedP99), addedP99 <= 15),
    ];
    await settle(ctx);

    // N streams at once, whole answers at the run's pacing: first token and frame gaps under concurrency.
    const prompt = promptFor(ctx.options.pacing);
    const sides = [directTarget(ctx.llm.url, prompt), appTarget(ctx.app.url, user.token, prompt)];
    const results = sides.map(() => [] as Awaited<ReturnType<typeof runConcurrent>>);
    for (let round = 0; round < concurrentRounds; round++) {
      for (const [i, target] of sides.entries()) {
        results[i].push(...(await runConcurrent(Array(concurrent).fill(target), { timeoutMs: STREAM_TIMEOUT_MS })));
        await settle(ctx);
      }
    }
    const [d, a] = results.map((r) => aggregate(r, Infinity, true));
    const concAdded = a.firstToken.p99 - d.firstToken.p99;
    rows.push(
      info(
        `first token, ${concurrent} concurrent (x${concurrentRounds} rounds)`,
        `model straight ${p50p99(d.firstToken)}, app ${p50p99(a.firstToken)}${failures(a)}`,
      ),
      check(`added first token p99, ${concurrent} concurrent`, '<= 25 ms', ms(concAdded), concAdded <= 25),
      info(
        `frame gap, ${concurrent} concurrent`,
        `model straight ${p50p99(d.gaps)}, app ${p50p99(a.gaps)}; added p99 ${ms(a.gaps.p99 - d.gaps.p99)}`,
      ),
    );
    return rows;
  },
};
