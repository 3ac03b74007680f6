import { closeTimedGetConnections, createUsers, timedGet, uploadFile, type BenchUser } from '../api-client.js';
import { Corpus, searchQueries } from '../corpus.js';
import { check, info, type Row } from '../report.js';
import { summarize } from '../stats.js';
import type { BenchContext, Scenario } from './scenario.js';

const TARGET_P95_MS = 20;
/** First guess of text per passage (chunks are <= 1,200 chars with overlap); corrected after the first upload. */
const INITIAL_BYTES_PER_CHUNK = 1_000;

/**
 * Seeds the corpus through the upload API (multipart text files, one at a time; a JSON body is limited to 1 MiB,
 * too small for a 1,000-passage document) until at least `chunks` passages are stored.
 */
async function seed(ctx: BenchContext, user: BenchUser, chunks: number, documents: number) {
  const corpus = new Corpus(2024);
  const perDocument = Math.ceil(chunks / documents);
  let bytesPerChunk = INITIAL_BYTES_PER_CHUNK;
  let stored = 0;
  let bytes = 0;
  let docs = 0;
  const started = performance.now();
  while (stored < chunks) {
    if (docs >= documents * 2) throw new Error(`seeding stalled at ${stored} chunks after ${docs} documents`);
    const wanted = Math.min(perDocument, chunks - stored);
    const text = Buffer.from(corpus.text(Math.ceil(wanted * bytesPerChunk)), 'utf8');
    const doc = await uploadFile(ctx.app.url, user, text, `corpus-${docs}.txt`, 'text/plain');
    stored += doc.chunk_count;
    bytes += text.length;
    docs++;
    bytesPerChunk = bytes / stored;
  }
  return { stored, docs, seconds: (performance.now() - started) / 1000 };
}

/**
 * Full-text search latency over a large corpus: 40+ queries (common words that match most passages, rare words,
 * AND, phrases, `or`, exclusion) in rotation, one at a time, each timed on a kept-alive connection.
 */
export const searchScenario: Scenario = {
  name: 'search',
  async run(ctx) {
    const { chunks, documents, rounds, budgetS } = ctx.options.sizes.search;
    const [user] = await createUsers(ctx.app.url, 'search', 1);
    const seeded = await seed(ctx, user, chunks, documents);
    const queries = searchQueries();
    const headers = { authorization: `Bearer ${user.token}` };
    const url = (q: string) => `${ctx.app.url}/api/documents/search?${new URLSearchParams({ q })}`;

    for (const q of queries) await timedGet(url(q), headers);
    const all: number[] = [];
    const perQuery = new Map<string, number[]>();
    // Whole rounds only, so every query weighs the same in the percentiles whatever the time budget allows.
    const deadline = performance.now() + budgetS * 1000;
    let round = 0;
    try {
      for (; round < rounds && (round === 0 || performance.now() < deadline); round++) {
        for (const q of queries) {
          const { status, ms } = await timedGet(url(q), headers);
          if (status !== 200) throw new Error(`search for ${JSON.stringify(q)} answered ${status}`);
          all.push(ms);
          const samples = perQuery.get(q) ?? [];
          samples.push(ms);
          perQuery.set(q, samples);
        }
      }
    } finally {
      closeTimedGetConnections();
    }
    const s = summarize(all);
    const slowest = [...perQuery.entries()]
      .map(([q, samples]) => ({ q, p50: summarize(samples).p50 }))
      .sort((a, b) => b.p50 - a.p50)
      .slice(0, 3)
      .map(({ q, p50 }) => `${q} ${p50.toFixed(1)} ms`)
      .join('; ');
    const label = `search p95, ${seeded.stored.toLocaleString('en-US')} chunks, ${queries.length} queries x${round}`;
    const measured = `${s.p95.toFixed(1)} ms (p50 ${s.p50.toFixed(1)}, p99 ${s.p99.toFixed(1)})`;
    const rows: Row[] = [
      info(
        'search corpus seeded through POST /api/documents',
        `${seeded.stored} chunks in ${seeded.docs} documents, ${seeded.seconds.toFixed(1)} s`,
      ),
      // The issue sets the bound on PostgreSQL; on embedded PGlite the figure is reported, not judged.
      ctx.database === 'postgres'
        ? check(label, `<= ${TARGET_P95_MS} ms`, measured, s.p95 <= TARGET_P95_MS)
        : info(`${label} (PGlite; target is for PostgreSQL)`, measured),
      info('slowest queries (p50)', slowest),
    ];
    return rows;
  },
};
