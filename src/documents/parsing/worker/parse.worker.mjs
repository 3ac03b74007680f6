// Worker-thread entry for CPU-heavy parsing (PDF, DOCX, HTML), so a large upload never blocks the event loop.
// Plain ESM JavaScript on purpose: a Worker loads this file directly with Node, both from dist/ and under Jest
// (which cannot hand a Worker a TypeScript file), and the parser libraries it imports are ESM.
import { parentPort } from 'node:worker_threads';
import { ParseFailure } from './parse-failure.mjs';

// Loaded on first use, so a worker that only ever sees HTML never pays for pdf.js.
const extractors = {
  pdf: async (job) => (await import('./extract-pdf.mjs')).extractPdf(job.bytes),
  docx: async (job) => (await import('./extract-docx.mjs')).extractDocx(job.bytes),
  html: async (job) => (await import('./html-to-markdown.mjs')).htmlToMarkdown(job.html),
};

parentPort.on('message', async (job) => {
  try {
    const extract = extractors[job.kind];
    if (!extract) throw new Error(`unknown parse job kind: ${job.kind}`);
    const { text, title } = await extract(job);
    parentPort.postMessage({ id: job.id, ok: true, text, title });
  } catch (err) {
    const reason = err instanceof ParseFailure ? err.reason : 'CORRUPT';
    const message = err instanceof Error ? err.message : String(err);
    parentPort.postMessage({ id: job.id, ok: false, reason, message });
  }
});
