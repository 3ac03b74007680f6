import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { ERROR_CATALOGUE } from './error-catalogue.js';

const ROOT = join(__dirname, '../../..');

async function specFiles(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...(await specFiles(path)));
    else if (/\.(e2e-)?spec\.ts$/.test(entry.name) && path !== __filename) found.push(path);
  }
  return found;
}

describe('the error catalogue', () => {
  const codes = Object.keys(ERROR_CATALOGUE);

  it('is documented: every code is in the README, with its status', async () => {
    const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
    for (const code of codes) {
      const row = new RegExp(
        `\\|\\s*\`${code}\`\\s*\\|\\s*${ERROR_CATALOGUE[code as keyof typeof ERROR_CATALOGUE].status}\\s*\\|`,
      );
      expect({ code, documented: row.test(readme) }).toEqual({ code, documented: true });
    }
  });

  it('is reached: every code is asserted by at least one test', async () => {
    const files = [...(await specFiles(join(ROOT, 'src'))), ...(await specFiles(join(ROOT, 'test')))];
    const sources = await Promise.all(files.map(async (f) => [relative(ROOT, f), await readFile(f, 'utf8')] as const));
    for (const code of codes) {
      const testedIn = sources.filter(([, text]) => text.includes(`'${code}'`) || text.includes(`"${code}"`));
      expect({ code, tested: testedIn.length > 0 }).toEqual({ code, tested: true });
    }
  });
});
