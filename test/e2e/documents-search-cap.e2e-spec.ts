import { DataSource } from 'typeorm';
import type { ToolContext } from '../../src/agents/tools/tool-context.js';
import {
  DocumentChunksRepository,
  RANKED_CANDIDATES_CAP,
  type RankedPage,
} from '../../src/documents/search/document-chunks.repository.js';
import { SearchDocumentsTool } from '../../src/documents/search-documents.tool.js';
import { createDocument, uploadFile } from '../fixtures/documents/documents.factory.js';
import { sentence } from '../fixtures/documents/text.js';
import { createUser, type TestUser } from '../support/factories.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

/**
 * One chunk per section (chunks never span a heading, and each section is long enough not to be merged with the
 * next); `walrus` occurs `1 + i % 4` times in section i.
 */
function sections(word: string, count: number, from: number): string {
  return Array.from(
    { length: count },
    (_, i) =>
      `## Part ${from + i}\n\n${`${word} `.repeat(1 + (i % 4))}${sentence(from + i)} ` +
      `${sentence(from + i + 5000)} ${sentence(from + i + 9000)}`,
  ).join('\n\n');
}

/**
 * Over RANKED_CANDIDATES_CAP matches a search ranks only the first ones it meets and says `total` is a lower bound;
 * under it, nothing may differ from ranking every match.
 */
describe('Documents: search ranks at most RANKED_CANDIDATES_CAP matches (e2e)', () => {
  let t: TestApp;
  let alice: TestUser;
  let bob: TestUser;
  let chunks: DocumentChunksRepository;
  const context = (userId: string): ToolContext => ({
    userId,
    runId: 'run-1',
    conversationId: 'conversation-1',
    signal: new AbortController().signal,
  });

  /** The reference: every match of the user, ranked, with no cap. */
  async function rankedIds(user: TestUser, q: string): Promise<string[]> {
    const rows: Array<{ id: string }> = await t.app.get(DataSource).query(
      `SELECT c.id FROM document_chunks c, websearch_to_tsquery($2::regconfig, $3) q
       WHERE c.user_id = $1 AND c.tsv @@ q
       ORDER BY ts_rank_cd(c.tsv, q, 32) DESC, c.document_id, c.ordinal`,
      [user.id, t.config.searchLanguage, q],
    );
    return rows.map((r) => r.id);
  }

  const search = (user: TestUser, q: string, page = { limit: 50, offset: 0 }, cap?: number): Promise<RankedPage> =>
    chunks.search(user.id, q, t.config.searchLanguage, page, cap);

  beforeAll(async () => {
    t = await startTestApp();
    alice = await createUser(t);
    bob = await createUser(t);
    chunks = t.app.get(DocumentChunksRepository);
    // Bob's passages are stored first, so a scan meets his matches before any of Alice's.
    await createDocument(t, bob, `# Bob\n\n${sections('walrus', 30, 0)}`, 'Bob walruses');
    await createDocument(t, alice, `# Alice\n\n${sections('walrus', 12, 100)}`, 'Alice walruses');
    await createDocument(t, alice, `# More\n\n${sections('walrus', 8, 200)}`, 'More walruses');
  });
  afterAll(() => t.close());

  it('keeps the tsvector in the row (STORAGE MAIN), where match checks and ranking read it', async () => {
    const [row] = await t.app
      .get(DataSource)
      .query(`SELECT attstorage FROM pg_attribute WHERE attrelid = 'document_chunks'::regclass AND attname = 'tsv'`);
    expect(row.attstorage).toBe('m');
  });

  it('under the cap, ranks and counts exactly like ranking every match', async () => {
    const exact = await rankedIds(alice, 'walrus');
    expect(exact).toHaveLength(20);
    for (const cap of [RANKED_CANDIDATES_CAP, 21]) {
      const page = await search(alice, 'walrus', { limit: 50, offset: 0 }, cap);
      expect(page).toMatchObject({ total: 20, totalIsLowerBound: false });
      expect(page.hits.map((h) => h.chunkId)).toEqual(exact);
    }
    const second = await search(alice, 'walrus', { limit: 5, offset: 5 }, 21);
    expect(second.hits.map((h) => h.chunkId)).toEqual(exact.slice(5, 10));
  });

  it('over the cap, ranks only the first `cap` of the caller’s matches and flags total as a lower bound', async () => {
    const mine = new Set(await rankedIds(alice, 'walrus'));
    const page = await search(alice, 'walrus', { limit: 50, offset: 0 }, 6);
    expect(page).toMatchObject({ total: 6, totalIsLowerBound: true });
    expect(page.hits).toHaveLength(6);
    for (const hit of page.hits) expect(mine.has(hit.chunkId)).toBe(true);
    const scores = page.hits.map((h) => h.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    // "First" means first by (document_id, ordinal), whatever the plan and wherever the rows sit in the table.
    const firstSix: Array<{ id: string }> = await t.app.get(DataSource).query(
      `SELECT id FROM document_chunks WHERE user_id = $1 AND tsv @@ websearch_to_tsquery($2::regconfig, 'walrus')
       ORDER BY document_id, ordinal LIMIT 6`,
      [alice.id, t.config.searchLanguage],
    );
    expect(page.hits.map((h) => h.chunkId).sort()).toEqual(firstSix.map((r) => r.id).sort());

    // Paging stays inside the same candidates, and the same request gives the same answer.
    const tail = await search(alice, 'walrus', { limit: 4, offset: 3 }, 6);
    expect(tail.hits.map((h) => h.chunkId)).toEqual(page.hits.slice(3).map((h) => h.chunkId));
    expect((await search(alice, 'walrus', { limit: 50, offset: 0 }, 6)).hits).toEqual(page.hits);
  });

  it('reaching the cap exactly is reported as a lower bound: the search cannot tell it from more', async () => {
    expect(await search(alice, 'walrus', { limit: 1, offset: 0 }, 20)).toMatchObject({
      total: 20,
      totalIsLowerBound: true,
    });
  });

  it('takes the first matches by document and ordinal, not by where the rows sit in the table', async () => {
    // Erin's second document is stored after her first but sorts first: the candidates must come from it alone.
    const db = t.app.get(DataSource);
    const erin = await createUser(t);
    const stored = await createDocument(t, erin, `# Erin\n\n${sections('walrus', 6, 300)}`, 'Stored first');
    const sortsFirst = '00000000-0000-4000-8000-000000000001';
    await db.query(
      `INSERT INTO documents (id, user_id, title, mime_type, size_bytes, sha256, chunk_count, text_length)
       VALUES ($1, $2, 'Sorts first', 'text/plain', 1, repeat('0', 64), 6, 60)`,
      [sortsFirst, erin.id],
    );
    await db.query(
      `INSERT INTO document_chunks (document_id, user_id, ordinal, text, start_offset, end_offset, search_config)
       SELECT $1, $2, g, 'Walrus entry ' || g, 0, 10, $3::regconfig FROM generate_series(0, 5) g`,
      [sortsFirst, erin.id, t.config.searchLanguage],
    );
    const page = await search(erin, 'walrus', { limit: 50, offset: 0 }, 4);
    expect(page).toMatchObject({ total: 4, totalIsLowerBound: true });
    expect(page.hits.map((h) => h.documentId)).toEqual(Array(4).fill(sortsFirst));
    expect(page.hits.map((h) => h.ordinal).sort()).toEqual([0, 1, 2, 3]);
    const all = await search(erin, 'walrus', { limit: 50, offset: 0 });
    expect(all.hits.filter((h) => h.documentId === stored.id)).toHaveLength(6);
  });

  it('keeps each user’s capped results to their own passages', async () => {
    const bobs = new Set(await rankedIds(bob, 'walrus'));
    expect(bobs.size).toBe(30);
    const page = await search(bob, 'walrus', { limit: 50, offset: 0 }, 25);
    expect(page).toMatchObject({ total: 25, totalIsLowerBound: true });
    for (const hit of page.hits) expect(bobs.has(hit.chunkId)).toBe(true);
  });

  it('answers a capped query the same way every time, even where sequential scans start anywhere', async () => {
    // PostgreSQL synchronizes sequential scans of a table over a quarter of shared_buffers: one starts where the
    // previous stopped. Pad this user's passages (an inline heading_path) until their table is that large.
    const db = t.app.get(DataSource);
    const dave = await createUser(t);
    const doc = await createDocument(t, dave, 'Walrus ledger.', 'Ledger');
    const [{ buffers }] = await db.query(
      `SELECT setting::int AS buffers FROM pg_settings WHERE name = 'shared_buffers'`,
    );
    const rows = Math.min(40_000, buffers + 2_000); // ~4 rows a page; a bigger shared_buffers only weakens the test
    await db.query(
      `INSERT INTO document_chunks
         (document_id, user_id, ordinal, text, start_offset, end_offset, heading_path, search_config)
       SELECT $1, $2, g, 'Walrus ledger entry ' || g, 0, 20,
              ARRAY(SELECT md5(g || '.' || s) FROM generate_series(1, 45) s), $3::regconfig
       FROM generate_series(1, $4) g`,
      [doc.id, dave.id, t.config.searchLanguage, rows],
    );
    await db.query('ANALYZE document_chunks'); // so that the planner picks the scan that stops early
    const firstIds = async () =>
      (
        await db.query(
          `SELECT id FROM document_chunks WHERE user_id = $1 AND tsv @@ websearch_to_tsquery($2::regconfig, 'walrus')
           LIMIT 500`,
          [dave.id, t.config.searchLanguage],
        )
      )[0].id;
    const plain = [await firstIds(), await firstIds(), await firstIds()];
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push(await search(dave, 'walrus', { limit: 10, offset: 0 }));
    for (const answer of answers) {
      expect(answer).toMatchObject({ total: RANKED_CANDIDATES_CAP, totalIsLowerBound: true });
      expect(answer.hits).toEqual(answers[0].hits);
    }
    // The premise: without the search's ORDER BY, the same scan did move.
    if (rows >= buffers) expect(new Set(plain).size).toBeGreaterThan(1);
  }, 60_000);

  describe('past RANKED_CANDIDATES_CAP matches', () => {
    let carol: TestUser;
    let narwhalDocId: string;

    beforeAll(async () => {
      carol = await createUser(t);
      // ~700 characters a paragraph: two do not fit in one chunk (1,200 at most), so each makes one.
      const paragraphs = Array.from(
        { length: RANKED_CANDIDATES_CAP + 50 },
        (_, i) => `Narwhal log ${i}. ${Array.from({ length: 7 }, (_, s) => sentence(i * 7 + s)).join(' ')}`,
      );
      const upload = await uploadFile(t, carol, paragraphs.join('\n\n'), {
        filename: 'narwhals.txt',
        contentType: 'text/plain',
      }).expect(201);
      expect(upload.body.chunk_count).toBeGreaterThan(RANKED_CANDIDATES_CAP);
      narwhalDocId = upload.body.id;
    }, 60_000);

    it('the search_documents tool reports total_is_lower_bound, and only then', async () => {
      const tool = t.app.get(SearchDocumentsTool);
      const common = await tool.searchDocuments({ query: 'narwhal', max_results: 5 }, context(carol.id));
      expect(common).toMatchObject({ total: RANKED_CANDIDATES_CAP, total_is_lower_bound: true });
      expect(common.results).toHaveLength(5);
      for (const r of common.results) expect(r.document_id).toBe(narwhalDocId);

      const rare = await tool.searchDocuments({ query: '"narwhal log 77"', max_results: 5 }, context(carol.id));
      expect(rare.total).toBeGreaterThanOrEqual(1);
      expect(rare).not.toHaveProperty('total_is_lower_bound');
      // Alice's search is untouched by Carol's thousand matches.
      const own = await tool.searchDocuments({ query: 'walrus', max_results: 5 }, context(alice.id));
      expect(own.total).toBe(20);
      expect(own).not.toHaveProperty('total_is_lower_bound');
    });

    it('collects planner statistics once the new passages made them stale', async () => {
      const db = t.app.get(DataSource);
      const lexemeStats = async () =>
        (
          await db.query(
            `SELECT count(*)::int AS n FROM pg_stats
             WHERE tablename = 'document_chunks' AND attname = 'tsv' AND most_common_elems IS NOT NULL`,
          )
        )[0].n;
      // A search may have analyzed already (searches check after answering), and the server publishes write counts
      // up to a second late: ask until it is done.
      const deadline = Date.now() + 10_000;
      while ((await lexemeStats()) === 0 && Date.now() < deadline) {
        if (!(await chunks.analyzeIfStale())) await new Promise((resolve) => setTimeout(resolve, 200));
      }
      expect(await lexemeStats()).toBe(1);
      expect(await chunks.analyzeIfStale()).toBe(false);
    }, 20_000);
  });
});
