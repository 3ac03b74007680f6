import { DataSource } from 'typeorm';
import { PreparedStatements, statement } from '../../src/database/prepared-statements.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

const PROBE = statement('test_probe', "SELECT current_setting('test.probe', true) AS probe");

/**
 * PreparedStatements inside a TypeORM transaction, on the store the suite runs against (PGlite, or PostgreSQL with
 * TEST_DATABASE_URL). The probe is a setting local to the transaction: only a statement on the transaction's own
 * connection, before it ends, can see it. On PGlite, with its one connection, a statement that took a connection
 * of its own would wait for the transaction forever (and time the test out).
 */
describe('PreparedStatements (medium: inside transactions)', () => {
  let t: TestApp;
  let statements: PreparedStatements;
  let db: DataSource;

  beforeAll(async () => {
    t = await startTestApp();
    statements = t.app.get(PreparedStatements);
    db = t.app.get(DataSource);
  });
  afterAll(() => t.close());

  const probe = async (manager?: Parameters<PreparedStatements['rows']>[2]) =>
    (await statements.rows<{ probe: string | null }>(PROBE, [], manager))[0].probe;

  it("runs on the transaction's connection when given its manager, and sees what the transaction set", async () => {
    const seen = await db.transaction(async (em) => {
      await em.query("SELECT set_config('test.probe', 'inside', true)");
      return [await probe(em), await probe(em)];
    });
    expect(seen).toEqual(['inside', 'inside']);
    expect(await probe()).not.toBe('inside');
  });

  it('fails inside a transaction as other queries do; the transaction rolls back, its connection stays usable', async () => {
    const failing = statement('test_fail_in_tx', 'SELECT 1 / $1::int AS n');
    const err = await db
      .transaction(async (em) => {
        await em.query("SELECT set_config('test.probe', 'doomed', true)");
        await statements.rows(failing, [0], em);
      })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ driverError: { code: '22012' } });
    // The transaction was rolled back and its connection handed back healthy.
    expect(await probe()).not.toBe('doomed');
    expect(await statements.rows(failing, [1])).toEqual([{ n: 1 }]);
  });
});
