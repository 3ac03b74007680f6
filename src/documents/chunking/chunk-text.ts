import { mergeSmallSections, splitSections } from './split-sections.js';

export interface ChunkOptions {
  /** Upper bound on a chunk's length (UTF-16 code units). */
  maxChars: number;
  /** A chunk is not cut shorter than this when a section must be split, so breaks look for structure past it. */
  minChars: number;
  /** How much of the previous chunk's tail the next one repeats, snapped to a sentence or word start. */
  overlapChars: number;
  /** Treat `#` lines as headings (Markdown and the Markdown-like text extracted from HTML, DOCX and PDF). */
  markdown: boolean;
  /**
   * A section shorter than this is merged with the sections after it (or, last, before it) while they fit in one
   * chunk: a heading with a line under it is not a passage of its own, and a file of one heading per line does not
   * become one passage per line.
   */
  minSectionChars: number;
  /** More chunks than this throws `ChunkLimitExceeded`, as soon as the next one is found. */
  maxChunks: number;
}

/** The text makes more chunks than `maxChunks` allows. */
export class ChunkLimitExceeded extends Error {
  constructor(readonly maxChunks: number) {
    super(`The text makes more than ${maxChunks} passages`);
    this.name = 'ChunkLimitExceeded';
  }
}

export interface TextChunk {
  ordinal: number;
  /** Always `source.slice(start, end)`. */
  text: string;
  start: number;
  end: number;
  headingPath: string[];
}

// ~1,200 characters is a few paragraphs: enough context for a passage to stand alone in a tool result, small
// enough that ts_rank_cd still distinguishes the passage that holds the answer from its neighbours.
export const DEFAULT_CHUNK_OPTIONS: ChunkOptions = {
  maxChars: 1200,
  minChars: 500,
  overlapChars: 150,
  markdown: false,
  minSectionChars: 200,
  maxChunks: Infinity,
};

// Break candidates in order of preference; each regex finds the boundary *positions* inside a window.
const PARAGRAPH_BREAK = /\n[ \t]*\n/g;
const LINE_BREAK = /\n/g;
const SENTENCE_END = /[.!?…][)\]"'”’]*(?=\s)/g;
const WHITESPACE = /\s/g;

const isSpace = (code: number) => code === 32 || (code >= 9 && code <= 13) || code === 0xa0 || code === 0x2028;
const isHighSurrogate = (code: number) => code >= 0xd800 && code <= 0xdbff;

function skipSpace(text: string, from: number, end: number): number {
  while (from < end && isSpace(text.charCodeAt(from))) from++;
  return from;
}

function trimEnd(text: string, start: number, end: number): number {
  while (end > start && isSpace(text.charCodeAt(end - 1))) end--;
  return end;
}

/** The last boundary of `pattern` in [lo, hi], as the position where the chunk should end; -1 if none. */
function lastBoundary(text: string, lo: number, hi: number, pattern: RegExp, after: boolean): number {
  const window = text.slice(lo, hi + 1);
  let found = -1;
  pattern.lastIndex = 0;
  for (let m = pattern.exec(window); m; m = pattern.exec(window)) {
    const at = lo + (after ? m.index + m[0].length : m.index);
    if (at >= lo && at <= hi) found = at;
    if (m[0].length === 0) pattern.lastIndex++;
  }
  return found;
}

/** Where to end a chunk that starts at `start` and cannot reach the section end: the best structural break. */
function findCut(text: string, start: number, opts: ChunkOptions): number {
  const lo = start + opts.minChars;
  const hi = start + opts.maxChars;
  for (const [pattern, after] of [
    [PARAGRAPH_BREAK, false],
    [LINE_BREAK, false],
    [SENTENCE_END, true],
    [WHITESPACE, false],
  ] as const) {
    const at = lastBoundary(text, lo, hi, pattern, after);
    if (at !== -1) return at;
  }
  // No boundary at all (a long token such as base64): cut hard, but never between a surrogate pair.
  return isHighSurrogate(text.charCodeAt(hi - 1)) ? hi - 1 : hi;
}

/** The start of the next chunk: a sentence start, else a word start, in the last `overlapChars` before `cut`. */
function overlapStart(text: string, start: number, cut: number, opts: ChunkOptions): number {
  const from = Math.max(start + 1, cut - opts.overlapChars);
  if (from >= cut) return cut;
  const tail = text.slice(from, cut);
  const sentence = /[.!?…][)\]"'”’]*\s+(?=\S)/.exec(tail);
  if (sentence) return from + sentence.index + sentence[0].length;
  const word = /\s+(?=\S)/.exec(tail);
  if (word) return from + word.index + word[0].length;
  return isHighSurrogate(text.charCodeAt(from - 1)) ? from + 1 : from;
}

function splitSpan(text: string, start: number, end: number, opts: ChunkOptions): Array<[number, number]> {
  const spans: Array<[number, number]> = [];
  start = skipSpace(text, start, end);
  end = trimEnd(text, start, end);
  while (start < end) {
    if (end - start <= opts.maxChars) {
      spans.push([start, end]);
      break;
    }
    const cut = findCut(text, start, opts);
    spans.push([start, trimEnd(text, start, cut)]);
    const next = skipSpace(text, overlapStart(text, start, cut, opts), end);
    // Progress is guaranteed by minChars > overlapChars; the guard keeps a bad option set from looping forever.
    start = next > start ? next : cut;
  }
  return spans;
}

/**
 * Splits extracted text into bounded, overlapping passages that follow its structure: never across a heading (short
 * sections aside, which are merged with their neighbours), preferably at a paragraph break, else a line break, a
 * sentence end or a space. Each chunk keeps its ordinal, its offsets into `text` and its heading path.
 */
export function chunkText(text: string, options: Partial<ChunkOptions> = {}): TextChunk[] {
  const opts = { ...DEFAULT_CHUNK_OPTIONS, ...options };
  if (!(opts.minChars > opts.overlapChars && opts.maxChars >= opts.minChars)) {
    throw new RangeError('chunkText needs maxChars >= minChars > overlapChars');
  }
  const chunks: TextChunk[] = [];
  const sections = mergeSmallSections(text, splitSections(text, opts.markdown), opts.minSectionChars, opts.maxChars);
  for (const section of sections) {
    for (const [start, end] of splitSpan(text, section.start, section.end, opts)) {
      if (chunks.length === opts.maxChunks) throw new ChunkLimitExceeded(opts.maxChunks);
      chunks.push({
        ordinal: chunks.length,
        text: text.slice(start, end),
        start,
        end,
        headingPath: section.headingPath,
      });
    }
  }
  return chunks;
}
