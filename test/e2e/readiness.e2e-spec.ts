import { PgliteDataSource } from '../../src/database/pglite-data-source.js';
import { DataSource } from 'typeorm';
import { adminQuery } from '../support/test-database.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

async function waitFor(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 200));
  }
  return false;
}

describe('Readiness when the database goes away (e2e)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('answers /ready 503 while the database is unreachable, /health stays 200, and recovers when it returns', async () => {
    await t.http.get('/ready').expect(200);

    if (t.db.kind === 'postgres') {
      await adminQuery(`ALTER DATABASE ${t.db.name} WITH ALLOW_CONNECTIONS false`);
      await adminQuery(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${t.db.name}'`);
    } else {
      // Embedded: the in-process database is closed under the app's feet.
      await (t.app.get(DataSource) as PgliteDataSource).embedded.close();
    }

    const down = await t.http.get('/ready').expect(503);
    expect(down.headers['content-type']).toMatch(/^application\/json/);
    expect(down.body).toMatchObject({ status: 'not_ready', database: false, llm_provider: 'offline' });
    await t.http.get('/health').expect(200);

    if (t.db.kind === 'postgres') {
      await adminQuery(`ALTER DATABASE ${t.db.name} WITH ALLOW_CONNECTIONS true`);
      const recovered = await waitFor(async () => (await t.http.get('/ready')).status === 200, 10_000);
      expect(recovered).toBe(true);
    }
  });
});
