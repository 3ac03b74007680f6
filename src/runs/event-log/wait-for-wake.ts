/**
 * Resolves on the next call of the registered waker or when `signal` aborts, whichever comes first, leaving no
 * listener behind on the signal either way.
 */
export function waitForWake(register: (wake: () => void) => void, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const done = () => {
      signal.removeEventListener('abort', done);
      resolve();
    };
    signal.addEventListener('abort', done, { once: true });
    register(done);
  });
}
