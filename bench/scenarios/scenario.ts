import type { AppProcess } from '../app-process.js';
import type { ChildService } from '../child-service.js';
import type { BenchDatabase } from '../database.js';
import type { BenchOptions, ScenarioName } from '../options.js';
import type { Row } from '../report.js';
import type { LlmStats } from '../servers/llm-server.js';
import { sleep } from '../stats.js';

/** Another instance of the app, on a store of its own, stopped (and its database dropped) by `stop`. */
export interface ExtraApp {
  app: AppProcess;
  stop(): Promise<void>;
}

export interface BenchContext {
  options: BenchOptions;
  database: BenchDatabase['kind'];
  /** The run's PostgreSQL database (unset on PGlite, which lives inside the app's process). */
  databaseUrl?: string;
  app: AppProcess;
  /** The scripted Anthropic server the app streams from (its own process). */
  llm: ChildService;
  /** The bare Express app for the REST baseline (its own process). */
  baseline: ChildService;
  /**
   * Starts one more app process with `env` added, on a fresh store: the run's kind unless `store` says otherwise
   * (`postgres` needs a server: BENCH_DATABASE_URL, else the local default).
   */
  startExtraApp(env: Record<string, string>, store?: BenchDatabase['kind']): Promise<ExtraApp>;
  /**
   * One more app on a fresh store of the run's kind with REDIS_URL set (under a key prefix of the run's own): the app
   * as one instance of a scaled-out deployment. Started by the first scenario that asks, shared by the others, stopped
   * at the end of the run.
   */
  appWithRedis(): Promise<AppProcess>;
  /** A caveat printed under the table. */
  note(text: string): void;
}

export interface Scenario {
  name: ScenarioName;
  run(ctx: BenchContext): Promise<Row[]>;
}

const SETTLE_TIMEOUT_MS = 60_000;
const QUIET_WINDOW_MS = 250;
/** The app counts as idle when it used under 5% of a core over the window. */
const QUIET_CPU_SHARE = 0.05;

/**
 * Waits until every model stream of the previous load is closed and then until the app's own CPU use is near zero
 * (runs saving their final state), so one scenario's tail is not the next one's noise. Bounded: past the timeout
 * the scenario goes on, with a note.
 */
export async function settle(ctx: BenchContext, app: AppProcess = ctx.app): Promise<void> {
  const deadline = Date.now() + SETTLE_TIMEOUT_MS;
  let stats = await ctx.llm.call<LlmStats>('stats');
  while (stats.open > 0 && Date.now() < deadline) {
    await sleep(100);
    stats = await ctx.llm.call<LlmStats>('stats');
  }
  if (stats.open > 0)
    ctx.note(`${stats.open} model streams were still open ${SETTLE_TIMEOUT_MS} ms after a load ended`);
  else await ctx.llm.call('reset');
  for (;;) {
    const before = app.cpuMs();
    await sleep(QUIET_WINDOW_MS);
    if (app.cpuMs() - before <= QUIET_WINDOW_MS * QUIET_CPU_SHARE) return;
    if (Date.now() > deadline) {
      ctx.note(`the app was still busy ${SETTLE_TIMEOUT_MS} ms after a load ended`);
      return;
    }
  }
}
