import { createUsers, uploadText, userIdOf, type BenchUser } from '../api-client.js';
import { Corpus } from '../corpus.js';
import { CoreWatch, coresDuring, describeCores, type CoreReading } from '../core-watch.js';
import { describeLoad, httpLoad, pacedGetInChild, type HttpLoad, type PacedLoad } from '../http-load.js';
import { check, info, type Row } from '../report.js';
import { settle, type BenchContext, type Scenario } from './scenario.js';

const LIST_DOCUMENTS = 25;

function mean(loads: HttpLoad[]): number {
  return loads.reduce((sum, l) => sum + l.rps, 0) / loads.length;
}

/**
 * Paced requests sent before the measured ones, not counted: the client's connections and code warming up, and the
 * server's climb back from the quiet pause before the run. Traced request by request (PostgreSQL, 1,200-2,060 req/s),
 * that climb lasted 0.3-0.7 s on the bare floor and up to 1.3 s on the app, with answers up to 263 ms, so a 1 s
 * warm-up let it into the window in some runs and not others; the warm-up's own p99 and max are reported beside it.
 */
const PACED_WARMUP_S = 3;
/** The documents list's p99 bound: answers slower than it are counted and grouped in time beside the p99. */
const LIST_P99_MS = 10;

/**
 * "… ms (p50 … ms[, N failed][; N over 10 ms in K stretches, the largest M in T ms])": a paced load's counted
 * window. The stretches say whether a missed p99 was a tail spread over the window or one pause somewhere.
 */
function describePaced(load: PacedLoad): string {
  const failed = load.failures ? `, ${load.failures} failed` : '';
  const { slow, stretches, largest, overMs } = load.slow;
  const spread = slow
    ? `; ${slow} over ${overMs} ms in ${stretches} stretch${stretches === 1 ? '' : 'es'}, the largest ${largest.slow} in ${largest.spanMs.toFixed(0)} ms`
    : '';
  return `${load.p99.toFixed(1)} ms (p50 ${load.p50.toFixed(1)} ms${failed}${spread})`;
}

/**
 * What the cores did during the largest stretch of slow answers and over the whole counted window, from the readings
 * taken while the load ran: whether the server's thread was on a core, waiting for one, or idle.
 */
function describeCoresDuring(load: PacedLoad, readings: readonly CoreReading[], who: string): string {
  const whole = `over the window ${describeCores(coresDuring(readings, load.window.from, load.window.to), who)}`;
  const { slow, fromMs, spanMs } = load.slow.largest;
  if (!slow) return whole;
  const from = load.startedAt + fromMs;
  return `in the largest stretch ${describeCores(coresDuring(readings, from, from + spanMs), who)}; ${whole}`;
}

/** A paced load with the cores watched while it runs (the watched pid's thread is the server's). */
async function pacedWatched(pid: number, run: () => Promise<PacedLoad>) {
  const watch = new CoreWatch(pid);
  try {
    const load = await run();
    return { load, readings: watch.stop() };
  } finally {
    watch.stop();
  }
}

function describeWarmup(load: PacedLoad): string {
  if (!load.warmup) return 'none';
  const { sent, p99, max } = load.warmup;
  return `${sent} requests, p99 ${p99.toFixed(1)} ms, max ${max.toFixed(1)} ms`;
}

/** The documents list on the bare baseline (PostgreSQL only), paced like the app's, for the same users. */
async function bareList(ctx: BenchContext, users: BenchUser[], rate: number, durationS: number) {
  const headers = users.map((u) => ({ 'x-user-id': userIdOf(u) }));
  await settle(ctx);
  return pacedWatched(ctx.baseline.pid, () =>
    pacedGetInChild(`${ctx.baseline.url}/prebuilt/documents`, headers, rate, durationS, PACED_WARMUP_S, LIST_P99_MS),
  );
}

/**
 * REST throughput and latency with autocannon. The app's `GET /health` runs against a bare Express app answering
 * the same JSON, alternating rounds, so machine drift lands on both; then an authenticated, indexed read
 * (`GET /api/documents`) is driven at its maximum rate and at half of it.
 */
export const restScenario: Scenario = {
  name: 'rest',
  async run(ctx) {
    const { durationS, rounds, connections, warmupS, halfRateS, listUsers } = ctx.options.sizes.rest;
    const appHealth = `${ctx.app.url}/health`;
    const bareHealth = `${ctx.baseline.url}/health`;
    // The same answer from a bare Express app that Node hands Express objects, as the app's server does.
    const prebuiltHealth = `${ctx.baseline.url}/prebuilt/health`;
    const rows: Row[] = [];
    // Warm-up (JIT, connections), never counted.
    if (warmupS) {
      for (const url of [appHealth, bareHealth, prebuiltHealth])
        await httpLoad({ url, connections, durationS: warmupS });
    }
    const app: HttpLoad[] = [];
    const bare: HttpLoad[] = [];
    const prebuilt: HttpLoad[] = [];
    for (let round = 0; round < rounds; round++) {
      app.push(await httpLoad({ url: appHealth, connections, durationS }));
      bare.push(await httpLoad({ url: bareHealth, connections, durationS }));
      prebuilt.push(await httpLoad({ url: prebuiltHealth, connections, durationS }));
    }
    const ratio = mean(app) / mean(bare);
    rows.push(
      info(
        `GET /health, app (${connections} connections, ${rounds}x${durationS} s)`,
        describeLoad(app[app.length - 1]),
      ),
      info('GET /health, bare Express', describeLoad(bare[bare.length - 1])),
      check('GET /health throughput, app / bare Express', '>= 0.80x', `${ratio.toFixed(2)}x`, ratio >= 0.8),
      info(
        '  baseline: bare Express whose requests Node makes as Express objects, as the app does',
        `${describeLoad(prebuilt[prebuilt.length - 1])}; app / this ${(mean(app) / mean(prebuilt)).toFixed(2)}x`,
      ),
    );

    // The read is spread over several users, as real traffic is: @nestjs/throttler's in-memory store keeps one
    // timestamp per request per user for the window and filters that array on every request, so one user at hundreds
    // of requests per second (possible only because the bench lifts the rate limits) would mostly measure that array.
    const users = await createUsers(ctx.app.url, 'rest', listUsers);
    const corpus = new Corpus(7);
    const texts = Array.from({ length: LIST_DOCUMENTS }, () => corpus.text(2_000));
    await Promise.all(
      users.map(async (user) => {
        for (const [i, text] of texts.entries()) await uploadText(ctx.app.url, user, `List ${i}`, text);
      }),
    );
    const list = {
      url: `${ctx.app.url}/api/documents`,
      headers: users.map((u) => ({ authorization: `Bearer ${u.token}` })),
      connections,
    };
    if (warmupS) await httpLoad({ ...list, durationS: warmupS });
    const max = await httpLoad({ ...list, durationS });
    const halfRate = max.rps / 2;
    const burst = await httpLoad({ ...list, durationS: halfRateS, overallRate: halfRate });
    // The paced runs start on a quiet app, not on the tail of the bursts above.
    await settle(ctx);
    const { load: paced, readings } = await pacedWatched(ctx.app.pid, () =>
      pacedGetInChild(list.url, list.headers, halfRate, halfRateS, PACED_WARMUP_S, LIST_P99_MS),
    );
    const floor = ctx.database === 'postgres' ? await bareList(ctx, users, halfRate, halfRateS) : undefined;
    const bareListed = floor?.load;
    rows.push(
      info(`GET /api/documents (20 of ${LIST_DOCUMENTS} rows, ${listUsers} users) at max rate`, describeLoad(max)),
      check(
        `GET /api/documents p99 at half max (${Math.round(halfRate)} req/s, evenly paced)`,
        `<= ${LIST_P99_MS} ms`,
        describePaced(paced),
        paced.p99 <= LIST_P99_MS && paced.failures === 0,
      ),
      info('  what the cores did (read every 10 ms)', describeCoresDuring(paced, readings, 'the app')),
      info(`  first ${PACED_WARMUP_S} s of that paced load (warm-up, not in the p99)`, describeWarmup(paced)),
      info('  same rate, autocannon overallRate (bursts each second)', describeLoad(burst)),
      info(
        '  baseline: bare Express + pg, the same prepared query and JSON, same paced rate (no auth, no framework)',
        bareListed
          ? `p99 ${describePaced(bareListed)}; warm-up ${describeWarmup(bareListed)}; ${describeCoresDuring(bareListed, floor.readings, 'the baseline')}`
          : 'not measured: embedded PGlite lives in the app process, so no other process can query it',
      ),
    );
    if (paced.firstFailure)
      ctx.note(`rest: ${paced.failures} paced request(s) failed, the first with: ${paced.firstFailure}`);
    if (paced.maxLateMs > 5) ctx.note(`rest: the paced client sent up to ${paced.maxLateMs.toFixed(0)} ms late`);
    if ([...app, ...bare, ...prebuilt].some((l) => l.failures) || max.failures) {
      ctx.note('rest: some requests failed under load (see the rows); their latencies are not in the percentiles');
    }
    if (bareListed?.firstFailure) ctx.note(`rest: the bare baseline's first failure: ${bareListed.firstFailure}`);
    return rows;
  },
};
