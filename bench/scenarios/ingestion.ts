import { makePdf } from '../../test/fixtures/documents/pdf.js';
import { createUsers, search, uploadFile, type BenchUser } from '../api-client.js';
import { Corpus, marker } from '../corpus.js';
import { info } from '../report.js';
import { mbPerSecond } from '../stats.js';
import type { Scenario } from './scenario.js';

interface Upload {
  bytes: Uint8Array;
  filename: string;
  contentType: string;
  /** A word only this document contains: found by search means the upload is searchable. */
  marker: string;
}

interface Ingested {
  bytes: number;
  chunks: number;
  elapsedMs: number;
}

/** Uploads one at a time; each is timed from the upload request until a search finds its marker word. */
async function ingest(appUrl: string, user: BenchUser, uploads: Upload[]): Promise<Ingested> {
  let bytes = 0;
  let chunks = 0;
  const started = performance.now();
  for (const u of uploads) {
    const doc = await uploadFile(appUrl, user, u.bytes, u.filename, u.contentType);
    const hits = await search(appUrl, user, u.marker, 1);
    if (hits[0]?.document_id !== doc.id) throw new Error(`${u.filename} was not searchable right after its upload`);
    bytes += u.bytes.length;
    chunks += doc.chunk_count;
  }
  return { bytes, chunks, elapsedMs: performance.now() - started };
}

let markers = 0;
const textUpload = (text: string, i: number): Upload => {
  const word = marker(markers++);
  return {
    bytes: Buffer.from(`${text}\n\n${word}\n`, 'utf8'),
    filename: `ingest-${i}.txt`,
    contentType: 'text/plain',
    marker: word,
  };
};

async function pdfUpload(paragraphs: string[], i: number): Promise<Upload & { textBytes: number }> {
  const word = marker(markers++);
  const blocks = [...paragraphs, word].map((paragraph) => ({ paragraph }));
  return {
    bytes: await makePdf(blocks, { title: `Ingest ${i}` }),
    filename: `ingest-${i}.pdf`,
    contentType: 'application/pdf',
    marker: word,
    textBytes: paragraphs.reduce((n, p) => n + p.length + 2, 0),
  };
}

/**
 * Upload-to-searchable throughput of plain text and of PDF through `POST /api/documents` (multipart), one document
 * at a time: parse (worker thread), chunk, index in one transaction, then find it. Documents are built before the
 * clock starts; PDFs with the test fixture's generator (pdf-lib, wrapped paragraphs, a text layer).
 */
export const ingestionScenario: Scenario = {
  name: 'ingestion',
  async run(ctx) {
    const { textDocs, textBytes, pdfDocs, pdfTextBytes } = ctx.options.sizes.ingestion;
    const [user] = await createUsers(ctx.app.url, 'ingestion', 1);
    const corpus = new Corpus(11);

    // Warm-up: the first PDF loads pdf.js into a parser worker; a running server has done that long ago.
    await ingest(ctx.app.url, user, [
      textUpload(corpus.text(5_000), -1),
      await pdfUpload(corpus.paragraphs(5_000), -1),
    ]);

    const texts = Array.from({ length: textDocs }, (_, i) => textUpload(corpus.text(textBytes), i));
    const text = await ingest(ctx.app.url, user, texts);

    const pdfs = [];
    for (let i = 0; i < pdfDocs; i++) pdfs.push(await pdfUpload(corpus.paragraphs(pdfTextBytes), i));
    const pdf = await ingest(ctx.app.url, user, pdfs);
    const pdfText = pdfs.reduce((n, p) => n + p.textBytes, 0);

    const mb = (bytes: number) => (bytes >= 1e6 ? `${(bytes / 1e6).toFixed(1)} MB` : `${Math.round(bytes / 1e3)} KB`);
    return [
      info(
        `text ingestion, upload to searchable (${textDocs} x ${mb(textBytes)})`,
        `${mbPerSecond(text.bytes, text.elapsedMs).toFixed(2)} MB/s (${Math.round(text.chunks / (text.elapsedMs / 1000))} chunks/s)`,
      ),
      info(
        `PDF ingestion, upload to searchable (${pdfDocs} x ${mb(pdf.bytes / pdfDocs)} PDF)`,
        `${mbPerSecond(pdf.bytes, pdf.elapsedMs).toFixed(2)} MB/s of PDF, ${mbPerSecond(pdfText, pdf.elapsedMs).toFixed(2)} MB/s of its text`,
      ),
    ];
  },
};
