import { randomUUID } from 'node:crypto';
import { RedisConnections } from '../../cluster/redis/redis-connections.js';
import { describeWithRedis, TEST_REDIS_URL, testRedisPrefix } from '../../../test/support/redis.js';
import type { LoggedRunEvent, RunStreamEvent } from '../run-stream-event.js';
import { RedisRunEventLog } from './redis-run-event-log.js';

const delta = (text: string): RunStreamEvent => ({ type: 'text_delta', text });
const finished: RunStreamEvent = { type: 'run_finished', status: 'completed', stop_reason: 'end_turn' };

async function collect(events: AsyncIterable<LoggedRunEvent> | undefined, onEach?: (e: LoggedRunEvent) => void) {
  const seen: LoggedRunEvent[] = [];
  for await (const e of events ?? []) {
    seen.push(e);
    onEach?.(e);
  }
  return seen;
}

/** Two instances' logs on one Redis: A drives runs, B follows them. */
describeWithRedis('RedisRunEventLog (real Redis, two instances)', () => {
  let a: RedisConnections;
  let b: RedisConnections;
  let logA: RedisRunEventLog;
  let logB: RedisRunEventLog;

  beforeAll(async () => {
    const prefix = testRedisPrefix();
    a = await RedisConnections.connect(TEST_REDIS_URL!, prefix);
    b = await RedisConnections.connect(TEST_REDIS_URL!, prefix);
    logA = new RedisRunEventLog(a, 60);
    logB = new RedisRunEventLog(b, 60);
  });
  // Appends are fire-and-forget and pipelined per tick; a round trip on A's connection, queued behind them, returns
  // once Redis has them. B reads on a connection of its own, which nothing orders against A's.
  const landed = () => a.command.ping();
  afterAll(async () => {
    await a.onApplicationShutdown();
    await b.onApplicationShutdown();
  });

  it('another instance replays a run with its ids and follows it live to run_finished', async () => {
    const runId = randomUUID();
    logA.open(runId);
    for (const t of ['a', 'b', 'c']) logA.append(runId, delta(t));
    await landed();
    await expect(logB.lastId(runId)).resolves.toBe(3);
    const following = collect(await logB.follow(runId, 1, new AbortController().signal));
    await new Promise((r) => setTimeout(r, 50));
    logA.append(runId, delta('d'));
    logA.append(runId, finished);
    logA.close(runId);
    expect((await following).map((e) => [e.id, e.event.type === 'text_delta' ? e.event.text : e.event.type])).toEqual([
      [2, 'b'],
      [3, 'c'],
      [4, 'd'],
      [5, 'run_finished'],
    ]);
    // Finished: a replay from the start on either instance, then the end.
    expect((await collect(await logA.follow(runId, 0, new AbortController().signal))).map((e) => e.id)).toEqual([
      1, 2, 3, 4, 5,
    ]);
  });

  it('a follower that joins while events are published gets every event once, in order', async () => {
    const runId = randomUUID();
    logA.open(runId);
    logA.append(runId, delta('0'));
    await landed();
    const appending = (async () => {
      for (let i = 1; i < 200; i++) {
        logA.append(runId, delta(String(i)));
        if (i % 20 === 0) await new Promise((r) => setImmediate(r));
      }
      logA.append(runId, finished);
      logA.close(runId);
    })();
    const seen = await collect(await logB.follow(runId, 0, new AbortController().signal));
    await appending;
    expect(seen.map((e) => e.id)).toEqual(Array.from({ length: 201 }, (_, i) => i + 1));
  });

  it('a run whose driver died is ended by another instance: followers finish, the driver may not append after', async () => {
    const runId = randomUUID();
    const lost: unknown[] = [];
    logA.open(runId, (err) => lost.push(err));
    logA.append(runId, delta('half'));
    await landed();
    const following = collect(await logB.follow(runId, 0, new AbortController().signal));
    await new Promise((r) => setTimeout(r, 50));
    await logB.endOrphan(runId, [
      { type: 'error', code: 'INTERRUPTED', message: 'gone', recoverable: true },
      { type: 'run_finished', status: 'interrupted', stop_reason: 'interrupted' },
    ]);
    expect((await following).map((e) => [e.id, e.event.type])).toEqual([
      [1, 'text_delta'],
      [2, 'error'],
      [3, 'run_finished'],
    ]);
    // The driver that was taken for dead finds its log decided: its next event cannot be stored, and it is told.
    logA.append(runId, delta('late'));
    for (let i = 0; i < 50 && !lost.length; i++) await new Promise((r) => setTimeout(r, 10));
    expect(lost).toHaveLength(1);
  });

  it('a follower misses no event published before its subscription took effect', async () => {
    const runId = randomUUID();
    logA.open(runId);
    logA.append(runId, delta('first'));
    await landed();
    // B's SUBSCRIBE is held back (its socket corked) while B's commands still go out: the run ends in between.
    b.subscriber.stream.cork();
    const following = logB.follow(runId, 0, new AbortController().signal).then((events) => collect(events));
    await new Promise((r) => setTimeout(r, 50));
    logA.append(runId, finished);
    logA.close(runId);
    await landed();
    b.subscriber.stream.uncork();
    const ended = await Promise.race([following, new Promise((r) => setTimeout(() => r('still waiting'), 2_000))]);
    expect(ended).toEqual([
      { id: 1, event: delta('first') },
      { id: 2, event: finished },
    ]);
  });

  it('no log for a run never written, and none once a finished log expires', async () => {
    await expect(logB.follow(randomUUID(), 0, new AbortController().signal)).resolves.toBeUndefined();
    const short = new RedisRunEventLog(a, 1);
    const runId = randomUUID();
    short.open(runId);
    short.append(runId, finished);
    short.close(runId);
    await new Promise((r) => setTimeout(r, 1300));
    await expect(logB.follow(runId, 0, new AbortController().signal)).resolves.toBeUndefined();
    await expect(logB.lastId(runId)).resolves.toBeUndefined();
  });
});
