import { setFlagsFromString } from 'node:v8';

/**
 * V8's allocation-site pretenuring, off before anything else loads (main.ts imports this module first).
 *
 * V8 allocates an object directly in the old generation once most objects from the same allocation site have
 * survived a young-generation collection. Boot and the first requests trip that for sites the hot paths share
 * (`--trace-pretenuring` shows dozens decided in the first seconds), pg's row parsing among them, and in our runs
 * the decision was not revisited: from then on every row of every request was old-generation garbage (about 0.9 MB
 * per scavenge at 2,200 documents lists a second, a full mark-compact every ~11 s). With it off, measured on
 * `GET /api/documents` paced at half its maximum rate, PostgreSQL, three runs each, alternating: scavenge pauses
 * 2.8-3.0 -> 1.0-1.1 ms, mark-compacts in the 14 s window 1-2 -> 0, p99 13.9-16.8 -> 4.8-10.8 ms (BENCHMARKS.md,
 * What changed, 6).
 *
 * An operator who passes `--allocation-site-pretenuring` (or its negation) to node keeps that choice.
 */
export function operatorChosePretenuring(execArgv: readonly string[]): boolean {
  return execArgv.some((arg) => /^--(no-)?allocation[-_]site[-_]pretenuring$/.test(arg));
}

if (!operatorChosePretenuring(process.execArgv)) setFlagsFromString('--no-allocation-site-pretenuring');
