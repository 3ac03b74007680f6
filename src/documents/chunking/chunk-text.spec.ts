import { ChunkLimitExceeded, chunkText, DEFAULT_CHUNK_OPTIONS, type TextChunk } from './chunk-text.js';

const sentence = (i: number) => `Sentence number ${i} talks about topic ${i % 7} in a calm and measured way. `;
const paragraph = (from: number, count: number) =>
  Array.from({ length: count }, (_, k) => sentence(from + k))
    .join('')
    .trim();

/** Invariants every chunking must keep, whatever the input. */
function expectWellFormed(source: string, chunks: TextChunk[], maxChars = DEFAULT_CHUNK_OPTIONS.maxChars) {
  chunks.forEach((c, i) => {
    expect(c.ordinal).toBe(i);
    expect(c.text).toBe(source.slice(c.start, c.end));
    expect(c.text.length).toBeGreaterThan(0);
    expect(c.text.length).toBeLessThanOrEqual(maxChars);
    expect(c.text).toBe(c.text.trim());
  });
  // Coverage: every non-whitespace character of the source is inside some chunk.
  const covered = new Uint8Array(source.length);
  for (const c of chunks) covered.fill(1, c.start, c.end);
  for (let i = 0; i < source.length; i++) if (!covered[i]) expect(source[i]).toMatch(/\s/);
}

describe('chunkText', () => {
  it('keeps a short text as one chunk with exact, trimmed offsets', () => {
    const source = '\n\n  Hello world.  \n';
    const chunks = chunkText(source);
    expect(chunks).toEqual([{ ordinal: 0, text: 'Hello world.', start: 4, end: 16, headingPath: [] }]);
  });

  it('returns nothing for empty or whitespace-only text', () => {
    expect(chunkText('')).toEqual([]);
    expect(chunkText(' \n\t\n ')).toEqual([]);
  });

  it('splits long text at paragraph breaks, within bounds, with overlap between neighbours', () => {
    const paragraphs = Array.from({ length: 12 }, (_, p) => paragraph(p * 6, 6));
    const source = paragraphs.join('\n\n');
    const chunks = chunkText(source);
    expectWellFormed(source, chunks);
    expect(chunks.length).toBeGreaterThan(3);
    for (let i = 1; i < chunks.length; i++) {
      // Each chunk ends at a paragraph end (the last at the text end)…
      expect(source.slice(chunks[i - 1].end, chunks[i - 1].end + 2)).toBe('\n\n');
      // …and the next one starts inside it, at a sentence start, repeating at most overlapChars.
      expect(chunks[i].start).toBeLessThan(chunks[i - 1].end);
      expect(chunks[i - 1].end - chunks[i].start).toBeLessThanOrEqual(DEFAULT_CHUNK_OPTIONS.overlapChars);
      expect(chunks[i].text).toMatch(/^Sentence number \d+/);
    }
  });

  it('falls back to sentence ends inside a paragraph longer than the limit', () => {
    const source = paragraph(0, 60);
    const chunks = chunkText(source);
    expectWellFormed(source, chunks);
    expect(chunks.length).toBeGreaterThan(2);
    for (const c of chunks.slice(0, -1)) expect(c.text).toMatch(/\.$/);
  });

  it('cuts hard, inside bounds, through text with no boundaries, without splitting surrogate pairs', () => {
    const source = '😀'.repeat(2000) + 'x'.repeat(1000);
    const chunks = chunkText(source);
    expectWellFormed(source, chunks);
    for (const c of chunks) {
      expect(/[\uD800-\uDBFF]$/.test(c.text)).toBe(false);
      expect(/^[\uDC00-\uDFFF]/.test(c.text)).toBe(false);
    }
  });

  describe('Markdown structure', () => {
    // Three sentences, ~225 characters: long enough (minSectionChars) for a section to stay a passage of its own.
    const body = (from: number) => paragraph(from, 3);
    const doc = [
      '# Guide',
      '',
      '## Install',
      '',
      body(0),
      '',
      '### Linux',
      '',
      body(10),
      '',
      '## Usage',
      '',
      body(20),
      '',
      '```sh',
      '# not a heading, a shell comment',
      'run --now',
      '```',
      '',
      'After the code.',
      '',
      '# Appendix',
      '',
      body(30),
    ].join('\n');

    it('starts a chunk at every heading and records the heading path', () => {
      const chunks = chunkText(doc, { markdown: true });
      expectWellFormed(doc, chunks);
      expect(chunks.map((c) => c.headingPath)).toEqual([
        ['Guide', 'Install'],
        ['Guide', 'Install', 'Linux'],
        ['Guide', 'Usage'],
        ['Appendix'],
      ]);
      // An empty parent heading is folded into its first child rather than becoming a chunk of its own.
      expect(chunks[0].text).toBe(`# Guide\n\n## Install\n\n${body(0)}`);
      expect(chunks[1].text).toBe(`### Linux\n\n${body(10)}`);
    });

    it('ignores # lines inside fenced code', () => {
      const usage = chunkText(doc, { markdown: true })[2];
      expect(usage.text).toContain('# not a heading, a shell comment');
      expect(usage.text).toContain('After the code.');
    });

    it('never lets a chunk cross a heading, even when sections are long', () => {
      const long = `# A\n\n${paragraph(0, 30)}\n\n# B\n\n${paragraph(100, 30)}`;
      const chunks = chunkText(long, { markdown: true });
      expectWellFormed(long, chunks);
      const boundary = long.indexOf('# B');
      for (const c of chunks) expect(c.start >= boundary || c.end <= boundary).toBe(true);
      expect(chunks.filter((c) => c.headingPath[0] === 'A').length).toBeGreaterThan(1);
      expect(chunks.at(-1)!.headingPath).toEqual(['B']);
    });

    it('pops deeper headings when a shallower one follows', () => {
      const source = `# A\n\n${body(0)}\n\n### Deep\n\n${body(10)}\n\n## B\n\n${body(20)}`;
      const chunks = chunkText(source, { markdown: true });
      expect(chunks.map((c) => c.headingPath)).toEqual([['A'], ['A', 'Deep'], ['A', 'B']]);
    });

    it('merges sections shorter than minSectionChars into passages of at least that size', () => {
      const glossary = Array.from({ length: 40 }, (_, i) => `## Term ${i}\n\nTerm ${i} means thing ${i}.`);
      const source = `# Glossary\n\n${glossary.join('\n\n')}`;
      const chunks = chunkText(source, { markdown: true });
      expectWellFormed(source, chunks);
      expect(chunks.length).toBeLessThan(10);
      for (const c of chunks) expect(c.text.length).toBeGreaterThanOrEqual(DEFAULT_CHUNK_OPTIONS.minSectionChars);
      // A merged passage keeps the headings its sections share, and every heading line stays in some passage.
      expect(chunks.every((c) => c.headingPath.join('/') === 'Glossary')).toBe(true);
      for (let i = 0; i < 40; i++) expect(chunks.some((c) => c.text.includes(`## Term ${i}\n`))).toBe(true);
    });

    it('does not turn a file of one heading per line into one passage per line', () => {
      const source = Array.from({ length: 20_000 }, (_, i) => `# h${i}`).join('\n');
      const chunks = chunkText(source, { markdown: true });
      expectWellFormed(source, chunks);
      expect(chunks.length).toBeLessThanOrEqual(Math.ceil(source.length / DEFAULT_CHUNK_OPTIONS.minSectionChars));
    });

    it('joins a short section to the one before it when a long one follows it', () => {
      const long = paragraph(100, 30); // longer than one chunk: nothing can join it
      const source = `# A\n\n${body(0)}\n\n# Short\n\nOne line.\n\n# Long\n\n${long}`;
      const chunks = chunkText(source, { markdown: true });
      expectWellFormed(source, chunks);
      expect(chunks[0]).toMatchObject({ headingPath: [], text: `# A\n\n${body(0)}\n\n# Short\n\nOne line.` });
      expect(chunks.slice(1).every((c) => c.headingPath[0] === 'Long')).toBe(true);
    });

    it('treats # lines as text when the document is not Markdown', () => {
      const chunks = chunkText('# not a heading\n\nbody', { markdown: false });
      expect(chunks).toHaveLength(1);
      expect(chunks[0].headingPath).toEqual([]);
    });
  });

  it('stops with ChunkLimitExceeded as soon as the text makes more than maxChunks passages', () => {
    const source = paragraph(0, 200);
    const all = chunkText(source);
    expect(chunkText(source, { maxChunks: all.length })).toEqual(all);
    expect(() => chunkText(source, { maxChunks: all.length - 1 })).toThrow(ChunkLimitExceeded);
    expect(() => chunkText(source, { maxChunks: 3 })).toThrow('more than 3 passages');
  });

  it('honours custom bounds and rejects inconsistent ones', () => {
    const source = paragraph(0, 40);
    const chunks = chunkText(source, { maxChars: 300, minChars: 120, overlapChars: 40 });
    expectWellFormed(source, chunks, 300);
    expect(() => chunkText(source, { minChars: 100, overlapChars: 100 })).toThrow(RangeError);
  });

  it('chunks a few megabytes quickly (it runs on the event loop)', () => {
    const source = Array.from({ length: 3000 }, (_, p) => `## Part ${p}\n\n${paragraph(p, 20)}`).join('\n\n');
    const started = performance.now();
    const chunks = chunkText(source, { markdown: true });
    const ms = performance.now() - started;
    expect(source.length).toBeGreaterThan(3_000_000);
    expect(chunks.length).toBeGreaterThanOrEqual(6000);
    expect(ms).toBeLessThan(2000);
  });
});
