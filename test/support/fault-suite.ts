import {
  startScriptedAnthropic,
  type ScriptedAnthropic,
} from '../fixtures/scripted-anthropic/scripted-anthropic.server.js';
import { createFaultDatabase, type FaultDatabase } from './fault-database.js';

export interface FaultSuite {
  readonly db: FaultDatabase;
  readonly llm: ScriptedAnthropic;
  /** Environment for a spawned server on this suite's database and scripted model (test secrets, info logs). */
  serverEnv(extra?: Record<string, string>): Record<string, string>;
}

/**
 * What every fault suite runs against, made in `beforeAll` and torn down in `afterAll` of the describe block that
 * calls it: a fault database (a PGlite directory, or a private PostgreSQL cluster on the PostgreSQL run) and a
 * scripted model. Read its fields in hooks and tests, once `beforeAll` has run.
 */
export function useFaultSuite(name: string): FaultSuite {
  let db: FaultDatabase | undefined;
  let llm: ScriptedAnthropic | undefined;
  beforeAll(async () => {
    db = await createFaultDatabase();
    llm = await startScriptedAnthropic();
  });
  afterAll(async () => {
    await llm?.close();
    await db?.destroy();
  });
  const ready = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('the fault suite is read before its beforeAll ran');
    return value;
  };
  return {
    get db() {
      return ready(db);
    },
    get llm() {
      return ready(llm);
    },
    serverEnv: (extra = {}) => ({
      ...ready(db).env,
      JWT_SECRET: `${name}-test-secret-0123456789abcdefghijklmnop`,
      ANTHROPIC_API_KEY: `sk-${name}-test-key`,
      ANTHROPIC_BASE_URL: ready(llm).url,
      LOG_LEVEL: 'info',
      ...extra,
    }),
  };
}
