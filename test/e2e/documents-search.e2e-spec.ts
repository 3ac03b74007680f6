import { RANKED_CANDIDATES_CAP } from '../../src/documents/search/document-chunks.repository.js';
import { chunksOf, createDocument, search, uploadFile } from '../fixtures/documents/documents.factory.js';
import { makePdf } from '../fixtures/documents/pdf.js';
import { paragraphs, sentence } from '../fixtures/documents/text.js';
import { createUser, type TestUser } from '../support/factories.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

const RESULT_KEYS = ['chunk_id', 'document_id', 'highlight', 'score', 'text', 'title'];

interface Hit {
  document_id: string;
  title: string;
  chunk_id: string;
  text: string;
  score: number;
  highlight: string;
}

describe('Documents: search and chunking (e2e)', () => {
  let t: TestApp;
  let user: TestUser;

  beforeAll(async () => {
    t = await startTestApp();
    user = await createUser(t);
  });
  afterAll(() => t.close());

  describe('ranking', () => {
    let phraseChunkId: string;
    let docId: string;

    beforeAll(async () => {
      // Many sections mention the query words scattered; exactly one holds them as the exact phrase.
      const sections = Array.from({ length: 8 }, (_, i) => {
        const scattered =
          `The annual meeting reviewed ${sentence(i)} A subscription form was filed later. ` +
          `Renewal dates moved, and the discount desk answered questions.`;
        const body = i === 5 ? `Customers get an annual subscription renewal discount of ten percent.` : scattered;
        return `## Section ${i}\n\n${paragraphs(1, 3, i * 10)[0]}\n\n${body}`;
      });
      const doc = await createDocument(t, user, `# Pricing\n\n${sections.join('\n\n')}`, 'Pricing handbook');
      docId = doc.id;
      const chunks = await chunksOf(t, doc.id);
      phraseChunkId = chunks.find((c) => c.text.includes('annual subscription renewal discount'))!.id;
      // Unrelated noise from another document.
      await createDocument(t, user, paragraphs(6, 5, 900).join('\n\n'), 'Noise');
    });

    it('ranks the chunk holding the exact phrase first for a plain-words query', async () => {
      const hits: Hit[] = (await search(t, user, 'annual subscription renewal discount').expect(200)).body;
      expect(hits.length).toBeGreaterThan(1);
      expect(hits[0]).toMatchObject({ chunk_id: phraseChunkId, document_id: docId, title: 'Pricing handbook' });
      expect(hits[0].score).toBeGreaterThan(hits[1].score);
    });

    it('matches a quoted phrase only where the words are adjacent', async () => {
      const hits: Hit[] = (await search(t, user, '"subscription renewal discount"').expect(200)).body;
      expect(hits.map((h) => h.chunk_id)).toEqual([phraseChunkId]);
    });

    it('answers in the documented shape, scores in [0, 1) and non-increasing', async () => {
      const hits: Hit[] = (await search(t, user, 'renewal').expect(200)).body;
      expect(hits.length).toBeGreaterThan(2);
      for (const h of hits) {
        expect(Object.keys(h).sort()).toEqual(RESULT_KEYS);
        expect(h.score).toBeGreaterThan(0);
        expect(h.score).toBeLessThan(1);
      }
      const scores = hits.map((h) => h.score);
      expect(scores).toEqual([...scores].sort((a, b) => b - a));
    });

    it('highlights the matched words with <mark>, merging adjacent ones', async () => {
      const [hit]: Hit[] = (await search(t, user, '"subscription renewal discount"').expect(200)).body;
      expect(hit.highlight).toContain('<mark>subscription renewal discount</mark>');
    });

    it('pages with limit and offset without overlap', async () => {
      const all: Hit[] = (await search(t, user, 'renewal', { limit: 50 }).expect(200)).body;
      const first: Hit[] = (await search(t, user, 'renewal', { limit: 3 }).expect(200)).body;
      const second: Hit[] = (await search(t, user, 'renewal', { limit: 3, offset: 3 }).expect(200)).body;
      expect(first.map((h) => h.chunk_id)).toEqual(all.slice(0, 3).map((h) => h.chunk_id));
      expect(second.map((h) => h.chunk_id)).toEqual(all.slice(3, 6).map((h) => h.chunk_id));
    });

    it('defaults to 10 results', async () => {
      const many = Array.from({ length: 14 }, (_, i) => `Kiwi fact ${i}: kiwis are flightless birds number ${i}.`);
      await createDocument(t, user, many.join('\n\n'.padEnd(1300, ' ')), 'Kiwis');
      const hits: Hit[] = (await search(t, user, 'kiwi').expect(200)).body;
      expect(hits).toHaveLength(10);
    });

    it('stems words (english by default) and supports -exclusion and or', async () => {
      await createDocument(t, user, 'The receipts were reconciled by the accountants.', 'Stemming');
      await createDocument(t, user, 'The receipts were shredded by mistake.', 'Shredded');
      const stemmed: Hit[] = (await search(t, user, 'receipt reconciling').expect(200)).body;
      expect(stemmed.map((h) => h.title)).toEqual(['Stemming']);
      const excluded: Hit[] = (await search(t, user, 'receipts -reconciled').expect(200)).body;
      expect(excluded.map((h) => h.title)).toEqual(['Shredded']);
      const either: Hit[] = (await search(t, user, 'shredded or reconciled').expect(200)).body;
      expect(either.map((h) => h.title).sort()).toEqual(['Shredded', 'Stemming']);
    });

    it('returns [] for a query of stop words only or with no match', async () => {
      expect((await search(t, user, 'the and of').expect(200)).body).toEqual([]);
      expect((await search(t, user, 'xylophonist').expect(200)).body).toEqual([]);
    });

    it.each([
      ['a missing q', {}],
      ['an empty q', { q: '  ' }],
      ['a q over 500 characters', { q: 'a'.repeat(501) }],
      ['limit=0', { q: 'x', limit: 0 }],
      ['limit=51', { q: 'x', limit: 51 }],
      ['offset=-1', { q: 'x', offset: -1 }],
      ['an offset past the ranked matches', { q: 'x', offset: RANKED_CANDIDATES_CAP }],
    ])('rejects %s with 400', async (_, query) => {
      const res = await t.http.get('/api/documents/search').set(user.auth).query(query).expect(400);
      expect(res.body).toMatchObject({ code: 'VALIDATION_FAILED', instance: '/api/documents/search' });
    });

    it('pages up to the last ranked match, and says where paging ends when asked past it', async () => {
      const last = RANKED_CANDIDATES_CAP - 1;
      expect((await search(t, user, 'renewal', { limit: 10, offset: last }).expect(200)).body).toEqual([]);
      const res = await search(t, user, 'renewal', { limit: 10, offset: last + 1 }).expect(400);
      expect(JSON.stringify(res.body)).toContain(`offset must not be greater than ${last}`);
    });
  });

  describe('highlights are safe HTML', () => {
    it('escapes the document text around the <mark> tags', async () => {
      const content = 'Pelican maths: 5 < 6 & 7 > 2, said "the pelican" proudly.';
      await createDocument(t, user, content, 'Escaping');
      const [hit]: Hit[] = (await search(t, user, 'pelican maths').expect(200)).body;
      expect(hit.text).toBe(content); // the data itself is verbatim
      expect(hit.highlight).toContain('5 &lt; 6 &amp; 7 &gt; 2');
      expect(hit.highlight).toContain('&quot;the <mark>pelican</mark>&quot;');
    });

    it('never lets markup from a document into the highlight', async () => {
      const content = 'Beware <script>alert("heron")</script> and <img src=x onerror=alert(1)> heron claims.';
      await createDocument(t, user, content, 'XSS');
      const [hit]: Hit[] = (await search(t, user, 'heron claims').expect(200)).body;
      expect(hit.text).toBe(content);
      expect(hit.highlight).toContain('<mark>heron claims</mark>');
      expect(hit.highlight).not.toMatch(/<(?!\/?mark>)/);
    });
  });

  describe('chunk boundaries', () => {
    // Sections of a few sentences: shorter ones (a heading and a line) are merged with their neighbours.
    const FORKLIFTS = `Only certified staff drive forklifts. ${paragraphs(1, 3, 7000)[0]}`;
    const OFFICE = `The office opens at nine. ${paragraphs(1, 3, 8000)[0]}`;

    it('splits on headings and paragraphs with bounded size, overlap, exact offsets and heading paths', async () => {
      const long = paragraphs(8, 6, 2000); // ~4 KB: several chunks under one heading
      const source = [
        '# Operations manual',
        '',
        '## Warehouse',
        '',
        ...long.flatMap((p) => [p, '']),
        '### Forklifts',
        '',
        FORKLIFTS,
        '',
        '## Office',
        '',
        OFFICE,
      ].join('\n');
      const doc = await createDocument(t, user, source, 'Manual');
      const chunks = await chunksOf(t, doc.id);
      expect(doc.chunk_count).toBe(chunks.length);

      expect(chunks.map((c) => c.ordinal)).toEqual(chunks.map((_, i) => i));
      for (const c of chunks) {
        expect(c.user_id).toBe(user.id);
        expect(c.text).toBe(source.slice(c.start_offset, c.end_offset));
        expect(c.text.length).toBeLessThanOrEqual(1200);
      }

      const warehouse = chunks.filter((c) => c.heading_path.join('/') === 'Operations manual/Warehouse');
      expect(warehouse.length).toBeGreaterThan(2);
      expect(warehouse[0].text.startsWith('# Operations manual\n\n## Warehouse\n\n')).toBe(true);
      for (let i = 1; i < warehouse.length; i++) {
        expect(warehouse[i].start_offset).toBeLessThan(warehouse[i - 1].end_offset); // overlap
        expect(source.slice(warehouse[i - 1].end_offset, warehouse[i - 1].end_offset + 2)).toBe('\n\n'); // paragraph end
      }
      expect(chunks.at(-2)).toMatchObject({
        heading_path: ['Operations manual', 'Warehouse', 'Forklifts'],
        text: `### Forklifts\n\n${FORKLIFTS}`,
      });
      expect(chunks.at(-1)).toMatchObject({
        heading_path: ['Operations manual', 'Office'],
        text: `## Office\n\n${OFFICE}`,
      });
      // A heading is never inside a chunk that started under another one.
      const forklifts = source.indexOf('### Forklifts');
      for (const c of chunks) expect(c.start_offset >= forklifts || c.end_offset <= forklifts).toBe(true);
    });

    it('recovers PDF headings from font sizes and pages from the layout', async () => {
      const pdf = await makePdf([
        { heading: 'Safety' },
        ...paragraphs(10, 6, 3000).map((p) => ({ paragraph: p })),
        { heading: 'Contacts' },
        { paragraph: 'Call the safety officer on extension 4242.' },
      ]);
      const res = await uploadFile(t, user, pdf, { filename: 'safety.pdf' }).expect(201);
      const chunks = await chunksOf(t, res.body.id);
      expect(chunks.length).toBeGreaterThan(3);
      expect(chunks.slice(0, -1).every((c) => c.heading_path[0] === 'Safety')).toBe(true);
      expect(chunks.at(-1)).toMatchObject({ heading_path: ['Contacts'] });
      for (const c of chunks) expect(c.text.length).toBeLessThanOrEqual(1200);
      const [hit]: Hit[] = (await search(t, user, 'extension 4242').expect(200)).body;
      expect(hit.chunk_id).toBe(chunks.at(-1)!.id);
    });
  });
});
