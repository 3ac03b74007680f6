import type { LoggedRunEvent, RunStreamEvent } from '../run-stream-event.js';
import { MemoryRunEventLog } from './memory-run-event-log.js';

const delta = (text: string): RunStreamEvent => ({ type: 'text_delta', text });
const finished: RunStreamEvent = { type: 'run_finished', status: 'completed', stop_reason: 'end_turn' };

async function ids(events: AsyncIterable<LoggedRunEvent> | undefined): Promise<number[]> {
  const seen: number[] = [];
  for await (const e of events ?? []) seen.push(e.id);
  return seen;
}

describe('MemoryRunEventLog', () => {
  it('numbers events 1, 2, 3… per run; a follower replays after an id, then gets live ones until the end', async () => {
    const log = new MemoryRunEventLog(60_000, 1 << 20);
    log.open('r');
    expect(log.append('r', delta('a'))).toBe(1);
    expect(log.append('r', delta('b'))).toBe(2);
    const following = ids(await log.follow('r', 1, new AbortController().signal));
    log.append('r', delta('c'));
    log.append('r', finished);
    log.close('r');
    await expect(following).resolves.toEqual([2, 3, 4]);
    await expect(log.lastId('r')).resolves.toBe(4);
    expect(() => log.append('r', delta('late'))).toThrow(/no open event log/);
  });

  it('a follower stops when its signal aborts, leaving nothing waiting', async () => {
    const log = new MemoryRunEventLog(60_000, 1 << 20);
    log.open('r');
    const controller = new AbortController();
    const following = ids(await log.follow('r', 0, controller.signal));
    log.append('r', delta('a'));
    await new Promise((r) => setImmediate(r));
    controller.abort();
    await expect(following).resolves.toEqual([1]);
  });

  it('keeps a finished log for its TTL, and past the memory budget drops the oldest finished first', async () => {
    let now = 0;
    const log = new MemoryRunEventLog(1_000, 1_000, () => now);
    for (const run of ['old', 'new']) {
      log.open(run);
      log.append(run, delta('x'.repeat(300)));
      log.append(run, finished);
      log.close(run);
    }
    // Two logs of ~900 bytes each: over the 1,000-byte budget, the first finished goes.
    await expect(log.follow('old', 0, new AbortController().signal)).resolves.toBeUndefined();
    await expect(ids(await log.follow('new', 0, new AbortController().signal))).resolves.toEqual([1, 2]);
    now = 1_001;
    await expect(log.follow('new', 0, new AbortController().signal)).resolves.toBeUndefined();
    log.onModuleDestroy();
  });

  it('a discarded log (its run was never stored) ends its followers', async () => {
    const log = new MemoryRunEventLog(60_000, 1 << 20);
    log.open('r');
    const following = ids(await log.follow('r', 0, new AbortController().signal));
    log.discard('r');
    await expect(following).resolves.toEqual([]);
    await expect(log.follow('r', 0, new AbortController().signal)).resolves.toBeUndefined();
  });
});
