import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApp, type AppProcess } from './app-process.js';
import { startChildService, type ChildService } from './child-service.js';
import { prepareDatabase, type BenchDatabase } from './database.js';
import { describeMachine } from './machine.js';
import { parseOptions, USAGE, UsageError, type BenchOptions, type ScenarioName } from './options.js';
import { failedRow, renderTable, tally, type Row } from './report.js';
import { activeStreamsScenario } from './scenarios/active-streams.js';
import { fanOutScenario } from './scenarios/fan-out.js';
import { firstTokenScenario } from './scenarios/first-token.js';
import { footprintScenario } from './scenarios/footprint.js';
import { IDLE_PING_MS, idleStreamsScenario } from './scenarios/idle-streams.js';
import { ingestionScenario } from './scenarios/ingestion.js';
import { redisScenario } from './scenarios/redis.js';
import { restScenario } from './scenarios/rest.js';
import { resumeScenario } from './scenarios/resume.js';
import { settle, type BenchContext, type ExtraApp, type Scenario } from './scenarios/scenario.js';
import { searchScenario } from './scenarios/search.js';
import { tasksScenario } from './scenarios/tasks.js';
import { websocketScenario } from './scenarios/websocket.js';

/**
 * Idle streams run early, on a fresh process, so their RSS growth is not absorbed by heap earlier loads left
 * behind; the 100k-passage search corpus is seeded last, so no other scenario runs against a large database.
 */
const ORDER: Scenario[] = [
  footprintScenario,
  idleStreamsScenario,
  firstTokenScenario,
  websocketScenario,
  resumeScenario,
  fanOutScenario,
  activeStreamsScenario,
  redisScenario,
  tasksScenario,
  restScenario,
  ingestionScenario,
  searchScenario,
];

/** Where the footprint scenario finds a PostgreSQL server on a PGlite run. */
const LOCAL_POSTGRES = 'postgres://postgres@127.0.0.1:5432/postgres';

/** The app as the bench runs it: production mode, quiet logs, limits out of the way of the load. */
function appEnv(llmUrl: string, db: BenchDatabase, extra: Record<string, string>): Record<string, string> {
  return {
    NODE_ENV: 'production',
    JWT_SECRET: `bench-jwt-${randomBytes(24).toString('hex')}`,
    ANTHROPIC_API_KEY: 'bench-anthropic-key',
    ANTHROPIC_BASE_URL: llmUrl,
    // A failed model request should show as a failed stream, not hide behind a retry.
    LLM_MAX_RETRIES: '0',
    LOG_LEVEL: 'warn',
    RATE_LIMIT_CHAT_PER_MINUTE: '100000',
    RATE_LIMIT_DEFAULT_PER_MINUTE: '1000000',
    RATE_LIMIT_LOGIN_PER_MINUTE: '100000',
    RATE_LIMIT_LOGIN_PER_ADDRESS_PER_MINUTE: '100000',
    RATE_LIMIT_REGISTER_PER_HOUR: '1000000',
    MAX_CONCURRENT_RUNS_PER_USER: '1000',
    MAX_CONCURRENT_RUNS_PER_ADDRESS: '100000',
    MAX_CONCURRENT_RUNS: '1000000',
    // The search corpus is 100,000 passages of one user, the default cap exactly; ingestion's are another user's.
    DOCUMENT_MAX_PASSAGES_PER_USER: '1000000',
    SSE_PING_MS: String(IDLE_PING_MS),
    SHUTDOWN_GRACE_MS: '2000',
    ...db.env,
    ...extra,
  };
}

const progress = (text: string) => process.stderr.write(`[bench] ${text}\n`);

async function runScenarios(ctx: BenchContext, names: ScenarioName[]): Promise<{ rows: Row[]; broken: boolean }> {
  const rows: Row[] = [];
  let broken = false;
  for (const scenario of ORDER.filter((s) => names.includes(s.name))) {
    const started = performance.now();
    progress(`${scenario.name}…`);
    try {
      await settle(ctx);
      rows.push(...(await scenario.run(ctx)));
    } catch (err) {
      broken = true;
      rows.push(failedRow(scenario.name, err));
      process.stderr.write(`[bench] ${scenario.name} failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    }
    progress(`${scenario.name} done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }
  return { rows, broken };
}

/** Starts an app on a fresh store (its own PGlite directory, or its own database on the server). */
async function startOnStore(
  workDir: string,
  serverUrl: string | undefined,
  env: (db: BenchDatabase) => Record<string, string>,
): Promise<ExtraApp & { db: BenchDatabase }> {
  const db = await prepareDatabase(await mkdtemp(join(workDir, 'app-')), serverUrl);
  let app: AppProcess;
  try {
    app = await startApp({ cwd: workDir, env: env(db) });
  } catch (err) {
    await db.drop();
    throw err;
  }
  return { app, db, stop: async () => void (await app.stop(), await db.drop()) };
}

async function bench(options: BenchOptions): Promise<boolean> {
  const started = performance.now();
  const workDir = await mkdtemp(join(tmpdir(), 'agent-bench-'));
  const notes: string[] = [];
  const cleanups: Array<() => Promise<unknown>> = [];
  let rows: Row[] = [];
  let broken: boolean;
  let database = '';
  let app: AppProcess | undefined;
  try {
    const llm: ChildService = await startChildService(join(__dirname, 'servers', 'llm-server.js'), {
      deltas: options.pacing.count,
      deltaDelayMs: options.pacing.delayMs,
    });
    cleanups.push(() => llm.stop());
    const baseline = await startChildService(join(__dirname, 'servers', 'express-baseline.js'), {});
    cleanups.push(() => baseline.stop());
    const main = await startOnStore(workDir, options.databaseUrl, (db) => appEnv(llm.url, db, options.appEnv));
    cleanups.push(async () => {
      const code = await main.app.stop();
      if (code !== 0) notes.push(`the app exited with ${code} at the end of the run`);
      await main.db.drop();
    });
    app = main.app;
    database = main.db.description;
    progress(`app started on ${database}`);
    let withRedis: Promise<AppProcess> | undefined;
    const ctx: BenchContext = {
      options,
      database: main.db.kind,
      databaseUrl: main.db.kind === 'postgres' ? main.db.env.DATABASE_URL : undefined,
      app,
      llm,
      baseline,
      startExtraApp: async (env, store = main.db.kind) => {
        const server = store === 'postgres' ? (options.databaseUrl ?? LOCAL_POSTGRES) : undefined;
        const extra = await startOnStore(workDir, server, (db) => appEnv(llm.url, db, { ...options.appEnv, ...env }));
        cleanups.push(() => extra.stop());
        return extra;
      },
      appWithRedis: () =>
        (withRedis ??= ctx
          .startExtraApp({ REDIS_URL: options.redisUrl, REDIS_PREFIX: `bench-${randomBytes(6).toString('hex')}:` })
          .then((extra) => extra.app)),
      note: (t) => notes.push(t),
    };
    ({ rows, broken } = await runScenarios(ctx, options.scenarios));
  } catch (err) {
    broken = true;
    process.stderr.write(`[bench] could not set up the run: ${err instanceof Error ? err.stack : String(err)}\n`);
  } finally {
    const counts = app?.logCounts() ?? {};
    for (const cleanup of cleanups.reverse()) {
      await cleanup().catch((err: unknown) => notes.push(`cleanup failed: ${String(err)}`));
    }
    await rm(workDir, { recursive: true, force: true });
    const logged = Object.entries(counts).map(([level, n]) => `${n} ${level}`);
    if (logged.length) notes.push(`the app logged ${logged.join(', ')} lines (LOG_LEVEL=warn)`);
  }

  const { met, total } = tally(rows);
  const header = [
    `Benchmark (${options.mode}) — ${new Date().toISOString()}`,
    `machine: ${describeMachine()}`,
    `database: ${database || 'not started'}`,
    `scripted model: ${options.pacing.count} text deltas ${options.pacing.delayMs} ms apart; app: NODE_ENV=production, LOG_LEVEL=warn, SSE_PING_MS=${IDLE_PING_MS}`,
  ];
  const extra = Object.entries(options.appEnv).map(([k, v]) => `${k}=${v}`);
  if (extra.length) header.push(`app environment added for this run: ${extra.join(' ')}`);
  const out = [...header, '', renderTable(rows), ''];
  if (notes.length) out.push('Notes:', ...notes.map((n) => `- ${n}`), '');
  out.push(`run time ${((performance.now() - started) / 60_000).toFixed(1)} min`, `${met} of ${total} targets met`);
  process.stdout.write(`${out.join('\n')}\n`);
  if (options.jsonOut) {
    await writeFile(options.jsonOut, JSON.stringify({ mode: options.mode, database, header, rows, notes }, null, 2));
  }
  return !broken;
}

async function main(): Promise<void> {
  let options: BenchOptions;
  try {
    options = parseOptions(process.argv.slice(2), process.env);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`${err.message}\n\n${USAGE}\n`);
    process.exit(2);
  }
  // Targets missed are results, not failures: the exit code only says whether the harness itself worked.
  process.exit((await bench(options)) ? 0 : 1);
}

void main();
