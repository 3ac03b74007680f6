import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { collectGarbage, inspectorUrlIn } from './inspector.js';
import { processCpuMs, rssKb } from './machine.js';
import { sleep } from './stats.js';
import { SERVER_V8_FLAGS } from '../src/v8-flags.js';
import { freePort } from '../test/support/free-port.js';

/** The product's build: the bench runs from dist-bench/bench/, the app from dist/. */
const MAIN = join(__dirname, '..', '..', 'dist', 'src', 'main.js');
const BOOT_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 20_000;
const LOG_TAIL_CHARS = 20_000;

export interface AppProcess {
  url: string;
  pid: number;
  /** Resident set size of the app process now, from /proc/<pid>/status (kB). */
  rssKb(): number;
  /** CPU time (user + system) the app process has used so far, in ms, from /proc/<pid>/stat. */
  cpuMs(): number;
  /**
   * A full GC in the app (over the inspector: the app runs with `--inspect` on a random loopback port, and nothing
   * attaches to it otherwise); resolves with the JS heap in use afterwards (KB).
   */
  fullGc(): Promise<number>;
  /** Log lines per level the app printed so far (LOG_LEVEL=warn: warnings and errors only). */
  logCounts(): Record<string, number>;
  /** SIGTERM, then SIGKILL if it does not exit in time; resolves with the exit code. */
  stop(): Promise<number | null>;
}

export interface AppProcessOptions {
  /** Working directory: the run's temp dir, so a developer's `.env` in the repo never leaks into the bench. */
  cwd: string;
  env: Record<string, string>;
}

/**
 * Starts the built server (`dist/src/main.js`) as `npm start` runs it (with its V8 flags), on loopback. It goes through bash only to
 * raise the open-files soft limit to the hard limit first: thousands of held streams need two sockets each (client
 * side and model side). bash `exec`s node, so the pid is the server's own.
 */
export async function startApp(options: AppProcessOptions): Promise<AppProcess> {
  const port = await freePort();
  const child = spawn(
    'bash',
    [
      '-c',
      'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$0" "$@"',
      process.execPath,
      ...SERVER_V8_FLAGS,
      '--inspect=127.0.0.1:0',
      MAIN,
    ],
    {
      cwd: options.cwd,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...options.env, PORT: String(port), HOST: '127.0.0.1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let tail = '';
  let inspectorUrl: string | undefined;
  const counts: Record<string, number> = {};
  const collect = (chunk: Buffer) => {
    const text = chunk.toString('utf8');
    tail = (tail + text).slice(-LOG_TAIL_CHARS);
    inspectorUrl ??= inspectorUrlIn(text);
    for (const m of text.matchAll(/"level":"(\w+)"/g)) counts[m[1]] = (counts[m[1]] ?? 0) + 1;
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  let exitCode: number | null | undefined;
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      exitCode = code;
      resolve(code);
    }),
  );

  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + BOOT_TIMEOUT_MS;
  for (;;) {
    if (exitCode !== undefined) throw new Error(`the app exited with ${exitCode} during boot:\n${tail}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the app did not answer /health within ${BOOT_TIMEOUT_MS} ms:\n${tail}`);
    }
    try {
      if ((await fetch(`${url}/health`)).ok) break;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }

  const pid = child.pid!;
  return {
    url,
    pid,
    rssKb: () => rssKb(pid),
    cpuMs: () => processCpuMs(pid),
    fullGc: () => {
      if (!inspectorUrl) return Promise.reject(new Error('the app printed no inspector address'));
      return collectGarbage(inspectorUrl);
    },
    logCounts: () => ({ ...counts }),
    async stop() {
      if (exitCode !== undefined) return exitCode;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}
