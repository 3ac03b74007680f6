// Loads `../text-pipeline` (TypeScript, shared with the main thread) into this worker. In dist/ it is the compiled
// JavaScript beside this folder. Run from src/ (under Jest) there is only the .ts file, and a worker thread is
// outside Jest's module system, so it is compiled on the way in with @swc/core, the compiler Jest already uses (a
// devDependency: a production build never takes this path).
import { existsSync, readFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { URL } from 'node:url';

const require = createRequire(import.meta.url);

/** @returns {typeof import('../text-pipeline')} */
export function loadTextPipeline() {
  const compiled = new URL('../text-pipeline.js', import.meta.url);
  if (!existsSync(compiled)) compileTypeScriptOnRequire();
  return require('../text-pipeline');
}

function compileTypeScriptOnRequire() {
  const { transformSync } = require('@swc/core');
  Module._extensions['.ts'] = (module, filename) => {
    const { code } = transformSync(readFileSync(filename, 'utf8'), {
      filename,
      jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
      module: { type: 'commonjs' },
      sourceMaps: 'inline',
    });
    module._compile(code, filename);
  };
  // Sources import each other as './name.js' (what they compile to); from src/ that file is './name.ts'.
  const resolve = Module._resolveFilename;
  Module._resolveFilename = function (request, ...rest) {
    try {
      return resolve.call(this, request, ...rest);
    } catch (err) {
      if (err?.code !== 'MODULE_NOT_FOUND' || !request.startsWith('.') || !request.endsWith('.js')) throw err;
      return resolve.call(this, `${request.slice(0, -3)}.ts`, ...rest);
    }
  };
}
