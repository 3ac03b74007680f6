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
  let abandoned = false;
  let first: Promise<IteratorResult<T>> | undefined =
    start === 'now'
      ? source.next()
      : new Promise((resolve) =>
          setImmediate(() => resolve(abandoned ? { done: true, value: undefined } : source.next())),
        );
  // Consumed later (or abandoned with `return`); a rejection must not count as unhandled meanwhile.
  first.catch(() => undefined);
  const started: AsyncGenerator<T> = {
    next(...args: [] | [unknown]) {
      if (first) {
        const step = first;
        first = undefined;
        return step;
      }
      return source.next(...args);
    },
    return: (value) => {
      abandoned = true;
      first = undefined;
      return source.return(value);
    },
    throw: (err) => {
      abandoned = true;
      first = undefined;
      return source.throw(err);
    },
    [Symbol.asyncIterator]() {
      return started;
    },
    [Symbol.asyncDispose]: () => source[Symbol.asyncDispose](),
  };
  return started;
}
