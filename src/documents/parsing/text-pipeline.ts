import { chunkText, type TextChunk } from '../chunking/chunk-text.js';

export { ChunkLimitExceeded } from '../chunking/chunk-text.js';
import { decodeText } from './decode-text.js';
import type { DocumentKind } from './document-kind.js';
import { normalizeText } from './normalize-text.js';
import { sniffTextKind } from './sniff-text-kind.js';

/** A passage of the prepared text, without its characters: the main thread slices them from `text`. */
export type ChunkSpan = Omit<TextChunk, 'text'>;

export interface PreparedText {
  kind: DocumentKind;
  /** Normalized text; every span indexes this string. */
  text: string;
  /** A title found inside the document (HTML `<title>`). */
  title?: string;
  chunks: ChunkSpan[];
}

// These functions run in the parser worker (`worker/parse.worker.mjs`): each walks the whole text, tens of
// milliseconds for a few megabytes, which on the event loop would hold every open stream that long.

/** Decodes bytes that file-type did not recognise: plain text, Markdown or HTML, or undefined for binary. */
export function readTextDocument(
  bytes: Uint8Array,
  declaredMime?: string,
): { kind: Extract<DocumentKind, 'text' | 'markdown' | 'html'>; text: string } | undefined {
  const text = decodeText(bytes);
  return text === undefined ? undefined : { kind: sniffTextKind(text, declaredMime), text };
}

/**
 * Extracted text to what is stored: its canonical form and its passages (headings count for all but plain text).
 * Throws `ChunkLimitExceeded` as soon as the text makes more than `maxPassages` passages.
 */
export function prepareText(
  kind: DocumentKind,
  extracted: string,
  title?: string,
  maxPassages = Infinity,
): PreparedText {
  const text = normalizeText(extracted);
  const chunks = chunkText(text, { markdown: kind !== 'text', maxChunks: maxPassages }).map(
    ({ text: _text, ...span }) => span,
  );
  return { kind, text, title, chunks };
}
