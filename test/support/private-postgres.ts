import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, chown, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { freePort } from './free-port.js';

const run = promisify(execFile);

/** Where Debian installs the server binaries; PG_BIN overrides it (another version, another distribution). */
const PG_BIN = process.env.PG_BIN ?? '/usr/lib/postgresql/15/bin';

export interface PrivatePostgres {
  /** postgres://postgres@127.0.0.1:<port>/postgres */
  url: string;
  port: number;
  /** `pg_ctl stop -m <mode>`: `immediate` is a crash (no checkpoint, connections cut). */
  stop(mode?: 'fast' | 'immediate'): Promise<void>;
  start(): Promise<void>;
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Stops the server (if up) and deletes its files. */
  destroy(): Promise<void>;
}

/** Why a private cluster cannot be made here, or undefined when it can. */
export function privatePostgresUnavailable(): string | undefined {
  for (const tool of ['initdb', 'pg_ctl']) {
    if (!existsSync(join(PG_BIN, tool))) return `${join(PG_BIN, tool)} not found (set PG_BIN to the server binaries)`;
  }
  if (process.getuid?.() === 0 && !existsSync('/usr/sbin/runuser') && !existsSync('/sbin/runuser')) {
    return 'running as root without runuser: initdb refuses root';
  }
  return undefined;
}

/**
 * A throwaway PostgreSQL cluster of our own (initdb in a temp dir, its own port, trust auth), so a fault test can
 * crash, stop and restart the database without touching the machine's shared server. initdb refuses to run as
 * root, so as root the server runs as the `postgres` OS user, which must own the directory.
 */
export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const unavailable = privatePostgresUnavailable();
  if (unavailable) throw new Error(`cannot start a private PostgreSQL cluster: ${unavailable}`);
  const root = await mkdtemp(join(tmpdir(), 'agent-pg-'));
  const dataDir = join(root, 'data');
  const logFile = join(root, 'server.log');
  const asRoot = process.getuid?.() === 0;
  let owner: { uid: number; gid: number } | undefined;
  if (asRoot) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: gid } = await run('id', ['-g', 'postgres']);
    owner = { uid: Number(stdout.trim()), gid: Number(gid.trim()) };
    await chown(root, owner.uid, owner.gid);
    await chmod(root, 0o700);
  }
  const pg = (tool: string, args: string[]) => {
    const bin = join(PG_BIN, tool);
    return asRoot ? run('runuser', ['-u', 'postgres', '--', bin, ...args]) : run(bin, args);
  };
  await pg('initdb', ['-D', dataDir, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8', '--locale=C']);
  const port = await freePort();
  // fsync off: a crash test needs crash *semantics* (no checkpoint, WAL replay), not durable disks.
  const options = `-p ${port} -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300`;
  let up = false;
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;

  const cluster: PrivatePostgres = {
    url,
    port,
    async start() {
      await pg('pg_ctl', ['-D', dataDir, '-o', options, '-l', logFile, '-w', '-t', '30', 'start']);
      up = true;
    },
    async stop(mode = 'fast') {
      await pg('pg_ctl', ['-D', dataDir, '-m', mode, '-w', '-t', '30', 'stop']);
      up = false;
    },
    async query<T>(sql: string, params: unknown[] = []) {
      const client = new Client({ connectionString: url });
      await client.connect();
      try {
        return (await client.query(sql, params)).rows as T[];
      } finally {
        await client.end();
      }
    },
    async destroy() {
      if (up) await cluster.stop('immediate').catch(() => undefined);
      await rm(root, { recursive: true, force: true });
    },
  };
  try {
    await cluster.start();
  } catch (err) {
    await rm(root, { recursive: true, force: true });
    throw err;
  }
  return cluster;
}
