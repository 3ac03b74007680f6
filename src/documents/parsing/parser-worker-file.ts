import { join } from 'node:path';

/**
 * The file piscina runs as the parser task: `worker/parse.worker.mjs` beside the compiled pool in dist/ (nest-cli
 * copies the *.mjs as assets), where the TypeScript it imports is compiled too. Jest runs the sources, whose
 * TypeScript a worker thread cannot import by itself: jest.config.js maps this module to
 * `test/support/parser-worker-file.ts`.
 */
export const PARSER_WORKER_FILE_PATH = join(__dirname, 'worker', 'parse.worker.mjs');
