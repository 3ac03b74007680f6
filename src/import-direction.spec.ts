import { readdir, readFile } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';

/**
 * Imports point one way: the shared layers (`common/`, `config/`, `database/`, `cluster/`, `openapi/`) are used by features and
 * never use one, so a feature can be read, moved or removed without touching them.
 */
const SHARED = ['common', 'config', 'database', 'cluster', 'openapi'];
const FEATURES = ['admin', 'agents', 'auth', 'chat', 'documents', 'health', 'playground', 'realtime', 'runs', 'tasks'];
const SRC = resolve(__dirname);

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile() && /\.(ts|mjs)$/.test(e.name) && !e.name.endsWith('.spec.ts'))
    .map((e) => join(e.parentPath, e.name));
}

function importedFolders(file: string, text: string): string[] {
  const specifiers = [...text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)].map((m) => m[1]);
  return specifiers.map((s) => relative(SRC, resolve(file, '..', s)).split(sep)[0]);
}

describe('import direction', () => {
  it.each(SHARED)('src/%s imports no feature folder', async (folder) => {
    const offending: string[] = [];
    for (const file of await sourceFiles(join(SRC, folder))) {
      const text = await readFile(file, 'utf8');
      for (const target of importedFolders(file, text)) {
        if (FEATURES.includes(target)) offending.push(`${relative(SRC, file)} -> ${target}/`);
      }
    }
    expect(offending).toEqual([]);
  });

  it('knows every folder of src/ as shared or a feature (a new folder must be placed)', async () => {
    const folders = (await readdir(SRC, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name);
    expect(folders.filter((f) => !SHARED.includes(f) && !FEATURES.includes(f))).toEqual([]);
  });
});
