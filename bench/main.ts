import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApp, type AppProcess } from './app-process.js';
import { startChildService } from './child-service.js';
import { prepareDatabase, type BenchDatabase } from './database.js';
import { describeMachine, MachineLoad, processCpuMs } from './machine.js';
import { parseOptions, USAGE, UsageError, type BenchOptions, type ScenarioName } from './options.js';
import { renderProfile, summarizeProfile } from './profile-summary.js';
import { failedRow, renderTable, tally, type Row } from './report.js';
import { activeStreamsScenario } from './scenarios/active-streams.js';
import { firstTokenScenario } from './scenarios/first-token.js';
import { IDLE_PING_MS, idleStreamsScenario } from './scenarios/idle-streams.js';
import { ingestionScenario } from './scenarios/ingestion.js';
import { restScenario } from './scenarios/rest.js';
import { settle, type BenchContext, type Scenario } from './scenarios/scenario.js';
import { searchScenario } from './scenarios/search.js';

/**
 * Idle streams run first, on a fresh process, so their RSS growth is not absorbed by heap earlier loads left
 * behind; the 100k-passage search corpus is seeded last, so no other scenario runs against a large database.
 */
const ORDER: Scenario[] = [
  idleStreamsScenario,
  firstTokenScenario,
  activeStreamsScenario,
  restScenario,
  ingestionScenario,
  searchScenario,
];

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
    MAX_CONCURRENT_RUNS_PER_USER: '1000',
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
      // Every scenario starts on a quiet app, whatever the previous one left running.
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

async function bench(options: BenchOptions): Promise<boolean> {
  const started = performance.now();
  const workDir = await mkdtemp(join(tmpdir(), 'agent-bench-'));
  const profileDir = options.profile ? await mkdtemp(join(tmpdir(), 'agent-bench-profile-')) : undefined;
  const notes: string[] = [];
  const cleanups: Array<() => Promise<unknown>> = [];
  let rows: Row[] = [];
  let broken: boolean;
  let database = '';
  let app: AppProcess | undefined;
  const helpers: number[] = [];
  // CPU used by the bench and everything it started, so the load of other processes can be told apart.
  const ourCpuMs = () => {
    const own = process.cpuUsage();
    const children = [app?.pid, ...helpers].filter((pid): pid is number => pid !== undefined);
    const theirs = children.reduce((sum, pid) => sum + safeCpuMs(pid), 0);
    return (own.user + own.system) / 1000 + theirs;
  };
  const load = new MachineLoad(ourCpuMs);
  try {
    const llm = await startChildService(join(__dirname, 'servers', 'llm-server.js'), {
      deltas: options.pacing.count,
      deltaDelayMs: options.pacing.delayMs,
    });
    cleanups.push(() => llm.stop());
    helpers.push(llm.pid);
    const db = await prepareDatabase(workDir, options.databaseUrl);
    cleanups.push(async () => {
      if (options.keepDatabase) notes.push(`database kept for inspection: ${db.env.DATABASE_URL}`);
      else await db.drop();
    });
    const baseline = await startChildService(join(__dirname, 'servers', 'express-baseline.js'), {
      llmUrl: llm.url,
      pingMs: IDLE_PING_MS,
      // PGlite lives inside the app's process: there is no database a baseline could share.
      databaseUrl: db.kind === 'postgres' ? db.env.DATABASE_URL : undefined,
    });
    cleanups.push(() => baseline.stop());
    helpers.push(baseline.pid);
    database = db.description;
    progress(`starting the app on ${db.description}`);
    app = await startApp({ cwd: workDir, env: appEnv(llm.url, db, options.appEnv), cpuProfileDir: profileDir });
    const running = app;
    cleanups.push(async () => {
      const code = await running.stop();
      if (code !== 0) notes.push(`the app exited with ${code} at the end of the run`);
    });
    const ctx: BenchContext = {
      options,
      database: db.kind,
      databaseUrl: db.kind === 'postgres' ? db.env.DATABASE_URL : undefined,
      app,
      llm,
      baseline,
      note: (t) => notes.push(t),
    };
    ({ rows, broken } = await runScenarios(ctx, options.scenarios));
  } catch (err) {
    broken = true;
    process.stderr.write(`[bench] could not set up the run: ${err instanceof Error ? err.stack : String(err)}\n`);
  } finally {
    notes.push(`machine: ${load.describe()}`);
    const counts = app?.logCounts() ?? {};
    for (const cleanup of cleanups.reverse()) {
      await cleanup().catch((err: unknown) => notes.push(`cleanup failed: ${String(err)}`));
    }
    await rm(workDir, { recursive: true, force: true });
    const logged = Object.entries(counts).map(([level, n]) => `${n} ${level}`);
    if (logged.length) {
      const last = app
        ?.logTail()
        .trim()
        .split('\n')
        .reverse()
        .find((l) => /"level":"(error|fatal)"/.test(l));
      notes.push(
        `the app logged ${logged.join(', ')} lines (LOG_LEVEL=warn)${last ? `; last error: ${last.slice(0, 400)}` : ''}`,
      );
    }
  }

  const { met, total } = tally(rows);
  const minutes = (performance.now() - started) / 60_000;
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
  out.push(`run time ${minutes.toFixed(1)} min`, `${met} of ${total} targets met`);
  process.stdout.write(`${out.join('\n')}\n`);

  if (options.jsonOut) {
    await writeFile(
      options.jsonOut,
      JSON.stringify({ mode: options.mode, database, header, rows, notes, met, total }, null, 2),
    );
  }
  if (profileDir) {
    const file = (await readdir(profileDir)).find((f) => f.endsWith('.cpuprofile'));
    if (file)
      process.stdout.write(
        `\n${renderProfile(summarizeProfile(join(profileDir, file)))}\nprofile: ${join(profileDir, file)}\n`,
      );
    else process.stdout.write(`\nno CPU profile was written to ${profileDir}\n`);
  }
  return !broken;
}

/** A process that already exited has used what it used; it no longer shows in /proc. */
function safeCpuMs(pid: number): number {
  try {
    return processCpuMs(pid);
  } catch {
    return 0;
  }
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
  const ok = await bench(options);
  process.exit(ok ? 0 : 1);
}

void main();
