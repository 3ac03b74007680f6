/**
 * When a started generator's body runs: `now` (up to its first `await`, before `startEarly` returns) or on the
 * `next-turn` of the event loop, after the I/O the caller issues in this turn has left.
 */
export type EarlyStart = 'now' | 'next-turn';

/**
 * Starts a generator ahead of its first `next()`: its body runs up to its first `yield` (for the agent runtime: the
 * model request is sent and its first event awaited) while the caller waits on other work. The first `next()` then
 * returns that pending step. The runtime yields before it runs any tool, so starting early has no side effect beyond
 * the model request. Abandoned (`return`/`throw`) before a `next-turn` start, the body never runs.
 */
export function startEarly<T>(source: AsyncGenerator<T>, start: EarlyStart): AsyncGenerator<T> {
  return new EarlyStarted(source, start);
}

/**
 * A class rather than an object of closures: one lives as long as its run (an idle stream's whole life), and its
 * methods are shared instead of allocated per run.
 */
class EarlyStarted<T> implements AsyncGenerator<T> {
  private abandoned = false;
  private first: Promise<IteratorResult<T>> | undefined;

  constructor(
    private readonly source: AsyncGenerator<T>,
    start: EarlyStart,
  ) {
    this.first =
      start === 'now'
        ? source.next()
        : new Promise((resolve) =>
            setImmediate(() => resolve(this.abandoned ? { done: true, value: undefined } : source.next())),
          );
    // Consumed later (or abandoned with `return`); a rejection must not count as unhandled meanwhile.
    this.first.catch(() => undefined);
  }

  next(...args: [] | [unknown]): Promise<IteratorResult<T>> {
    const step = this.first;
    if (step) {
      this.first = undefined;
      return step;
    }
    return this.source.next(...args);
  }

  return(value: T | PromiseLike<T>): Promise<IteratorResult<T>> {
    this.abandon();
    return this.source.return(value);
  }

  throw(err: unknown): Promise<IteratorResult<T>> {
    this.abandon();
    return this.source.throw(err);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.source[Symbol.asyncDispose]();
  }

  private abandon(): void {
    this.abandoned = true;
    this.first = undefined;
  }
}
