/**
 * Starts a generator now instead of at its first `next()`: the body runs up to its first `yield` (for the agent
 * runtime: the model request is sent and its first event awaited) while the caller does other work. The first
 * `next()` then returns that pending step. The runtime yields before it runs any tool, so starting early has no
 * side effect beyond the model request.
 */
export function startEarly<T>(source: AsyncGenerator<T>): AsyncGenerator<T> {
  let first: Promise<IteratorResult<T>> | undefined = source.next();
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
      first = undefined;
      return source.return(value);
    },
    throw: (err) => {
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
