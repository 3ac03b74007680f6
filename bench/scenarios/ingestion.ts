import { makePdf } from '../../test/fixtures/documents/pdf.js';
import { createUsers, search, uploadFile, type BenchUser } from '../api-client.js';
import { Corpus, marker } from '../corpus.js';
import { info } from '../report.js';
import { openStream, type StreamResult } from '../sse-client.js';
import { sleep, mbPerSecond, ms } from '../stats.js';
import { appTarget, directTarget, promptFor } from '../stream-targets.js';
import type { BenchContext, Scenario } from './scenario.js';

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

/** The largest gap between two token frames that overlaps [from, to], and the largest outside it. */
function largestGaps(r: StreamResult, from: number, to: number): { during: number; outside: number } {
  let during = 0;
  let outside = 0;
  for (let i = 1; i < r.tokenTimes.length; i++) {
    const [a, b] = [r.tokenTimes[i - 1], r.tokenTimes[i]];
    if (b >= from && a <= to) during = Math.max(during, b - a);
    else outside = Math.max(outside, b - a);
  }
  return { during, outside };
}

// Long enough to outlast any upload here; the streams are cut once the upload is done.
const HELD_STREAM = promptFor({ count: 1_500, delayMs: 20 });

/**
 * One chat stream on the app, and one straight from the model beside it, while a text document is uploaded and
 * indexed: how long the upload holds an open stream's frames (the work an upload does on the app's event loop).
 */
async function streamsDuringUpload(ctx: BenchContext, user: BenchUser, upload: Upload) {
  const stop = new AbortController();
  const opened: Promise<void>[] = [];
  const streams = [appTarget(ctx.app.url, user.token, HELD_STREAM), directTarget(ctx.llm.url, HELD_STREAM)].map(
    (target) => {
      let onOpen!: () => void;
      opened.push(new Promise<void>((resolve) => (onOpen = resolve)));
      return openStream(target, { timeoutMs: 60_000, signal: stop.signal, onOpen });
    },
  );
  await Promise.race([Promise.all(opened), Promise.all(streams)]);
  await sleep(500);
  const from = performance.now();
  await ingest(ctx.app.url, user, [upload]);
  const to = performance.now();
  await sleep(500);
  stop.abort();
  const [app, direct] = await Promise.all(streams);
  for (const r of [app, direct]) {
    if (r.status !== 200 || !r.tokenTimes.length || r.tokenTimes.at(-1)! < to) {
      throw new Error(`a held stream did not run through the upload (status ${r.status}, ${r.error ?? 'no error'})`);
    }
  }
  return { uploadMs: to - from, app: largestGaps(app, from, to), direct: largestGaps(direct, from, to) };
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

    const held = await streamsDuringUpload(ctx, user, textUpload(corpus.text(textBytes), textDocs));

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
        `largest gap between frames of a chat stream during one ${mb(textBytes)} text upload (${ms(held.uploadMs, 0)})`,
        `app ${ms(held.app.during)}, straight from the model ${ms(held.direct.during)} ` +
          `(the same streams outside the upload: ${ms(held.app.outside)}, ${ms(held.direct.outside)})`,
      ),
      info(
        `PDF ingestion, upload to searchable (${pdfDocs} x ${mb(pdf.bytes / pdfDocs)} PDF)`,
        `${mbPerSecond(pdf.bytes, pdf.elapsedMs).toFixed(2)} MB/s of PDF, ${mbPerSecond(pdfText, pdf.elapsedMs).toFixed(2)} MB/s of its text`,
      ),
    ];
  },
};
