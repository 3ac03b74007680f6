import { startEarly } from './start-early.js';

/** A body that notes when it starts, then yields 1 and 2. */
async function* recording(order: string[]) {
  order.push('body started');
  yield 1;
  yield 2;
}

async function drain(started: AsyncGenerator<number>): Promise<number[]> {
  const values: number[] = [];
  for await (const v of started) values.push(v);
  return values;
}

describe('startEarly', () => {
  it("'now' runs the body up to its first await before returning; its steps then come out in order", async () => {
    const order: string[] = [];
    const started = startEarly(recording(order), 'now');
    order.push('returned');
    expect(order).toEqual(['body started', 'returned']);
    expect(await drain(started)).toEqual([1, 2]);
  });

  it("'next-turn' runs the body after this turn's callbacks and promise jobs, without a next() call", async () => {
    const order: string[] = [];
    const started = startEarly(recording(order), 'next-turn');
    process.nextTick(() => order.push('nextTick'));
    void Promise.resolve().then(() => order.push('promise job'));
    order.push('sync');
    await new Promise((r) => setImmediate(r));
    expect(order[0]).toBe('sync');
    expect(order.slice(1, 3).sort()).toEqual(['nextTick', 'promise job']);
    expect(order[3]).toBe('body started');
    expect(await drain(started)).toEqual([1, 2]);
  });

  it("'next-turn' never runs the body when abandoned before that turn", async () => {
    let ran = false;
    async function* body() {
      ran = true;
      yield 1;
    }
    const started = startEarly(body(), 'next-turn');
    await expect(started.return(undefined)).resolves.toEqual({ done: true, value: undefined });
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    expect(ran).toBe(false);
    await expect(started.next()).resolves.toEqual({ done: true, value: undefined });
  });

  it.each(['now', 'next-turn'] as const)(
    "'%s': a body that fails before its first yield rejects the first next(), not the unhandled-rejection hook",
    async (start) => {
      const unhandled: unknown[] = [];
      const onUnhandled = (reason: unknown) => unhandled.push(reason);
      process.on('unhandledRejection', onUnhandled);
      try {
        // eslint-disable-next-line require-yield
        async function* body(): AsyncGenerator<number> {
          throw new Error('model unreachable');
        }
        const started = startEarly(body(), start);
        await new Promise((r) => setTimeout(r, 10));
        await expect(started.next()).rejects.toThrow('model unreachable');
        expect(unhandled).toEqual([]);
      } finally {
        process.off('unhandledRejection', onUnhandled);
      }
    },
  );
});
