import { monitorEventLoopDelay } from 'node:perf_hooks';
import { DataSource } from 'typeorm';
import { DocumentExtractor } from '../../src/documents/parsing/document-extractor.js';
import { ParserPool } from '../../src/documents/parsing/parser-pool.js';
import { prepareText, readTextDocument } from '../../src/documents/parsing/text-pipeline.js';
import { uploadFile } from '../fixtures/documents/documents.factory.js';
import { makePdf } from '../fixtures/documents/pdf.js';
import { paragraphs, textOfSize } from '../fixtures/documents/text.js';
import { createUser, type TestUser } from '../support/factories.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

const MiB = 1024 * 1024;
const mbps = (bytes: number, ms: number) => (bytes / MiB / (ms / 1000)).toFixed(2);
const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];

/**
 * Measures ingestion and search on this machine and prints the numbers (`npx jest test/e2e/documents-performance`).
 * The bounds asserted are loose on purpose: they catch a regression by an order of magnitude, not noise.
 */
describe('Documents: throughput, search latency, event-loop responsiveness (e2e, prints numbers)', () => {
  let t: TestApp;
  let user: TestUser;
  let bigPdf: Buffer;
  const report: string[] = [];

  beforeAll(async () => {
    t = await startTestApp();
    user = await createUser(t);
    // Warm-up: the first PDF loads pdf.js into a worker; measure steady state, as a running server would see it.
    await uploadFile(t, user, await makePdf([{ paragraph: 'warm up' }]), { filename: 'warm.pdf' }).expect(201);
    bigPdf = await makePdf(paragraphs(2000, 6, 50_000).map((p) => ({ paragraph: p })));
  }, 120_000);

  afterAll(async () => {
    console.log(`Documents performance (${t.db.kind}):\n  ${report.join('\n  ')}`);
    await t.close();
  });

  it('ingests plain text', async () => {
    const text = Buffer.from(textOfSize(4 * MiB));
    const started = performance.now();
    const res = await uploadFile(t, user, text, { filename: 'big.txt' }).expect(201);
    const ms = performance.now() - started;
    report.push(
      `text ingestion: ${(text.length / MiB).toFixed(1)} MiB, ${res.body.chunk_count} chunks in ${ms.toFixed(0)} ms ` +
        `= ${mbps(text.length, ms)} MB/s`,
    );
    expect(res.body.chunk_count).toBeGreaterThan(3000);
  }, 120_000);

  it('ingests PDF', async () => {
    const started = performance.now();
    const res = await uploadFile(t, user, bigPdf, { filename: 'big.pdf' }).expect(201);
    const ms = performance.now() - started;
    const [{ chars }] = await t.app
      .get(DataSource)
      .query(`SELECT text_length AS chars FROM documents WHERE id = $1`, [res.body.id]);
    report.push(
      `PDF ingestion: ${(bigPdf.length / MiB).toFixed(2)} MiB PDF (${(chars / MiB).toFixed(2)} M chars of text), ` +
        `${res.body.chunk_count} chunks in ${ms.toFixed(0)} ms = ${mbps(bigPdf.length, ms)} MB/s of PDF, ` +
        `${mbps(chars, ms)} MB/s of text`,
    );
    expect(res.body.mime_type).toBe('application/pdf');
  }, 120_000);

  it('parses a large PDF off the event loop (a worker thread): the loop stays responsive', async () => {
    const pool = t.app.get(ParserPool);
    const delay = monitorEventLoopDelay({ resolution: 5 });
    delay.enable();
    const started = performance.now();
    const parsed = await pool.parse({ kind: 'pdf', bytes: bigPdf });
    const parseMs = performance.now() - started;
    delay.disable();
    const maxLagMs = delay.max / 1e6;
    report.push(
      `PDF parse alone: ${(bigPdf.length / MiB).toFixed(2)} MiB in ${parseMs.toFixed(0)} ms ` +
        `(${mbps(bigPdf.length, parseMs)} MB/s), max event-loop delay meanwhile ${maxLagMs.toFixed(1)} ms`,
    );
    expect(parsed.text.length).toBeGreaterThan(100_000);
    expect(maxLagMs).toBeLessThan(Math.max(100, parseMs / 5));
  }, 120_000);

  it('decodes, normalizes and chunks a large text off the event loop, to the same passages', async () => {
    const bytes = Buffer.from(textOfSize(16 * MiB));
    const extractor = t.app.get(DocumentExtractor);
    await extractor.extract(Buffer.from(textOfSize(64 * 1024)));
    // The same work on this thread, timed: what the event loop would be held for if the worker were not used.
    let started = performance.now();
    const read = readTextDocument(bytes)!;
    const inline = prepareText(read.kind, read.text);
    const inlineMs = performance.now() - started;

    const delay = monitorEventLoopDelay({ resolution: 5 });
    delay.enable();
    started = performance.now();
    const extracted = await extractor.extract(bytes);
    const extractMs = performance.now() - started;
    delay.disable();
    const maxLagMs = delay.max / 1e6;
    report.push(
      `text extraction: ${(bytes.length / MiB).toFixed(0)} MiB, ${extracted.chunks.length} chunks in ` +
        `${extractMs.toFixed(0)} ms through the worker (max event-loop delay meanwhile ${maxLagMs.toFixed(1)} ms), ` +
        `${inlineMs.toFixed(0)} ms of work on this thread`,
    );
    expect(extracted.text).toBe(inline.text);
    expect(extracted.chunks.map(({ text: _text, ...span }) => span)).toEqual(inline.chunks);
    expect(extracted.chunks[7].text).toBe(inline.text.slice(inline.chunks[7].start, inline.chunks[7].end));
    expect(maxLagMs).toBeLessThan(inlineMs / 2);
  }, 120_000);

  it('keeps answering other requests while an upload is parsed', async () => {
    const pending = uploadFile(t, user, await makePdf(paragraphs(600, 6, 90_000).map((p) => ({ paragraph: p }))), {
      filename: 'other.pdf',
    });
    const upload = pending.then((r) => r);
    const latencies: number[] = [];
    let done = false;
    void upload.finally(() => (done = true));
    while (!done) {
      const started = performance.now();
      await t.http.get('/health').expect(200);
      latencies.push(performance.now() - started);
      await new Promise((r) => setTimeout(r, 20));
    }
    expect((await upload).status).toBe(201);
    const sorted = [...latencies].sort((a, b) => a - b);
    report.push(
      `GET /health during a PDF upload: ${latencies.length} requests, p50 ${percentile(sorted, 0.5).toFixed(1)} ms, ` +
        `max ${sorted.at(-1)!.toFixed(1)} ms (includes storing the chunks)`,
    );
    expect(latencies.length).toBeGreaterThan(3);
  }, 120_000);

  it('searches in milliseconds', async () => {
    const [{ n }] = await t.app
      .get(DataSource)
      .query(`SELECT count(*)::int AS n FROM document_chunks WHERE user_id = $1`, [user.id]);
    // The filler text cycles through eight topics, so a topic word occurs in nearly every chunk: "broad" queries
    // rank every chunk (the worst case); "selective" ones hit a handful, as most real queries do.
    const workloads = {
      selective: ['request 3507', 'paragraph note 4242', '"handles request 700"', 'note 1234 shipping', 'xylophone'],
      broad: ['shipping', 'warranty request', 'billing team handles', 'onboarding -billing', 'returns or invoices'],
    };
    for (const [name, queries] of Object.entries(workloads)) {
      const times: number[] = [];
      for (let round = 0; round < 20; round++) {
        for (const q of queries) {
          const started = performance.now();
          await t.http.get('/api/documents/search').set(user.auth).query({ q, limit: 10 }).expect(200);
          times.push(performance.now() - started);
        }
      }
      const sorted = [...times].sort((a, b) => a - b);
      report.push(
        `search, ${name} queries, over ${n} chunks (${times.length} HTTP round trips, limit 10): ` +
          `p50 ${percentile(sorted, 0.5).toFixed(1)} ms, p95 ${percentile(sorted, 0.95).toFixed(1)} ms`,
      );
      expect(percentile(sorted, 0.95)).toBeLessThan(name === 'selective' ? 500 : 2000);
    }
  }, 120_000);
});
