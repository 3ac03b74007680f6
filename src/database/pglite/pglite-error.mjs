// PGlite's failures in words, for the worker and the creating process beside this file. Its file-system failures are
// Emscripten's ErrnoError objects, not Errors: they carry no message of their own.

/** @param {unknown} err */
export function describePgliteError(err) {
  if (err instanceof Error) return err.message;
  if (err && typeof err === 'object' && 'errno' in err) {
    const name = 'name' in err ? String(err.name) : 'ErrnoError';
    return `${name} (Emscripten errno ${String(err.errno)}): is it a directory this process may create and write?`;
  }
  return String(err);
}
