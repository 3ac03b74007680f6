import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { SERVER_V8_FLAGS } from '../../src/v8-flags.js';

/** The built server, as `npm start` runs it; `npm test` builds it first. */
export const SERVER_MAIN = join(__dirname, '../../dist/src/main.js');

export interface ServerProcess {
  child: ChildProcess;
  /** Resolves with the listening URL once the server logs it. */
  url: Promise<string>;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
}

const running = new Set<ChildProcess>();

/** SIGKILLs every server this test file started and has not seen exit; call from afterAll. */
export function killAllServers(): void {
  for (const child of running) child.kill('SIGKILL');
}

export function assertServerBuilt(): void {
  if (!existsSync(SERVER_MAIN)) {
    throw new Error(`${SERVER_MAIN} is missing: run \`npm run build\` (npm test does it for you)`);
  }
}

/** Spawns dist/src/main.js on a free loopback port with only the given environment (plus PATH). */
export function spawnServer(env: Record<string, string>, bootTimeoutMs = 60_000): ServerProcess {
  let out = '';
  const child = spawn(process.execPath, [...SERVER_V8_FLAGS, SERVER_MAIN], {
    env: { PATH: process.env.PATH ?? '', PORT: '0', HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      running.delete(child);
      resolve(code);
    }),
  );
  const url = (async () => {
    const deadline = Date.now() + bootTimeoutMs;
    while (Date.now() < deadline) {
      const match = /"url":"(http:\/\/[^"]+)"/.exec(out);
      if (match) return match[1].replace('[::1]', '127.0.0.1');
      if (child.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`server did not start:\n${out}`);
  })();
  // Avoid an unhandled rejection when a test never awaits the URL of a server that failed to boot.
  url.catch(() => undefined);
  return { child, url, exited, output: () => out };
}

/** Registers (if needed) and logs in through the public API of a running server; returns the bearer token. */
export async function loginOver(url: string, creds: { email: string; password: string }): Promise<string> {
  const post = (path: string) =>
    fetch(`${url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(creds),
    });
  const reg = await post('/api/auth/register');
  if (reg.status !== 201 && reg.status !== 409) throw new Error(`register: ${reg.status} ${await reg.text()}`);
  const login = await post('/api/auth/login');
  if (login.status !== 200) throw new Error(`login: ${login.status} ${await login.text()}`);
  return ((await login.json()) as { access_token: string }).access_token;
}

/** GET as a user; parsed JSON body and status. */
export async function getJson<T = unknown>(url: string, token: string): Promise<{ status: number; body: T }> {
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
}
