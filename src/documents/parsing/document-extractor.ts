import { DocumentTooLarge, UnprocessableDocument, UnsupportedDocumentType } from '../documents.errors.js';
import { Injectable } from '@nestjs/common';
import type { TextChunk } from '../chunking/chunk-text.js';
import { detectDocumentFormat } from './detect-document-format.js';
import { MIME_TYPES, type DocumentKind } from './document-kind.js';
import { ParseFailed } from './parse-failed.error.js';
import { ParserPool, type ParseOptions } from './parser-pool.js';
import type { PreparedText } from './text-pipeline.js';

export interface ExtractedDocument {
  kind: DocumentKind;
  mimeType: string;
  /** Normalized text; chunk offsets index this string. */
  text: string;
  /** A title found inside the document (HTML `<title>`). */
  title?: string;
  chunks: TextChunk[];
}

const NO_TEXT: Record<DocumentKind, string> = {
  text: 'The file contains no text, only whitespace',
  markdown: 'The file contains no text, only whitespace',
  html: 'The HTML page contains no visible text',
  pdf: 'The PDF has no text layer (is it a scanned image?); no text could be extracted',
  docx: 'The DOCX document contains no text',
};

/**
 * Bytes in, normalized text and its passages out. Only the type check by magic numbers runs here; everything that
 * walks the whole document (decoding, parsing, normalizing, chunking) runs in the parser pool's workers.
 */
@Injectable()
export class DocumentExtractor {
  constructor(private readonly pool: ParserPool) {}

  async extract(bytes: Uint8Array, declaredMime?: string, options: ParseOptions = {}): Promise<ExtractedDocument> {
    const format = await detectDocumentFormat(bytes);
    let prepared: PreparedText;
    try {
      prepared = await this.pool.parse(
        format.kind === 'text' ? { kind: 'text', bytes, declaredMime } : { kind: format.kind, bytes },
        options,
      );
    } catch (err) {
      if (!(err instanceof ParseFailed)) throw err;
      if (err.reason === 'UNSUPPORTED') throw new UnsupportedDocumentType(err.message);
      if (err.reason === 'TOO_LARGE') throw new DocumentTooLarge(err.message);
      throw new UnprocessableDocument(err.message);
    }
    // file-type calls anything opening with `<?xml` XML: XHTML is read, other XML is not.
    if (format.kind === 'text' && format.xml && prepared.kind !== 'html') {
      throw new UnsupportedDocumentType('application/xml');
    }
    const { kind, text, title } = prepared;
    if (text.trim() === '') throw new UnprocessableDocument(NO_TEXT[kind]);
    // V8 makes a slice of a long string a view into it: the passages' characters are not copied here.
    const chunks = prepared.chunks.map(({ ordinal, start, end, headingPath }) => ({
      ordinal,
      text: text.slice(start, end),
      start,
      end,
      headingPath,
    }));
    return { kind, mimeType: MIME_TYPES[kind], text, title, chunks };
  }
}
