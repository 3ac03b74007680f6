import { join } from 'node:path';

/**
 * Stands in for `src/documents/parsing/parser-worker-file.ts` under Jest (see `moduleNameMapper` in jest.config.js):
 * the parser pool's workers run the sources through `parser-worker/parse.worker.mjs`, which compiles the TypeScript
 * they import on the way in, so specs need no build and never run a stale one.
 */
export const PARSER_WORKER_FILE_PATH = join(__dirname, 'parser-worker', 'parse.worker.mjs');
