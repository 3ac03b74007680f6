// `npm run bench` runs the BUILT app and harness from dist/. This runs first (the `prebench` script) and stops the
// bench with a clear message when dist/ is missing or older than the sources it was built from.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import process from 'node:process';

const root = join(import.meta.dirname, '..');
const built = ['dist/src/main.js', 'dist/bench/main.js', 'dist/bench/servers/llm-server.js'].map((f) => join(root, f));
const sources = [
  'src',
  'bench',
  'test/fixtures/scripted-anthropic',
  'test/fixtures/documents/pdf.ts',
  'test/support/jwt.ts',
];
const compiled = /\.(ts|mjs|ya?ml|md)$/;

function newest(path, best = { path: '', mtime: 0 }) {
  const stat = statSync(path);
  if (stat.isDirectory()) {
    for (const entry of readdirSync(path)) newest(join(path, entry), best);
  } else if (compiled.test(path) && !path.endsWith('.spec.ts') && stat.mtimeMs > best.mtime) {
    best.path = path;
    best.mtime = stat.mtimeMs;
  }
  return best;
}

const missing = built.filter((f) => !existsSync(f));
if (missing.length) {
  process.stderr.write(
    `bench: ${missing.map((f) => relative(root, f)).join(', ')} missing. Run \`npm run build\` first.\n`,
  );
  process.exit(1);
}
const buildTime = Math.min(...built.map((f) => statSync(f).mtimeMs));
let source = { path: '', mtime: 0 };
for (const s of sources) if (existsSync(join(root, s))) source = newest(join(root, s), source);
if (source.mtime > buildTime) {
  process.stderr.write(
    `bench: dist/ is stale: ${relative(root, source.path)} changed after the last build. Run \`npm run build\` first.\n`,
  );
  process.exit(1);
}
