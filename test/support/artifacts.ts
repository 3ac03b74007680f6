import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

/** Where tests leave files worth looking at after a run (screenshots, generated documents): git-ignored. */
export function artifactsDir(...parts: string[]): string {
  const dir = join(__dirname, '..', '..', 'test-artifacts', ...parts);
  mkdirSync(dir, { recursive: true });
  return dir;
}
