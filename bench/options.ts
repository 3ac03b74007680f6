import type { Pacing } from './stream-targets.js';

export type Mode = 'full' | 'smoke';

export const SCENARIOS = [
  'footprint',
  'idle',
  'first-token',
  'websocket',
  'resume',
  'fan-out',
  'active',
  'redis',
  'tasks',
  'rest',
  'ingestion',
  'search',
] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

/** How much of each scenario a mode runs. Targets are the same in every mode; only the counts shrink. */
export interface Sizes {
  /** Text deltas per scripted answer unless --deltas says otherwise (smoke keeps streams short). */
  deltas: number;
  firstToken: {
    /** Sequential first-token samples per side (interleaved); also the sample count of websocket, resume, redis. */
    sequential: number;
    concurrent: number;
    concurrentRounds: number;
  };
  /** Seconds the footprint apps idle after boot before their RSS is read. */
  footprintIdleS: number;
  fanOut: { subscribers: number };
  tasks: { count: number };
  active: { steps: number[]; streamMs: number };
  idle: { streams: number };
  /** Whole seconds: autocannon stops on its one-second tick, so shorter runs last a second anyway. */
  rest: {
    durationS: number;
    rounds: number;
    connections: number;
    warmupS: number;
    halfRateS: number;
    /** Users whose tokens the document-list load takes turns with. */
    listUsers: number;
  };
  ingestion: { textDocs: number; textBytes: number; pdfDocs: number; pdfTextBytes: number };
  /** Whole rounds of the query list, as many as fit the time budget (at least one), at most `rounds`. */
  search: { chunks: number; documents: number; rounds: number; budgetS: number };
}

const SIZES: Record<Mode, Sizes> = {
  full: {
    deltas: 64,
    firstToken: { sequential: 200, concurrent: 100, concurrentRounds: 4 },
    footprintIdleS: 10,
    fanOut: { subscribers: 50 },
    tasks: { count: 400 },
    active: { steps: [100, 250, 500, 1000], streamMs: 6_000 },
    idle: { streams: 2_000 },
    rest: { durationS: 5, rounds: 2, connections: 32, warmupS: 1, halfRateS: 10, listUsers: 8 },
    ingestion: { textDocs: 6, textBytes: 4_000_000, pdfDocs: 3, pdfTextBytes: 600_000 },
    search: { chunks: 100_000, documents: 100, rounds: 24, budgetS: 45 },
  },
  smoke: {
    deltas: 16,
    firstToken: { sequential: 6, concurrent: 10, concurrentRounds: 1 },
    footprintIdleS: 1,
    fanOut: { subscribers: 5 },
    tasks: { count: 10 },
    active: { steps: [20], streamMs: 600 },
    idle: { streams: 50 },
    rest: { durationS: 1, rounds: 1, connections: 8, warmupS: 0, halfRateS: 1, listUsers: 2 },
    ingestion: { textDocs: 1, textBytes: 200_000, pdfDocs: 1, pdfTextBytes: 30_000 },
    search: { chunks: 500, documents: 2, rounds: 1, budgetS: 2 },
  },
};

export interface BenchOptions {
  mode: Mode;
  sizes: Sizes;
  pacing: Pacing;
  scenarios: ScenarioName[];
  /** PostgreSQL server to create the run's database on (BENCH_DATABASE_URL); unset: embedded PGlite. */
  databaseUrl?: string;
  /** Redis for the scenarios that run an app with REDIS_URL beside one without (BENCH_REDIS_URL). */
  redisUrl: string;
  /** Also write the rows as JSON here. */
  jsonOut?: string;
  /** Extra environment for the app (experiments: `--app-env=DATABASE_POOL_SIZE=50`); printed in the header. */
  appEnv: Record<string, string>;
}

export const USAGE = `npm run bench [-- options]     (builds the app into dist/ first, then measures it)

  --smoke            tiny counts (about a minute); checks the harness works, never a speed gate
  --only=a,b         scenarios to run: ${SCENARIOS.join(', ')}
  --deltas=N         text deltas per scripted answer (default 64; 16 with --smoke)
  --delta-ms=MS      pause between deltas (default 20)
  --json=FILE        also write the results as JSON
  --app-env=K=V      extra environment for the app (repeatable), e.g. --app-env=DATABASE_POOL_SIZE=50

  BENCH_DATABASE_URL=postgres://…   run against a fresh database created (and dropped) on that server
  BENCH_REDIS_URL=redis://…         Redis for the with-Redis rows (default redis://127.0.0.1:6379)`;

export function parseOptions(argv: string[], env: NodeJS.ProcessEnv): BenchOptions {
  let mode: Mode = 'full';
  let deltas: number | undefined;
  let delayMs = 20;
  let scenarios: ScenarioName[] = [...SCENARIOS];
  let jsonOut: string | undefined;
  const appEnv: Record<string, string> = {};
  for (const arg of argv) {
    const [flag, value] = arg.split(/=(.*)/s, 2);
    if (flag === '--smoke') mode = 'smoke';
    else if (flag === '--deltas') deltas = positiveInt(flag, value);
    else if (flag === '--delta-ms') delayMs = positiveInt(flag, value, 0);
    else if (flag === '--json' && value) jsonOut = value;
    else if (flag === '--only' && value) scenarios = value.split(',').map(scenarioName);
    else if (flag === '--app-env' && value?.includes('=')) {
      const [key, setting] = value.split(/=(.*)/s, 2);
      appEnv[key] = setting;
    } else throw new UsageError(`unknown option ${arg}`);
  }
  const sizes = SIZES[mode];
  const pacing: Pacing = { count: deltas ?? sizes.deltas, delayMs };
  const databaseUrl = env.BENCH_DATABASE_URL || undefined;
  const redisUrl = env.BENCH_REDIS_URL || 'redis://127.0.0.1:6379';
  return { mode, sizes, pacing, scenarios, jsonOut, appEnv, databaseUrl, redisUrl };
}

export class UsageError extends Error {}

function positiveInt(flag: string, value: string | undefined, min = 1): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`${flag} needs an integer >= ${min}`);
  return n;
}

function scenarioName(name: string): ScenarioName {
  if (!(SCENARIOS as readonly string[]).includes(name)) throw new UsageError(`unknown scenario ${name}`);
  return name as ScenarioName;
}
