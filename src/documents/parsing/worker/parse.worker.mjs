// Worker-thread entry for the CPU-heavy part of every upload: parsing PDF, DOCX and HTML, decoding text, and
// normalizing and chunking the result, so a large upload never blocks the event loop.
// Plain ESM JavaScript on purpose: a Worker loads this file directly with Node, both from dist/ and under Jest
// (which cannot hand a Worker a TypeScript file), and the parser libraries it imports are ESM.
import { parentPort } from 'node:worker_threads';
import { loadTextPipeline } from './load-text-pipeline.mjs';
import { ParseFailure } from './parse-failure.mjs';

const { prepareText, readTextDocument } = loadTextPipeline();

// Loaded on first use, so a worker that only ever sees text never pays for pdf.js.
const extractors = {
  pdf: async (job) => ({ kind: 'pdf', ...(await (await import('./extract-pdf.mjs')).extractPdf(job.bytes)) }),
  docx: async (job) => ({ kind: 'docx', ...(await (await import('./extract-docx.mjs')).extractDocx(job.bytes)) }),
  text: async (job) => {
    const read = readTextDocument(job.bytes, job.declaredMime);
    if (!read) throw new ParseFailure('UNSUPPORTED', 'unrecognised binary content');
    if (read.kind !== 'html') return read;
    return { kind: 'html', ...(await import('./html-to-markdown.mjs')).htmlToMarkdown(read.text) };
  },
};

parentPort.on('message', async (job) => {
  try {
    const extract = extractors[job.kind];
    if (!extract) throw new Error(`unknown parse job kind: ${job.kind}`);
    const { kind, text, title } = await extract(job);
    parentPort.postMessage({ id: job.id, ok: true, ...prepareText(kind, text, title) });
  } catch (err) {
    const reason = err instanceof ParseFailure ? err.reason : 'CORRUPT';
    const message = err instanceof Error ? err.message : String(err);
    parentPort.postMessage({ id: job.id, ok: false, reason, message });
  }
});
