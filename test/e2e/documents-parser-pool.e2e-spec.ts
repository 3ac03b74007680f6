import { join } from 'node:path';
import { TooManyUploadsParsing, ParserQueueFull } from '../../src/documents/documents.errors.js';
import { ParseFailed } from '../../src/documents/parsing/parse-failed.error.js';
import { ParserPool } from '../../src/documents/parsing/parser-pool.js';
import { loadConfig } from '../../src/config/load-config.js';

const SCRIPTED_WORKER = join(__dirname, '../fixtures/documents/workers/scripted.worker.mjs');

/** A pool over the scripted worker; each job's bytes say what the worker does. */
function scriptedPool(env: Record<string, string> = {}): ParserPool {
  return new ParserPool(
    loadConfig({ PARSER_TIMEOUT_MS: '1000', PARSER_WORKER_MEMORY_MB: '64', ...env }),
    SCRIPTED_WORKER,
  );
}

const job = (script: Record<string, unknown>) => ({
  kind: 'text' as const,
  bytes: new TextEncoder().encode(JSON.stringify(script)),
});

/**
 * The parser pool on piscina: timeouts, crashes, memory outside the heap and cancellation each end the worker that
 * ran the job, and the pool goes on with a new one; jobs are admitted per user.
 */
describe('Documents: the parser pool (e2e, worker threads)', () => {
  let pool: ParserPool;

  afterEach(() => pool.onModuleDestroy());

  it('stops a job past the timeout and parses the next one on a new worker', async () => {
    pool = scriptedPool({ PARSER_TIMEOUT_MS: '1000' });
    const started = performance.now();
    await expect(pool.parse(job({ hang: true }))).rejects.toEqual(
      new ParseFailed('TIMEOUT', 'The document took too long to parse'),
    );
    expect(performance.now() - started).toBeLessThan(5000);
    await expect(pool.parse(job({ text: 'after' }))).resolves.toMatchObject({ text: 'after' });
  });

  it('fails the job of a worker that crashes, and parses the next one on a new worker', async () => {
    pool = scriptedPool();
    await expect(pool.parse(job({ crash: true }))).rejects.toThrow('worker exited with code: 3');
    await expect(pool.parse(job({ text: 'after' }))).resolves.toMatchObject({ text: 'after' });
  });

  it('ends a worker whose memory outside the JS heap passes PARSER_WORKER_MEMORY_MB', async () => {
    pool = scriptedPool();
    const failure = await pool.parse(job({ allocateMb: 512 })).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(ParseFailed);
    expect(failure).toMatchObject({ reason: 'TOO_LARGE' });
    expect((failure as Error).message).toMatch(/^The document needs more than 64 MiB of memory to parse/);
    await expect(pool.parse(job({ text: 'after' }))).resolves.toMatchObject({ text: 'after' });
  });

  it('drops a waiting job, or ends the running one, when its caller aborts', async () => {
    pool = scriptedPool();
    const running = new AbortController();
    const waiting = new AbortController();
    const first = pool.parse(job({ hang: true }), { userId: 'u1', signal: running.signal });
    const second = pool.parse(job({ hang: true }), { userId: 'u1', signal: waiting.signal });
    waiting.abort(new Error('gone while waiting'));
    await expect(second).rejects.toThrow('gone while waiting');
    running.abort(new Error('gone while parsing'));
    await expect(first).rejects.toThrow('gone while parsing');
    // u1's one running slot is free again at once.
    await expect(pool.parse(job({ text: 'next' }), { userId: 'u1' })).resolves.toMatchObject({ text: 'next' });
  });

  it("serves users in turn: one user's queue never delays another user's first job", async () => {
    pool = scriptedPool({ PARSER_QUEUE_PER_USER: '10' });
    const order: string[] = [];
    const track = (name: string, p: Promise<unknown>) => p.then(() => order.push(name));
    const heavy = Array.from({ length: 6 }, (_, i) =>
      track(`mallory-${i}`, pool.parse(job({ sleepMs: 300 }), { userId: 'mallory' })),
    );
    const alice = track('alice', pool.parse(job({ sleepMs: 10 }), { userId: 'alice' }));
    await Promise.all([...heavy, alice]);
    expect(order.indexOf('alice')).toBeLessThan(2);
  });

  it('refuses a user past PARSER_QUEUE_PER_USER with 429, and everyone past the shared queue with 503', async () => {
    pool = scriptedPool({ PARSER_QUEUE_PER_USER: '2' });
    const held = [0, 1, 2].map(() =>
      pool.parse(job({ hang: true }), { userId: 'mallory' }).catch((err: unknown) => err),
    );
    const refused = pool.parse(job({ hang: true }), { userId: 'mallory' });
    await expect(refused).rejects.toBeInstanceOf(TooManyUploadsParsing);
    await expect(refused).rejects.toMatchObject({ status: 429, retryAfterSeconds: 5 });
    // 64 uploads waiting in all, each of another user: the next user is refused with 503.
    const others = Array.from({ length: 70 }, (_, i) =>
      pool.parse(job({ hang: true }), { userId: `user-${i}` }).catch((err: unknown) => err),
    );
    const outcomes = await Promise.race([Promise.all(others), new Promise((r) => setTimeout(() => r('pending'), 200))]);
    expect(outcomes).toBe('pending');
    await expect(pool.parse(job({ hang: true }), { userId: 'late' })).rejects.toBeInstanceOf(ParserQueueFull);
    await pool.onModuleDestroy();
    for (const outcome of await Promise.all(held)) expect(outcome).toMatchObject({ status: 503 });
  });
});
