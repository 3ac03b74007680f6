// The parser task as tests run it: the real worker from src/, after registering hooks (Node's public module
// customization API, in this worker thread only) that compile the TypeScript it imports with @swc/core.
import { register } from 'node:module';

register('./typescript-hooks.mjs', import.meta.url);

const { default: parse } = await import('../../../src/documents/parsing/worker/parse.worker.mjs');

export default parse;
