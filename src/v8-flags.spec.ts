import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { SERVER_V8_FLAGS } from './v8-flags.js';

describe('SERVER_V8_FLAGS', () => {
  it('are on the start command, before the entry point', () => {
    const pkg = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect(pkg.scripts.start).toBe(`node ${SERVER_V8_FLAGS.join(' ')} dist/src/main.js`);
  });

  it('are flags this V8 accepts (an unknown flag set from code would be ignored without a word)', async () => {
    // node refuses an unknown V8 option on its command line, so starting one with them proves the names.
    const { stdout } = await promisify(execFile)(process.execPath, [
      ...SERVER_V8_FLAGS,
      '-e',
      'process.stdout.write("ok")',
    ]);
    expect(stdout).toBe('ok');
    await expect(promisify(execFile)(process.execPath, ['--no-allocation-site-pretenurin', '-e', '0'])).rejects.toThrow(
      /bad option/,
    );
  });
});
