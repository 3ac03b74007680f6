/**
 * Captures the app's log lines (JSON, one per line, when it runs in-process with a LOG_LEVEL other than silent)
 * from stdout and stderr instead of printing them, so a test can search the logs. Anything else written there
 * (Jest's own reporter, in-band) is passed through.
 */
export function captureLogs(): { text(): string; restore(): void } {
  const captured: string[] = [];
  const originals = { out: process.stdout.write, err: process.stderr.write };
  const intercept = (original: typeof process.stdout.write) =>
    ((chunk: unknown, encoding?: unknown, callback?: unknown): boolean => {
      const text = Buffer.isBuffer(chunk) ? chunk.toString('utf8') : String(chunk);
      if (!text.startsWith('{')) return (original as (...args: unknown[]) => boolean)(chunk, encoding, callback);
      captured.push(text);
      const done = typeof encoding === 'function' ? encoding : callback;
      if (typeof done === 'function') done();
      return true;
    }) as typeof process.stdout.write;
  process.stdout.write = intercept(originals.out.bind(process.stdout));
  process.stderr.write = intercept(originals.err.bind(process.stderr));
  return {
    text: () => captured.join(''),
    restore() {
      process.stdout.write = originals.out;
      process.stderr.write = originals.err;
    },
  };
}
