import type { Pacing } from './stream-targets.js';

export type Mode = 'full' | 'quick' | 'smoke';

export const SCENARIOS = ['idle', 'first-token', 'active', 'rest', 'ingestion', 'search'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

/** How much of each scenario a mode runs. Targets are the same in every mode; only the counts shrink. */
export interface Sizes {
  /** Text deltas per scripted answer unless --deltas says otherwise (smoke keeps streams short). */
  deltas: number;
  /**
   * Whether the stream scenarios also run the relay baselines (idle, 100 concurrent, active). --quick leaves them
   * out to stay under a minute; --smoke keeps them so CI exercises every path of the harness.
   */
  streamBaselines: boolean;
  firstToken: {
    /** Sequential first-token samples per side (direct and app, interleaved). */
    sequential: number;
    /** Whole sequential streams per side, for the frame gaps. */
    gapStreams: number;
    concurrent: number;
    concurrentRounds: number;
  };
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
    streamBaselines: true,
    firstToken: { sequential: 200, gapStreams: 8, concurrent: 100, concurrentRounds: 4 },
    active: { steps: [100, 250, 500, 1000], streamMs: 6_000 },
    idle: { streams: 2_000 },
    rest: { durationS: 5, rounds: 2, connections: 32, warmupS: 1, halfRateS: 10, listUsers: 8 },
    ingestion: { textDocs: 6, textBytes: 4_000_000, pdfDocs: 3, pdfTextBytes: 600_000 },
    search: { chunks: 100_000, documents: 100, rounds: 24, budgetS: 45 },
  },
  quick: {
    deltas: 64,
    streamBaselines: false,
    firstToken: { sequential: 20, gapStreams: 1, concurrent: 100, concurrentRounds: 1 },
    active: { steps: [250], streamMs: 2_000 },
    idle: { streams: 200 },
    rest: { durationS: 1, rounds: 1, connections: 32, warmupS: 1, halfRateS: 1, listUsers: 2 },
    ingestion: { textDocs: 1, textBytes: 2_000_000, pdfDocs: 1, pdfTextBytes: 300_000 },
    search: { chunks: 2_000, documents: 2, rounds: 4, budgetS: 3 },
  },
  smoke: {
    deltas: 16,
    streamBaselines: true,
    firstToken: { sequential: 6, gapStreams: 1, concurrent: 10, concurrentRounds: 1 },
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
  /** Write a V8 CPU profile of the app child and summarize it after the table. */
  profile: boolean;
  /** PostgreSQL server to create the run's database on (BENCH_DATABASE_URL); unset: embedded PGlite. */
  databaseUrl?: string;
  /** Also write the rows as JSON here. */
  jsonOut?: string;
  /** Leave the run's PostgreSQL database in place for inspection (EXPLAIN on the bench's own data). */
  keepDatabase: boolean;
  /** Extra environment for the app (experiments: `--app-env=DATABASE_POOL_SIZE=50`); printed in the header. */
  appEnv: Record<string, string>;
}

export const USAGE = `npm run bench [-- options]     (runs the BUILT app: npm run build first)

  --quick            same table, smaller counts (under a minute)
  --smoke            tiny counts (~20 s); checks the harness works, never a speed gate
  --only=a,b         scenarios to run: ${SCENARIOS.join(', ')}
  --deltas=N         text deltas per scripted answer (default 64; 16 with --smoke)
  --delta-ms=MS      pause between deltas (default 20)
  --profile          CPU-profile the app (node --cpu-prof) and print its top self-time functions
  --json=FILE        also write the results as JSON
  --app-env=K=V      extra environment for the app (repeatable), e.g. --app-env=DATABASE_POOL_SIZE=50
  --keep-database    with BENCH_DATABASE_URL: do not drop the run's database; its URL is printed at the end

  BENCH_DATABASE_URL=postgres://…   run against a fresh database created (and dropped) on that server`;

export function parseOptions(argv: string[], env: NodeJS.ProcessEnv): BenchOptions {
  let mode: Mode = 'full';
  let deltas: number | undefined;
  let delayMs = 20;
  let scenarios: ScenarioName[] = [...SCENARIOS];
  let profile = false;
  let jsonOut: string | undefined;
  let keepDatabase = false;
  const appEnv: Record<string, string> = {};
  for (const arg of argv) {
    const [flag, value] = arg.split(/=(.*)/s, 2);
    if (flag === '--quick' || flag === '--smoke') mode = flag === '--quick' ? 'quick' : 'smoke';
    else if (flag === '--profile') profile = true;
    else if (flag === '--keep-database') keepDatabase = true;
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
  if (keepDatabase && !databaseUrl) throw new UsageError('--keep-database needs BENCH_DATABASE_URL');
  return { mode, sizes, pacing, scenarios, profile, jsonOut, keepDatabase, appEnv, databaseUrl };
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
