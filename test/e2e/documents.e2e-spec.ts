import { DataSource } from 'typeorm';
import { LIST_OWNED } from '../../src/documents/documents.repository.js';
import { makeDocx } from '../fixtures/documents/docx.js';
import {
  chunksOf,
  createDocument,
  search,
  uploadFile,
  type DocumentBody,
} from '../fixtures/documents/documents.factory.js';
import { makePdf, makeTextlessPdf } from '../fixtures/documents/pdf.js';
import { paragraphs } from '../fixtures/documents/text.js';
import { zip } from '../fixtures/documents/zip.js';
import { createUser, type TestUser } from '../support/factories.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

const DOCUMENT_KEYS = ['chunk_count', 'created_at', 'id', 'mime_type', 'size_bytes', 'status', 'title'];
const DOCX_MIME = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';
// 1x1 transparent PNG.
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=',
  'base64',
);

function expectProblem(res: { status: number; headers: Record<string, string>; body: Record<string, unknown> }) {
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.body).toMatchObject({ status: res.status, instance: '/api/documents', request_id: expect.any(String) });
}

describe('Documents: upload, type detection, lifecycle (e2e)', () => {
  let t: TestApp;
  let user: TestUser;

  beforeAll(async () => {
    t = await startTestApp();
    user = await createUser(t);
  });
  afterAll(() => t.close());

  describe('detects the type from the bytes, not the name', () => {
    it('plain text -> 201 with exactly the documented fields', async () => {
      const text = paragraphs(2).join('\n\n');
      const res = await uploadFile(t, user, text, { filename: 'notes.pdf', contentType: 'application/pdf' }).expect(
        201,
      );
      expect(Object.keys(res.body).sort()).toEqual(DOCUMENT_KEYS);
      expect(res.body).toEqual({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        title: 'notes.pdf',
        mime_type: 'text/plain',
        size_bytes: Buffer.byteLength(text),
        chunk_count: 1,
        status: 'ready',
        created_at: expect.any(String),
      });
      expect(new Date(res.body.created_at).getTime()).toBeGreaterThan(Date.now() - 60_000);
    });

    it('Markdown, recognised from its syntax even as text/plain, with headings in the chunk paths', async () => {
      const md =
        '# Handbook\n\n## Holidays\n\nStaff get **25 days** of leave.\n\n- carry over 5\n- see [HR](https://hr.example)';
      const res = await uploadFile(t, user, md, { filename: 'handbook.txt', contentType: 'text/plain' }).expect(201);
      expect(res.body.mime_type).toBe('text/markdown');
      const [chunk] = await chunksOf(t, res.body.id);
      expect(chunk.heading_path).toEqual(['Handbook', 'Holidays']);
    });

    it('Markdown when declared so and the content is ambiguous', async () => {
      const res = await uploadFile(t, user, 'Just one line about markdown hints.', {
        filename: 'x',
        contentType: 'text/markdown',
      }).expect(201);
      expect(res.body.mime_type).toBe('text/markdown');
    });

    it('HTML, parsed to visible text: scripts and styles dropped, entities decoded, <title> as title', async () => {
      const html = `<!doctype html><html><head><title>Pricing &amp; Plans</title>
        <style>.hidden { color: stylesheetword }</style><script>var scriptword = 1;</script></head>
        <body><h1>Plans</h1><p>The <b>gold</b> plan costs &euro;30 &lt;per month&gt;.</p>
        <ul><li>first perk</li><li>second perk</li></ul><noscript>noscriptword</noscript></body></html>`;
      const res = await uploadFile(t, user, html, { filename: 'page.txt', contentType: 'text/plain' }).expect(201);
      expect(res.body).toMatchObject({ mime_type: 'text/html', title: 'Pricing & Plans' });
      const [chunk] = await chunksOf(t, res.body.id);
      expect(chunk.text).toBe('# Plans\n\nThe gold plan costs €30 <per month>.\n\n- first perk\n- second perk');
      expect(chunk.heading_path).toEqual(['Plans']);
      for (const hidden of ['scriptword', 'stylesheetword', 'noscriptword']) {
        expect((await search(t, user, hidden).expect(200)).body).toEqual([]);
      }
    });

    it('XHTML behind an XML declaration is HTML', async () => {
      const xhtml = `<?xml version="1.0" encoding="UTF-8"?>
        <html xmlns="http://www.w3.org/1999/xhtml"><body><p>xhtml paragraph about otters</p></body></html>`;
      const res = await uploadFile(t, user, xhtml, { filename: 'a.xhtml' }).expect(201);
      expect(res.body.mime_type).toBe('text/html');
    });

    it('PDF, parsed in a worker thread, even when named and declared as text', async () => {
      // Each section a few sentences long: a heading with one short line would be merged with its neighbour.
      const [travel, meals] = paragraphs(2, 3, 4000);
      const pdf = await makePdf([
        { heading: 'Travel policy' },
        { paragraph: `Employees book economy class for flights shorter than six hours. ${travel}` },
        { heading: 'Meals' },
        { paragraph: `Dinner allowance is forty euros per day while travelling. ${meals}` },
      ]);
      const res = await uploadFile(t, user, pdf, { filename: 'policy.txt', contentType: 'text/plain' }).expect(201);
      expect(res.body).toMatchObject({ mime_type: 'application/pdf', size_bytes: pdf.length, title: 'policy.txt' });
      const chunks = await chunksOf(t, res.body.id);
      expect(chunks.map((c) => c.heading_path)).toEqual([['Travel policy'], ['Meals']]);
      expect(chunks[1].text).toMatch(/^# Meals\n\nDinner allowance is forty euros per day while travelling\. /);
      const hits = (await search(t, user, 'dinner allowance').expect(200)).body;
      expect(hits[0]).toMatchObject({ document_id: res.body.id, chunk_id: chunks[1].id });
    });

    it('queues uploads beyond the worker pool and completes them all', async () => {
      const pdfs = await Promise.all(
        Array.from({ length: 6 }, (_, i) => makePdf([{ paragraph: `Concurrent PDF number ${i} about puffins.` }])),
      );
      const results = await Promise.all(pdfs.map((pdf, i) => uploadFile(t, user, pdf, { filename: `p${i}.pdf` })));
      expect(results.map((r) => r.status)).toEqual([201, 201, 201, 201, 201, 201]);
      expect((await search(t, user, 'puffins', { limit: 50 }).expect(200)).body).toHaveLength(6);
    });

    it('takes the title from the multipart title field when given', async () => {
      const res = await uploadFile(t, user, 'Body of a titled upload about herons.', {
        filename: 'C:\\Users\\someone\\draft.txt',
        title: '  Heron notes ',
      }).expect(201);
      expect(res.body.title).toBe('Heron notes');
    });

    it('DOCX, with Word heading styles kept as heading paths', async () => {
      const docx = makeDocx([
        { heading: 1, text: 'Quarterly report' },
        { heading: 2, text: 'Revenue' },
        { text: 'Revenue grew because of the zebra initiative.' },
      ]);
      const res = await uploadFile(t, user, docx, { filename: 'report.bin' }).expect(201);
      expect(res.body).toMatchObject({ mime_type: DOCX_MIME, title: 'report.bin', chunk_count: 1 });
      const [chunk] = await chunksOf(t, res.body.id);
      expect(chunk.heading_path).toEqual(['Quarterly report', 'Revenue']);
      expect(chunk.text).toContain('Revenue grew because of the zebra initiative.');
    });

    it('JSON {title, content}', async () => {
      const res = await t.http
        .post('/api/documents')
        .set(user.auth)
        .send({ title: '  Meeting notes ', content: 'We agreed to ship the walrus feature on Friday.' })
        .expect(201);
      expect(res.body).toMatchObject({
        title: 'Meeting notes',
        mime_type: 'text/plain',
        size_bytes: 47,
        chunk_count: 1,
      });
    });

    it('defaults the title to the first line when JSON has none', async () => {
      const res = await t.http
        .post('/api/documents')
        .set(user.auth)
        .send({ content: '## Onboarding checklist\n\nBring a laptop.' })
        .expect(201);
      expect(res.body.title).toBe('Onboarding checklist');
    });

    it('legacy Latin-1 text is read as windows-1252, not as replacement characters', async () => {
      const latin1 = Buffer.from('Le café du coin ouvre à huit heures. Crème brûlée incluse.', 'latin1');
      const res = await uploadFile(t, user, latin1, { filename: 'fr.txt' }).expect(201);
      const [chunk] = await chunksOf(t, res.body.id);
      expect(chunk.text).toBe('Le café du coin ouvre à huit heures. Crème brûlée incluse.');
    });

    it('normalizes CRLF and strips NUL-free control characters before indexing', async () => {
      const res = await uploadFile(t, user, 'line one\r\nline two\u0007 bell').expect(201);
      const [chunk] = await chunksOf(t, res.body.id);
      expect(chunk.text).toBe('line one\nline two bell');
    });
  });

  describe('refuses what it cannot read', () => {
    it.each([
      ['a PNG named .txt', PNG, 'notes.txt', /image\/png/],
      ['a ZIP archive that is not DOCX', zip({ 'readme.txt': 'hello' }), 'doc.docx', /application\/zip/],
      ['unknown binary', Buffer.from([0x00, 0x01, 0x02, 0xff, 0x00, 0x10, 0x80, 0x00]), 'data.md', /binary/],
      [
        'a plain XML document',
        Buffer.from('<?xml version="1.0"?><invoice><total>3</total></invoice>'),
        'a.html',
        /xml/,
      ],
    ])('%s -> 415', async (_, bytes, filename, detail) => {
      const res = await uploadFile(t, user, bytes, { filename, contentType: 'text/plain' }).expect(415);
      expectProblem(res);
      expect(res.body).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE', detail: expect.stringMatching(detail) });
    });

    it('a raw (non-multipart, non-JSON) body -> 415', async () => {
      const res = await t.http
        .post('/api/documents')
        .set(user.auth)
        .set('Content-Type', 'application/pdf')
        .send(Buffer.from('%PDF-1.7'))
        .expect(415);
      expectProblem(res);
    });

    it('a file over 25 MiB -> 413, in the problem shape', async () => {
      const big = Buffer.alloc(26 * 1024 * 1024, 'a');
      const res = await uploadFile(t, user, big, { filename: 'big.txt' }).expect(413);
      expectProblem(res);
      expect(res.body.code).toBe('PAYLOAD_TOO_LARGE');
    });

    it.each([
      ['an empty file', async () => Buffer.alloc(0), /empty/],
      ['a whitespace-only file', async () => Buffer.from(' \n\t\r\n '), /no text/],
      ['a truncated PDF', async () => (await makePdf([{ paragraph: 'cut short' }])).subarray(0, 400), /PDF is corrupt/],
      ['a PDF without a text layer', makeTextlessPdf, /no text layer/],
      [
        // Keeps the entries that identify it as DOCX, loses the central directory a reader needs.
        'a truncated DOCX',
        async () => {
          const docx = makeDocx([{ text: 'x' }]);
          return docx.subarray(0, docx.length - 120);
        },
        /DOCX .*corrupt/,
      ],
      ['a DOCX without text', async () => makeDocx([]), /DOCX document contains no text/],
      ['an HTML page with nothing visible', async () => Buffer.from('<html><script>x()</script></html>'), /no visible/],
    ])('%s -> 422 saying what is wrong', async (_, make, detail) => {
      const res = await uploadFile(t, user, await make(), { filename: 'f' }).expect(422);
      expectProblem(res);
      expect(res.body).toMatchObject({ code: 'UNPROCESSABLE', detail: expect.stringMatching(detail) });
    });

    it.each([
      ['neither file nor content', {}, 'file'],
      ['a null content (null is "not given")', { content: null, title: 'x' }, 'file'],
      ['empty content', { content: '' }, 'content'],
      ['a non-string content', { content: 42 }, 'content'],
      ['a title over 300 characters', { title: 't'.repeat(301), content: 'x' }, 'title'],
      ['an unknown field', { content: 'x', owner: 'someone' }, 'owner'],
      ['a user_id (the owner is the caller, always)', { content: 'x', user_id: 'u' }, 'user_id'],
    ])('JSON with %s -> 400 naming the field', async (_, body, field) => {
      const res = await t.http.post('/api/documents').set(user.auth).send(body).expect(400);
      expectProblem(res);
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    });

    it('a file and content together -> 400', async () => {
      const res = await uploadFile(t, user, 'file text').field('content', 'and content').expect(400);
      expect(res.body.errors[0].field).toBe('content');
    });

    it('a file under another field name -> 400', async () => {
      const res = await t.http
        .post('/api/documents')
        .set(user.auth)
        .attach('document', Buffer.from('hello'), 'a.txt')
        .expect(400);
      expectProblem(res);
    });
  });

  describe('de-duplicates identical bytes per user', () => {
    it('returns the existing document with 200 instead of a copy', async () => {
      const bytes = Buffer.from(paragraphs(2, 4, 500).join('\n\n'));
      const first = await uploadFile(t, user, bytes, { filename: 'a.txt' }).expect(201);
      const again = await uploadFile(t, user, bytes, { filename: 'renamed.txt', title: 'Other' }).expect(200);
      expect(again.body).toEqual(first.body);
      const list: DocumentBody[] = (await t.http.get('/api/documents?limit=100').set(user.auth).expect(200)).body;
      expect(list.filter((d) => d.id === first.body.id)).toHaveLength(1);
    });

    it('applies to JSON content too', async () => {
      const first = await createDocument(t, user, 'The same JSON text twice.');
      const again = await t.http
        .post('/api/documents')
        .set(user.auth)
        .send({ title: 'x', content: 'The same JSON text twice.' });
      expect(again.status).toBe(200);
      expect(again.body.id).toBe(first.id);
    });

    it('settles concurrent identical uploads on one document', async () => {
      const bytes = Buffer.from('Concurrent upload body about narwhals and their tusks.');
      const results = await Promise.all(
        Array.from({ length: 4 }, () => uploadFile(t, user, bytes, { filename: 'c.txt' })),
      );
      expect(results.map((r) => r.status).sort()).toEqual([200, 200, 200, 201]);
      expect(new Set(results.map((r) => r.body.id)).size).toBe(1);
      const [{ n }] = await t.app
        .get(DataSource)
        .query(`SELECT count(*)::int AS n FROM documents WHERE id = $1`, [results[0].body.id]);
      expect(n).toBe(1);
    });
  });

  describe('list, get, delete', () => {
    let owner: TestUser;
    const created: DocumentBody[] = [];

    beforeAll(async () => {
      owner = await createUser(t);
      for (let i = 0; i < 5; i++)
        created.push(await createDocument(t, owner, `Document number ${i} body.`, `Doc ${i}`));
    });

    it('lists newest first with limit and offset (default 20)', async () => {
      const all: DocumentBody[] = (await t.http.get('/api/documents').set(owner.auth).expect(200)).body;
      expect(all.map((d) => d.title)).toEqual(['Doc 4', 'Doc 3', 'Doc 2', 'Doc 1', 'Doc 0']);
      expect(Object.keys(all[0]).sort()).toEqual(DOCUMENT_KEYS);
      // Field for field what the upload answered, created_at included (the list reads rows, not entities).
      expect(all).toEqual([...created].reverse());
      const page = (await t.http.get('/api/documents?limit=2&offset=1').set(owner.auth).expect(200)).body;
      expect(page.map((d: DocumentBody) => d.title)).toEqual(['Doc 3', 'Doc 2']);
      expect((await t.http.get('/api/documents?offset=5').set(owner.auth).expect(200)).body).toEqual([]);
    });

    it('orders by the stored timestamp, to the microsecond, on the index (not by its formatted text)', async () => {
      const other = await createUser(t);
      const [a, b] = [
        await createDocument(t, other, 'First of two.', 'A'),
        await createDocument(t, other, 'Second.', 'B'),
      ];
      // Within one millisecond, as the response formats it, with the id order against the time order: ordering by
      // the formatted text would tie and fall back to the ids.
      const [later, earlier] = a.id < b.id ? [a, b] : [b, a];
      const db = t.app.get(DataSource);
      await db.query(`UPDATE documents SET created_at = '2026-01-02 03:04:05.000900+00' WHERE id = $1`, [later.id]);
      await db.query(`UPDATE documents SET created_at = '2026-01-02 03:04:05.000100+00' WHERE id = $1`, [earlier.id]);
      const listed = (await t.http.get('/api/documents').set(other.auth).expect(200)).body as DocumentBody[];
      expect(listed.map((d) => d.id)).toEqual([later.id, earlier.id]);
      expect(listed[0].created_at).toBe('2026-01-02T03:04:05.000Z');

      const plan: Array<{ 'QUERY PLAN': string }> = await db.transaction(async (em) => {
        await em.query('SET LOCAL enable_seqscan = off');
        return em.query(`EXPLAIN ${LIST_OWNED.text}`, [other.id, 20, 0]);
      });
      const text = plan.map((r) => r['QUERY PLAN']).join('\n');
      expect(text).toContain('documents_user_created_idx');
      expect(text).not.toContain('to_char');
    });

    it.each(['limit=0', 'limit=101', 'limit=abc', 'limit=1.5', 'offset=-1', 'sort=title'])(
      'rejects ?%s with 400',
      async (query) => {
        const res = await t.http.get(`/api/documents?${query}`).set(owner.auth).expect(400);
        expect(res.body.code).toBe('VALIDATION_FAILED');
      },
    );

    it('gets one document in the same shape', async () => {
      const res = await t.http.get(`/api/documents/${created[0].id}`).set(owner.auth).expect(200);
      expect(res.body).toEqual(created[0]);
    });

    it('answers 400 for an id that is not a UUID and 404 for an unknown one', async () => {
      const bad = await t.http.get('/api/documents/not-a-uuid').set(owner.auth).expect(400);
      expect(bad.body.errors).toEqual([{ field: 'id', message: 'id must be a UUID' }]);
      await t.http.delete('/api/documents/123').set(owner.auth).expect(400);
      const missing = await t.http
        .get('/api/documents/6f1c1f7e-0000-4000-8000-000000000000')
        .set(owner.auth)
        .expect(404);
      expect(missing.body).toMatchObject({ code: 'NOT_FOUND', detail: 'Document not found' });
    });

    it('deletes with 204, taking the chunks with it', async () => {
      const doc = await createDocument(t, owner, 'A short-lived note about capybaras.', 'Ephemeral');
      expect((await search(t, owner, 'capybaras').expect(200)).body).toHaveLength(1);
      const res = await t.http.delete(`/api/documents/${doc.id}`).set(owner.auth).expect(204);
      expect(res.text).toBe('');
      await t.http.get(`/api/documents/${doc.id}`).set(owner.auth).expect(404);
      await t.http.delete(`/api/documents/${doc.id}`).set(owner.auth).expect(404);
      expect(await chunksOf(t, doc.id)).toEqual([]);
      expect((await search(t, owner, 'capybaras').expect(200)).body).toEqual([]);
    });

    it('may upload the same bytes again after deleting them', async () => {
      const doc = await createDocument(t, owner, 'Recyclable content.');
      await t.http.delete(`/api/documents/${doc.id}`).set(owner.auth).expect(204);
      const again = await createDocument(t, owner, 'Recyclable content.');
      expect(again.id).not.toBe(doc.id);
    });
  });
});
