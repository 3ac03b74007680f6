// `npm run bench` measures the BUILT app in dist/ (the bench itself is compiled to dist-bench/ just before this
// runs). This stops the bench with a clear message when dist/ is missing or older than src/.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import process from 'node:process';

const root = join(import.meta.dirname, '..');
const main = join(root, 'dist/src/main.js');

function newest(path, best = { path: '', mtime: 0 }) {
  const stat = statSync(path);
  if (stat.isDirectory()) for (const entry of readdirSync(path)) newest(join(path, entry), best);
  else if (/\.(ts|mjs|ya?ml|md)$/.test(path) && !path.endsWith('.spec.ts') && stat.mtimeMs > best.mtime) {
    best.path = path;
    best.mtime = stat.mtimeMs;
  }
  return best;
}

if (!existsSync(main)) {
  process.stderr.write('bench: dist/src/main.js is missing. Run `npm run build` first.\n');
  process.exit(1);
}
const source = newest(join(root, 'src'));
if (source.mtime > statSync(main).mtimeMs) {
  process.stderr.write(
    `bench: dist/ is stale: ${relative(root, source.path)} changed after the last build. Run \`npm run build\` first.\n`,
  );
  process.exit(1);
}
