import type { Response } from 'supertest';
import { uploadFile } from '../fixtures/documents/documents.factory.js';
import { makePdfWithStreams, textOperators } from '../fixtures/documents/pdf.js';
import { createUser, type TestUser } from '../support/factories.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

/** PDFs that keep a parser busy for seconds each: hundreds of thousands of text operators, under the limit. */
async function heavyPdfs(count: number): Promise<Buffer[]> {
  return Promise.all(
    Array.from({ length: count }, async (_, i) =>
      makePdfWithStreams([{ deflated: await textOperators(300_000 + i * 1000) }]),
    ),
  );
}

/** Resolves with the response and the time it arrived. */
const timed = (req: PromiseLike<Response>) => Promise.resolve(req).then((res) => ({ res, at: performance.now() }));

/**
 * One user's heavy files must not starve another user's upload of the parser pool (SECURITY.md, "Hostile
 * documents"): each user's uploads wait in their own queue, served in turn, with at most PARSER_JOBS_PER_USER
 * running, and a user whose queue is full gets 429 without anyone else being refused.
 */
describe('Security: a fair share of the parser pool for every user (e2e)', () => {
  let t: TestApp;
  let mallory: TestUser;
  let alice: TestUser;

  beforeAll(async () => {
    t = await startTestApp({ env: { PARSER_QUEUE_PER_USER: '4' } });
    [mallory, alice] = [await createUser(t), await createUser(t)];
  }, 60_000);
  afterAll(() => t.close());

  it("another user's small upload is parsed while one user's heavy files wait their turn", async () => {
    // More files than the largest pool (4 workers) has workers, so that without a fair share Alice would wait.
    const pdfs = await heavyPdfs(5);
    const heavy = pdfs.map((pdf, i) => timed(uploadFile(t, mallory, pdf, { filename: `heavy-${i}.pdf` })));
    await new Promise((resolve) => setTimeout(resolve, 300)); // Mallory's files are in before Alice's
    const small = await timed(uploadFile(t, alice, 'Minutes of the Tuesday meeting.', { filename: 'm.txt' }));
    const done = await Promise.all(heavy);
    expect(small.res.status).toBe(201);
    expect(done.map((d) => d.res.status)).toEqual([201, 201, 201, 201, 201]);
    // However many workers the machine has, Mallory holds one: Alice's file was done before Mallory's second.
    const finished = done.map((d) => d.at).sort((a, b) => a - b);
    expect(small.at).toBeLessThan(finished[1]);
  }, 120_000);

  it('a user with PARSER_QUEUE_PER_USER uploads waiting gets 429 with Retry-After; nobody else is refused', async () => {
    const pdfs = await heavyPdfs(6);
    // One running and four waiting fill Mallory's share; the sixth is refused.
    const heavy = pdfs.map((pdf, i) => uploadFile(t, mallory, pdf, { filename: `more-${i}.pdf` }).then((r) => r));
    await new Promise((resolve) => setTimeout(resolve, 300));
    const other = await uploadFile(t, alice, 'Agenda for Thursday.', { filename: 'a.txt' });
    const results = await Promise.all(heavy);
    expect(other.status).toBe(201);
    const refused = results.filter((r) => r.status === 429);
    expect(refused).toHaveLength(1);
    expect(refused[0].headers['retry-after']).toBe('5');
    expect(refused[0].body).toMatchObject({
      code: 'RATE_LIMITED',
      detail: 'You already have 4 uploads waiting to be parsed; retry when one has finished',
    });
    expect(results.filter((r) => r.status === 201)).toHaveLength(5);
  }, 120_000);

  it('a client that hangs up while its file is parsed gets its parser back at once', async () => {
    const long = await makePdfWithStreams([{ deflated: await textOperators(900_000) }]);
    const req = uploadFile(t, mallory, long, { filename: 'abandoned.pdf' });
    const abandoned = new Promise<void>((resolve) => {
      req.on('abort', () => resolve());
      setTimeout(() => void req.abort(), 500);
    });
    req.end(() => undefined);
    await abandoned;
    // Mallory may run one parse at a time: hers starts now, not when the abandoned one would have finished.
    const started = performance.now();
    await uploadFile(t, mallory, 'A short note after hanging up.', { filename: 'n.txt' }).expect(201);
    expect(performance.now() - started).toBeLessThan(1500);
  }, 60_000);
});
