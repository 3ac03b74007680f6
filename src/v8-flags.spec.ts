import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { operatorChosePretenuring } from './v8-flags.js';

describe('v8-flags', () => {
  it("keeps an operator's own pretenuring flag, in either spelling, and decides otherwise", () => {
    expect(operatorChosePretenuring([])).toBe(false);
    expect(operatorChosePretenuring(['--inspect=127.0.0.1:0', '--max-old-space-size=512'])).toBe(false);
    expect(operatorChosePretenuring(['--allocation-site-pretenuring'])).toBe(true);
    expect(operatorChosePretenuring(['--no-allocation-site-pretenuring'])).toBe(true);
    expect(operatorChosePretenuring(['--no-allocation_site_pretenuring'])).toBe(true);
    expect(operatorChosePretenuring(['--allocation-site-pretenuring-x'])).toBe(false);
  });

  it('the flag it sets is one this V8 accepts (an unknown flag would be ignored without a word)', async () => {
    // node refuses an unknown V8 option on its command line, so starting one with it proves the name.
    const { stdout } = await promisify(execFile)(process.execPath, [
      '--no-allocation-site-pretenuring',
      '-e',
      'process.stdout.write("ok")',
    ]);
    expect(stdout).toBe('ok');
    await expect(promisify(execFile)(process.execPath, ['--no-allocation-site-pretenurin', '-e', '0'])).rejects.toThrow(
      /bad option/,
    );
  });
});
