import { makeDocx } from '../fixtures/documents/docx.js';
import { uploadFile } from '../fixtures/documents/documents.factory.js';
import {
  deflateRepeated,
  makePdf,
  makePdfPages,
  makePdfWithStreams,
  textOperators,
} from '../fixtures/documents/pdf.js';
import { createUser, type TestUser } from '../support/factories.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

const MiB = 1024 * 1024;
const spaces = (mib: number) => deflateRepeated(' '.repeat(64 * 1024), mib * 16);

/**
 * Decompression bombs and structure floods in uploads (SECURITY.md, "Hostile documents"). The limits are lowered in
 * each app so that small bombs cross them; every refusal names the limit it hit, and the server goes on parsing
 * other users' files.
 */
describe('Security: hostile documents are refused at the parsing limits (e2e)', () => {
  describe('decompressed size: per DOCX part or PDF stream, and per document', () => {
    let t: TestApp;
    let mallory: TestUser;
    let alice: TestUser;

    beforeAll(async () => {
      t = await startTestApp({ env: { PARSER_MAX_PART_MB: '4', PARSER_MAX_EXPANDED_MB: '8' } });
      [mallory, alice] = [await createUser(t), await createUser(t)];
    }, 60_000);
    afterAll(() => t.close());

    it('a DOCX whose document part expands past the part limit: 413, before mammoth reads it', async () => {
      const docx = makeDocx([{ text: 'Zip bomb.' }], { padding: 24 * MiB });
      expect(docx.length).toBeLessThan(100 * 1024);
      const res = await uploadFile(t, mallory, docx, { filename: 'bomb.docx' }).expect(413);
      expect(res.body).toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
      expect(res.body.detail).toBe(
        'The DOCX file is too large once decompressed: its part word/document.xml is more than 4 MiB ' +
          '(the limit for one part)',
      );
    });

    it('a DOCX that claims a small part but inflates past it: refused while inflating, never fully expanded', async () => {
      const docx = makeDocx([{ text: 'Lying zip.' }], { padding: 24 * MiB, declaredSize: 1000 });
      const res = await uploadFile(t, mallory, docx, { filename: 'liar.docx' }).expect(422);
      expect(res.body.detail).toBe(
        'The DOCX file is corrupt: its part word/document.xml does not match the size the archive declares for it',
      );
    });

    it('a DOCX whose parts are each under the part limit but together over the document limit: 413', async () => {
      const filler = Buffer.alloc(3 * MiB, ' ');
      const docx = makeDocx([{ text: 'Many parts.' }], {
        extraParts: { 'word/media/a.bin': filler, 'word/media/b.bin': filler, 'word/media/c.bin': filler },
      });
      const res = await uploadFile(t, mallory, docx, { filename: 'parts.docx' }).expect(413);
      expect(res.body.detail).toBe(
        'The DOCX file is too large once decompressed: its parts come to more than 8 MiB (the limit for one document)',
      );
    });

    it('a PDF with a Flate stream that expands past the stream limit: 413', async () => {
      const pdf = await makePdfWithStreams([{ deflated: await spaces(24) }]);
      expect(pdf.length).toBeLessThan(100 * 1024);
      const res = await uploadFile(t, mallory, pdf, { filename: 'bomb.pdf' }).expect(413);
      expect(res.body.detail).toBe(
        'The PDF is too large once decompressed: one of its streams is more than 4 MiB (the limit for one stream)',
      );
    });

    it('a PDF whose streams are each under the stream limit but together over the document limit: 413', async () => {
      const three = await spaces(3);
      const pdf = await makePdfWithStreams([{ deflated: three }, { deflated: three }, { deflated: three }]);
      const res = await uploadFile(t, mallory, pdf, { filename: 'streams.pdf' }).expect(413);
      expect(res.body.detail).toBe(
        'The PDF is too large once decompressed: its streams come to more than 8 MiB (the limit for one document)',
      );
    });

    it('files under the limits are read as before, for the attacker and for everyone else', async () => {
      const pdf = await makePdfWithStreams([{ deflated: await spaces(3) }]);
      await uploadFile(t, mallory, pdf, { filename: 'fine.pdf' }).expect(201);
      const docx = makeDocx([{ heading: 1, text: 'Minutes' }, { text: 'The board met on Tuesday.' }], {
        padding: 3 * MiB,
      });
      await uploadFile(t, alice, docx, { filename: 'minutes.docx' }).expect(201);
    });
  });

  describe("a worker's memory outside its JS heap (ArrayBuffers)", () => {
    let t: TestApp;

    beforeAll(async () => {
      // The decompressed-size limits are out of the way: only the memory limit stands.
      t = await startTestApp({
        env: { PARSER_WORKER_MEMORY_MB: '64', PARSER_MAX_PART_MB: '4096', PARSER_MAX_EXPANDED_MB: '16384' },
      });
    }, 60_000);
    afterAll(() => t.close());

    it('ends a worker whose decoded PDF stream passes the memory limit: 413, and the next upload is parsed', async () => {
      const [mallory, alice] = [await createUser(t), await createUser(t)];
      // Behind [/ASCIIHexDecode /FlateDecode] the stream is not checked before pdf.js decodes it (into ArrayBuffers,
      // which the heap limit never counted): 256 MiB of spaces from 250 KB of file.
      const pdf = await makePdfWithStreams([{ deflated: await spaces(256), hex: true }]);
      expect(pdf.length).toBeLessThan(MiB);
      const res = await uploadFile(t, mallory, pdf, { filename: 'hex-bomb.pdf' }).expect(413);
      expect(res.body.detail).toMatch(/^The document needs more than 64 MiB of memory to parse \(the limit for one/);
      const ok = await uploadFile(t, alice, await makePdf([{ paragraph: 'Quarterly numbers, unchanged.' }]), {
        filename: 'report.pdf',
      }).expect(201);
      expect(ok.body.mime_type).toBe('application/pdf');
    }, 60_000);
  });

  describe('structure: PDF pages and text operators, HTML nesting', () => {
    let t: TestApp;
    let mallory: TestUser;

    beforeAll(async () => {
      t = await startTestApp({
        env: { PARSER_MAX_PDF_PAGES: '3', PARSER_MAX_PDF_TEXT_OPERATORS: '5000', PARSER_MAX_HTML_DEPTH: '64' },
      });
      mallory = await createUser(t);
    }, 60_000);
    afterAll(() => t.close());

    it('a PDF with more pages than the limit: 413 before any page is read', async () => {
      await uploadFile(t, mallory, await makePdfPages(3), { filename: 'three.pdf' }).expect(201);
      const res = await uploadFile(t, mallory, await makePdfPages(4), { filename: 'four.pdf' }).expect(413);
      expect(res.body.detail).toBe('The PDF has 4 pages; at most 3 are read (the limit for one document)');
    });

    it('a PDF with more text operators than the limit: 413 before pdf.js walks them', async () => {
      await uploadFile(t, mallory, await makePdfWithStreams([{ deflated: await textOperators(4000) }]), {
        filename: 'some-ops.pdf',
      }).expect(201);
      const pdf = await makePdfWithStreams([{ deflated: await textOperators(6000) }]);
      const res = await uploadFile(t, mallory, pdf, { filename: 'ops.pdf' }).expect(413);
      expect(res.body.detail).toBe('The PDF has more than 5,000 text operators (the limit for one document)');
    });

    it('HTML nesting elements deeper than the limit (unclosed, as a bomb would): 413', async () => {
      const page = (depth: number) => `<!doctype html><html><body>${'<div>'.repeat(depth)}deep text</body></html>`;
      // html and body count: 62 divs make 64 open elements.
      await uploadFile(t, mallory, page(62), { filename: 'ok.html' }).expect(201);
      const res = await uploadFile(t, mallory, page(63), { filename: 'deep.html' }).expect(413);
      expect(res.body.detail).toBe('The HTML nests elements more than 64 deep (the limit for one document)');
      // Closed elements do not count once closed.
      const wide = `<!doctype html><html><body>${'<p>para</p>'.repeat(1000)}</body></html>`;
      await uploadFile(t, mallory, wide, { filename: 'wide.html' }).expect(201);
    });
  });
});
