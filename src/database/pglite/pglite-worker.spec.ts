import { Logger } from '@nestjs/common';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, DatabaseError, Pool } from 'pg';
import { databaseFailure } from '../../common/errors/database-unavailable.js';
import { PGLITE_SETTINGS } from './pglite-settings.js';
import { PgliteWorker } from './pglite-worker.js';
import { workerPgConfig } from './pglite-wire-stream.js';

/** The pool as TypeORM builds it for PGlite: `pg` with the worker's connection in place of a socket. */
const poolOn = (worker: PgliteWorker) => new Pool(workerPgConfig(worker) as ConstructorParameters<typeof Pool>[0]);

describe('PgliteWorker: embedded PostgreSQL in a worker thread, through the real pg driver', () => {
  let worker: PgliteWorker;
  let pool: Pool;

  beforeAll(async () => {
    worker = await PgliteWorker.start('memory://');
    pool = poolOn(worker);
    await pool.query('CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL)');
  });
  afterAll(async () => {
    await pool.end();
    await worker.close();
  });

  it("runs with the app's PostgreSQL settings (PGLITE_SETTINGS), not PGlite's defaults", async () => {
    for (const [name, value] of Object.entries(PGLITE_SETTINGS)) {
      const { rows } = await pool.query(`SHOW ${name}`);
      expect({ [name]: rows[0][name] }).toEqual({ [name]: value });
    }
  });

  it('runs simple and extended-protocol queries, named statements included, with typed results', async () => {
    expect((await pool.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    await pool.query('INSERT INTO items VALUES ($1, $2), ($3, $4)', [1, 'a', 2, 'b']);
    for (let i = 0; i < 8; i++) {
      const { rows } = await pool.query({
        name: 'item_by_id',
        text: 'SELECT name FROM items WHERE id = $1',
        values: [2],
      });
      expect(rows).toEqual([{ name: 'b' }]);
    }
    const { rows } = await pool.query("SELECT name FROM pg_prepared_statements WHERE name = 'item_by_id'");
    expect(rows).toHaveLength(1);
  });

  it("reports PostgreSQL's errors as pg does, and the session goes on", async () => {
    const err = await pool.query('INSERT INTO items VALUES (1, $1)', ['again']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatabaseError);
    expect(err).toMatchObject({ code: '23505', constraint: 'items_pkey' });
    expect((await pool.query('SELECT count(*)::int AS n FROM items')).rows).toEqual([{ n: 2 }]);
  });

  it('keeps transactions on its one session', async () => {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('INSERT INTO items VALUES (3, $1)', ['c']);
      await client.query('ROLLBACK');
    } finally {
      client.release();
    }
    expect((await pool.query('SELECT id FROM items ORDER BY id')).rows).toEqual([{ id: 1 }, { id: 2 }]);
  });

  it("does not keep the answers it relays: the worker's heap stays flat over 100 MB of rows", async () => {
    // PGlite's execProtocolRaw keeps every message it returns parsed in a list of its own (the worker now uses
    // execProtocolRawStream): with it, these 400 answers of 256 KB each stayed in the worker's heap as strings.
    const fill = async () => {
      for (let i = 0; i < 400; i++) {
        const { rows } = await pool.query({ name: 'big_row', text: "SELECT repeat('x', 262144) AS text" });
        expect(rows[0].text).toHaveLength(262_144);
      }
    };
    await fill();
    const before = await worker.heapUsed();
    await fill();
    const grown = (await worker.heapUsed()) - before;
    // Garbage not yet collected is at most the young generation (16 MB by default) plus what the next scavenge
    // would free; 100 MB of kept rows would be far above.
    expect(grown).toBeLessThan(40 * 1024 * 1024);
  });

  it('leaves the event loop free while a statement runs', async () => {
    let longest = 0;
    let last = performance.now();
    const ticker = setInterval(() => {
      const now = performance.now();
      longest = Math.max(longest, now - last);
      last = now;
    }, 5);
    const started = performance.now();
    try {
      await pool.query('SELECT count(*) FROM generate_series(1, 4000000)');
    } finally {
      clearInterval(ticker);
    }
    const took = performance.now() - started;
    // The statement takes a few hundred milliseconds of WebAssembly; in this thread, no timer could fire meanwhile.
    expect(took).toBeGreaterThan(150);
    expect(longest).toBeLessThan(took / 3);
  });
});

describe('PgliteWorker: lifecycle', () => {
  it('keeps what was committed across a close and a new worker on the same directory', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pglite-worker-'));
    try {
      const first = await PgliteWorker.start(dir);
      const pool = poolOn(first);
      await pool.query('CREATE TABLE kept (v text)');
      await pool.query("INSERT INTO kept VALUES ('still here')");
      await pool.end();
      await first.close();

      const second = await PgliteWorker.start(dir);
      const again = poolOn(second);
      expect((await again.query('SELECT v FROM kept')).rows).toEqual([{ v: 'still here' }]);
      await again.end();
      await second.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("takes settings over the app's own (PGLITE_SHARED_BUFFERS)", async () => {
    const worker = await PgliteWorker.start('memory://', { shared_buffers: '32MB' });
    const pool = poolOn(worker);
    try {
      expect((await pool.query('SHOW shared_buffers')).rows).toEqual([{ shared_buffers: '32MB' }]);
      expect((await pool.query('SHOW wal_buffers')).rows).toEqual([{ wal_buffers: PGLITE_SETTINGS.wal_buffers }]);
    } finally {
      await pool.end();
      await worker.close();
    }
  });

  it('gives each new pg Client a fresh session: nothing prepared, no transaction left open by the last one', async () => {
    const worker = await PgliteWorker.start('memory://');
    const clientOn = () => new Client(workerPgConfig(worker) as ConstructorParameters<typeof Client>[0]);
    const first = clientOn();
    await first.connect();
    await first.query('CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL)');
    await first.query("INSERT INTO items VALUES (1, 'a'), (2, 'b')");
    await first.query({ name: 'item_name', text: 'SELECT name FROM items WHERE id = $1', values: [1] });
    await first.query('BEGIN');
    await first.query('INSERT INTO items VALUES (9, $1)', ['dropped']);
    await first.end();

    const second = clientOn();
    await second.connect();
    try {
      // The same name again: a session that still had it prepared would refuse the Parse.
      const { rows } = await second.query({
        name: 'item_name',
        text: 'SELECT name FROM items WHERE id = $1',
        values: [2],
      });
      expect(rows).toEqual([{ name: 'b' }]);
      expect((await second.query('SELECT count(*)::int AS n FROM items WHERE id = 9')).rows).toEqual([{ n: 0 }]);
      expect((await second.query('SELECT now() = statement_timestamp() AS outside')).rows).toEqual([{ outside: true }]);
    } finally {
      await second.end();
      await worker.close();
    }
  });

  it('fails its boot with PGlite’s reason, from the process that creates a new directory', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pglite-worker-'));
    const notADirectory = join(dir, 'file');
    await writeFile(notADirectory, 'not a database');
    try {
      await expect(PgliteWorker.start(notADirectory)).rejects.toThrow(
        /^PGlite could not create .*file: ErrnoError \(Emscripten errno \d+\)/,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('answers "PGlite is closed" (a database outage) once closed', async () => {
    const worker = await PgliteWorker.start('memory://');
    const client = new Client(workerPgConfig(worker) as ConstructorParameters<typeof Client>[0]);
    await client.connect();
    client.on('error', () => undefined);
    await worker.close();
    expect(worker.closed).toBe(true);
    const err = await client.query('SELECT 1').catch((e: unknown) => e);
    expect(String(err)).toMatch(/PGlite is closed/);
    expect(databaseFailure(err)).toBe('unavailable');
    await worker.close(); // a second close is a no-op
  });

  it('fails what is in flight, as an outage, when the worker dies, and says so in the log', async () => {
    const logged = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const worker = await PgliteWorker.start('memory://');
    const pool = poolOn(worker);
    pool.on('error', () => undefined);
    await pool.query('SELECT 1');
    const running = pool.query('SELECT count(*) FROM generate_series(1, 20000000)').catch((e: unknown) => e);
    await new Promise((resolve) => setTimeout(resolve, 50));
    // What a crash of the WebAssembly runtime looks like from here: the thread is gone.
    await (worker as unknown as { worker: { terminate(): Promise<number> } }).worker.terminate();
    const err = await running;
    expect(String(err)).toMatch(/PGlite is closed: its worker exited/);
    expect(databaseFailure(err)).toBe('unavailable');
    expect(String(await pool.query('SELECT 1').catch((e: unknown) => e))).toMatch(/PGlite is closed/);
    await pool.end();
    expect(logged).toHaveBeenCalledWith(expect.objectContaining({ msg: 'the embedded database stopped' }));
    logged.mockRestore();
  });
});
