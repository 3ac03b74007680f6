// The parser pool's task (piscina runs the default export in a worker thread): the CPU-heavy part of every upload,
// parsing PDF, DOCX and HTML, decoding text, normalizing and chunking, so a large upload never blocks the event loop.
// Plain ESM JavaScript: piscina loads it with Node's own loader, and the parser libraries it imports are ESM. The
// shared text pipeline is TypeScript, compiled beside this folder in dist/ (tests load it through test/support).
import { ChunkLimitExceeded, prepareText, readTextDocument } from '../text-pipeline.js';
import { watchMemory } from './memory-watch.mjs';
import { ParseFailure } from './parse-failure.mjs';

// Loaded on first use, so a worker that only ever sees text never pays for pdf.js.
const extractors = {
  pdf: async (job, limits) => ({
    kind: 'pdf',
    ...(await (await import('./extract-pdf.mjs')).extractPdf(job.bytes, limits)),
  }),
  docx: async (job, limits) => ({
    kind: 'docx',
    ...(await (await import('./extract-docx.mjs')).extractDocx(job.bytes, limits)),
  }),
  text: async (job, limits) => {
    const read = readTextDocument(job.bytes, job.declaredMime);
    if (!read) throw new ParseFailure('UNSUPPORTED', 'unrecognised binary content');
    if (read.kind !== 'html') return read;
    return { kind: 'html', ...(await import('./html-to-markdown.mjs')).htmlToMarkdown(read.text, limits) };
  },
};

function failure(err) {
  if (err instanceof ParseFailure) return { ok: false, reason: err.reason, message: err.message };
  if (err instanceof ChunkLimitExceeded) {
    return {
      ok: false,
      reason: 'TOO_LARGE',
      message:
        `The document makes more than ${err.maxChunks.toLocaleString('en-US')} passages ` +
        '(the limit for one document)',
    };
  }
  return { ok: false, reason: 'CORRUPT', message: err instanceof Error ? err.message : String(err) };
}

/** @param {import('../parse-job').ParseTask} task @returns {Promise<import('../parse-job').ParseReply>} */
export default async function parse({ job, limits, port }) {
  const stopWatching = watchMemory(port, limits.memoryBytes);
  try {
    const extract = extractors[job.kind];
    if (!extract) throw new Error(`unknown parse job kind: ${job.kind}`);
    const { kind, text, title } = await extract(job, limits);
    return { ok: true, ...prepareText(kind, text, title, limits.maxPassages) };
  } catch (err) {
    return failure(err);
  } finally {
    stopWatching();
    port.close();
  }
}
