/**
 * PostgreSQL settings for embedded PGlite, on top of PGlite's own start parameters: sized for one process's one
 * session, not for a server's. PGlite's memory is one WebAssembly memory that grows and never shrinks, so what
 * PostgreSQL allocates once, or at its peak, stays in the process for good. Figures: docs/PERFORMANCE.md.
 */
export const PGLITE_SETTINGS: Readonly<Record<string, string>> = {
  // PGlite's default is 128 MB, allocated and touched at start, and kept for good. 16 MB trades search speed over a
  // large corpus for memory; PGLITE_SHARED_BUFFERS raises it (docs/PERFORMANCE.md).
  shared_buffers: '16MB',
  // Derived from shared_buffers otherwise (1/32); said here so the figure does not move with it.
  wal_buffers: '1MB',
  // The insert that fills the search index's pending list merges all of it in that statement, and PGlite's one
  // connection is everyone's: with the default 4 MB, every other request waited about a second behind such a batch.
  // A 256 kB list is merged a little at a time (SECURITY.md, "Hostile documents").
  gin_pending_list_limit: '256kB',
};

/** PGlite start parameters (`-c name=value` pairs) for `PGLITE_SETTINGS`. */
export function pgliteStartParams(settings: Readonly<Record<string, string>> = PGLITE_SETTINGS): string[] {
  return Object.entries(settings).flatMap(([name, value]) => ['-c', `${name}=${value}`]);
}
