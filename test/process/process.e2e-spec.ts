import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { SERVER_V8_FLAGS } from '../../src/v8-flags.js';

const MAIN = join(__dirname, '../../dist/src/main.js');

const children = new Set<ChildProcess>();

/** Kills what is still running and waits for it, so that its data directory can be removed. */
async function killChildren(): Promise<void> {
  const alive = [...children].filter((c) => c.exitCode === null && c.signalCode === null);
  await Promise.all(
    alive.map((c) => {
      const exited = new Promise((resolve) => c.once('exit', resolve));
      c.kill('SIGKILL');
      return exited;
    }),
  );
}
afterAll(killChildren);

function run(env: Record<string, string>): {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
} {
  let out = '';
  const child = spawn(process.execPath, [...SERVER_V8_FLAGS, MAIN], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

// Creating a new embedded database takes a few seconds, and much longer on a loaded machine.
async function waitForUrl(output: () => string, timeoutMs = 90_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const match = /"url":"(http:\/\/[^"]+)"/.exec(output());
    if (match) return match[1];
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`server did not start:\n${output()}`);
}

// These drive the built server as `npm start` runs it; `npm test` builds first.
beforeAll(() => {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npm run build\` (npm test does it for you)`);
});

describe('The server process (dist/src/main.js)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'agent-proc-'));
  });
  afterAll(async () => {
    await killChildren();
    await rm(dir, { recursive: true, force: true });
  });

  it('boots on embedded PGlite, serves, and exits 0 on SIGTERM', async () => {
    const proc = run({ PORT: '0', HOST: '127.0.0.1', PGLITE_DIR: join(dir, 'db'), LOG_LEVEL: 'info' });
    const url = await waitForUrl(proc.output);
    const res = await fetch(`${url}/health`);
    expect(res.status).toBe(200);
    expect(proc.output()).toContain('JWT_SECRET is not set');
    proc.child.kill('SIGTERM');
    expect(await proc.exited).toBe(0);
    expect(proc.output()).toContain('"signal":"SIGTERM"');
  }, 120_000);

  it('refuses to boot with one clear line when configuration is invalid', async () => {
    const proc = run({ NODE_ENV: 'production', PGLITE_DIR: 'memory://' });
    expect(await proc.exited).toBe(1);
    expect(proc.output().trim()).toBe(
      'Invalid configuration: JWT_SECRET is required when NODE_ENV=production (>= 32 chars)',
    );
  });
});
