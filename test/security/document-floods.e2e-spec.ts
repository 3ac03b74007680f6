import { DataSource } from 'typeorm';
import { STALE_INGESTION_MS } from '../../src/documents/documents.service.js';
import { StaleIngestionSweeper } from '../../src/documents/stale-ingestion.sweeper.js';
import { search, uploadFile, type DocumentBody } from '../fixtures/documents/documents.factory.js';
import { sentence } from '../fixtures/documents/text.js';
import { createUser, type TestUser } from '../support/factories.js';
import { TEST_DATABASE_URL } from '../support/test-database.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

/** `count` Markdown sections of ~270 characters: one passage each, `word` in every one. */
function sections(count: number, word = 'ledger', from = 0): string {
  return Array.from(
    { length: count },
    (_, i) => `## Part ${from + i}\n\n${word} ${sentence(from + i)} ${sentence(i + 50_000)} ${sentence(i + 90_000)}`,
  ).join('\n\n');
}

// PGlite accepts statement_timeout but cannot interrupt a query: there the per-user passage limit bounds a search.
const itOnPostgres = TEST_DATABASE_URL ? it : it.skip;

async function listIds(t: TestApp, user: TestUser): Promise<string[]> {
  const res = await t.http.get('/api/documents?limit=100').set(user.auth).expect(200);
  return (res.body as DocumentBody[]).map((d) => d.id);
}

/**
 * Uploads that make passages without limit (SECURITY.md, "Hostile documents"): a small file of one heading per line,
 * documents and accounts past the passage limits, and a large document stored while other users wait for the
 * embedded database's single connection.
 */
describe('Security: passages are bounded, and storing them never holds the database for long (e2e)', () => {
  describe('passage limits', () => {
    let t: TestApp;

    beforeAll(async () => {
      t = await startTestApp({ env: { DOCUMENT_MAX_PASSAGES: '200', DOCUMENT_MAX_PASSAGES_PER_USER: '300' } });
    }, 60_000);
    afterAll(() => t.close());

    it('a file of one heading per line becomes passages of merged headings, not one passage per line', async () => {
      const mallory = await createUser(t);
      const flood = Array.from({ length: 5000 }, (_, i) => `# h${i}`).join('\n');
      const res = await uploadFile(t, mallory, flood, { filename: 'flood.md' }).expect(201);
      // Sections shorter than 200 characters are merged: at most one passage per 200 characters, not 5,000.
      expect(res.body.chunk_count).toBeLessThanOrEqual(Math.ceil(flood.length / 200));
    });

    it('a document that makes more passages than one document may have: 413 naming the limit', async () => {
      const mallory = await createUser(t);
      await uploadFile(t, mallory, sections(200), { filename: 'fits.md' }).expect(201);
      const res = await uploadFile(t, mallory, sections(201, 'folio'), { filename: 'over.md' }).expect(413);
      expect(res.body).toMatchObject({
        code: 'PAYLOAD_TOO_LARGE',
        detail: 'The document makes more than 200 passages (the limit for one document)',
      });
    });

    it("a user's passages in all are limited, without touching other users'; deleting makes room", async () => {
      const [mallory, alice] = [await createUser(t), await createUser(t)];
      const first = await uploadFile(t, mallory, sections(110, 'alpha'), { filename: 'a.md' }).expect(201);
      await uploadFile(t, mallory, sections(110, 'beta'), { filename: 'b.md' }).expect(201);
      const res = await uploadFile(t, mallory, sections(110, 'gamma'), { filename: 'c.md' }).expect(413);
      expect(res.body.detail).toBe(
        'The document makes 110 passages and you have 220 stored: together more than 300 (the limit for one user); ' +
          'delete documents to make room',
      );
      expect(await listIds(t, mallory)).toHaveLength(2);
      await uploadFile(t, alice, sections(110, 'gamma'), { filename: 'c.md' }).expect(201);
      await t.http.delete(`/api/documents/${first.body.id}`).set(mallory.auth).expect(204);
      await uploadFile(t, mallory, sections(110, 'gamma'), { filename: 'c.md' }).expect(201);
    });
  });

  describe('storing a large document', () => {
    let t: TestApp;
    let db: DataSource;

    beforeAll(async () => {
      t = await startTestApp();
      db = t.app.get(DataSource);
    }, 60_000);
    afterAll(() => t.close());

    it("holds the database one batch at a time: another user's list stays fast, and the document is hidden until whole", async () => {
      const [mallory, alice] = [await createUser(t), await createUser(t)];
      await uploadFile(t, alice, sections(5, 'tea'), { filename: 'alice.md' }).expect(201);
      const big = sections(8000, 'zanzibar');
      let done = false;
      const started = performance.now();
      const upload = uploadFile(t, mallory, big, { filename: 'big.md' }).then((res) => {
        done = true;
        return res;
      });
      const latencies: number[] = [];
      let sawPart = false;
      while (!done) {
        const before = performance.now();
        await t.http.get('/api/documents').set(alice.auth).expect(200);
        latencies.push(performance.now() - before);
        // Until the upload answers, its owner sees neither the document nor any of its passages.
        const [mine, hits] = await Promise.all([listIds(t, mallory), search(t, mallory, 'zanzibar').expect(200)]);
        if (!done && (mine.length > 0 || hits.body.length > 0)) sawPart = true;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const res = await upload;
      const totalMs = performance.now() - started;
      expect(res.status).toBe(201);
      expect(res.body.chunk_count).toBe(8000);
      expect(sawPart).toBe(false);
      expect(await listIds(t, mallory)).toEqual([res.body.id]);
      // The upload took seconds; no request of Alice's waited for more than a fraction of it.
      expect(latencies.length).toBeGreaterThan(3);
      expect(Math.max(...latencies)).toBeLessThan(Math.max(1000, totalMs / 4));
    }, 120_000);

    it("keeps the search index's pending list small on PGlite, whose one connection waits for every merge", async () => {
      // On a PostgreSQL server other connections never wait for a merge: the index keeps the server's setting.
      const [row] = await db.query(`SELECT reloptions FROM pg_class WHERE relname = 'document_chunks_tsv_idx'`);
      expect(row.reloptions).toBeNull();
      const [setting] = await db.query('SHOW gin_pending_list_limit');
      expect(setting).toEqual({ gin_pending_list_limit: TEST_DATABASE_URL ? '4MB' : '256kB' });
    });

    it('a store that fails half-way leaves nothing behind, and the same file can be uploaded again', async () => {
      const mallory = await createUser(t);
      // The database refuses the 700th passage (in the third batch), as a full disk or a lost connection would.
      await db.query(`
        CREATE FUNCTION refuse_passage_700() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF NEW.ordinal = 700 THEN RAISE EXCEPTION 'refused by the test'; END IF;
          RETURN NEW;
        END $$`);
      await db.query(`CREATE TRIGGER refuse_passage_700 BEFORE INSERT ON document_chunks
        FOR EACH ROW EXECUTE FUNCTION refuse_passage_700()`);
      const file = sections(1000, 'quokka');
      try {
        await uploadFile(t, mallory, file, { filename: 'q.md' }).expect(500);
      } finally {
        await db.query('DROP TRIGGER refuse_passage_700 ON document_chunks');
        await db.query('DROP FUNCTION refuse_passage_700');
      }
      const [rows] = await db.query(
        `SELECT (SELECT count(*)::int FROM documents WHERE user_id = $1) AS documents,
                (SELECT count(*)::int FROM document_chunks WHERE user_id = $1) AS chunks`,
        [mallory.id],
      );
      expect(rows).toEqual({ documents: 0, chunks: 0 });
      const again = await uploadFile(t, mallory, file, { filename: 'q.md' }).expect(201);
      expect(again.body.chunk_count).toBe(1000);
    }, 60_000);

    it('a document a dead process left half-stored is removed by the sweeper once stale, never shown before', async () => {
      const mallory = await createUser(t);
      const insert = async (sha: string, age: string) => {
        const [{ id }] = await db.query(
          `INSERT INTO documents (user_id, title, mime_type, size_bytes, sha256, status, chunk_count, created_at)
           VALUES ($1, 'Half stored', 'text/plain', 10, $2, 'processing', 2, now() - $3::interval) RETURNING id`,
          [mallory.id, sha.repeat(64), age],
        );
        await db.query(
          `INSERT INTO document_chunks (document_id, user_id, ordinal, text, start_offset, end_offset, search_config)
           VALUES ($1, $2, 0, 'wombat one', 0, 10, $3::regconfig), ($1, $2, 1, 'wombat two', 11, 21, $3::regconfig)`,
          [id, mallory.id, t.config.searchLanguage],
        );
        return id as string;
      };
      const stale = await insert('a', `${STALE_INGESTION_MS / 1000 + 60} seconds`);
      const fresh = await insert('b', '1 second');
      expect(await listIds(t, mallory)).toEqual([]);
      expect((await search(t, mallory, 'wombat').expect(200)).body).toEqual([]);
      await t.http.get(`/api/documents/${fresh}`).set(mallory.auth).expect(404);

      expect(await t.app.get(StaleIngestionSweeper).sweep(STALE_INGESTION_MS)).toBe(1);
      const left = await db.query(`SELECT id FROM documents WHERE user_id = $1`, [mallory.id]);
      expect(left).toEqual([{ id: fresh }]);
      expect(await db.query(`SELECT 1 FROM document_chunks WHERE document_id = $1`, [stale])).toEqual([]);
    });
  });

  describe('searching a large corpus', () => {
    itOnPostgres(
      'a search past SEARCH_TIMEOUT_MS is cancelled: 503 naming the limit, with Retry-After',
      async () => {
        const t = await startTestApp({ env: { SEARCH_TIMEOUT_MS: '10' } });
        try {
          const mallory = await createUser(t);
          const db = t.app.get(DataSource);
          const [{ id }] = await db.query(
            `INSERT INTO documents (user_id, title, mime_type, size_bytes, sha256, chunk_count, text_length)
           VALUES ($1, 'Ledger', 'text/plain', 1, repeat('c', 64), 30000, 1) RETURNING id`,
            [mallory.id],
          );
          await db.query(
            `INSERT INTO document_chunks (document_id, user_id, ordinal, text, start_offset, end_offset, search_config)
           SELECT $1, $2, g, 'ledger entry ' || g || ' handled by the team within ' || (g % 9 + 1) || ' days',
                  0, 10, $3::regconfig
           FROM generate_series(0, 29999) g`,
            [id, mallory.id, t.config.searchLanguage],
          );
          // Phrases of words found in every passage, never in these orders: every passage is read and rechecked.
          const res = await search(t, mallory, '"days within team" or "team within ledger" or "within days entry"');
          expect(res.status).toBe(503);
          expect(res.body).toMatchObject({
            code: 'SERVICE_UNAVAILABLE',
            detail: 'The search took longer than 10 ms and was stopped; search for more specific words',
          });
          expect(res.headers['retry-after']).toBe('5');
        } finally {
          await t.close();
        }
      },
      120_000,
    );
  });
});
