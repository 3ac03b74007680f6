import { Injectable } from '@nestjs/common';
import { UnprocessableDocument } from '../errors/unprocessable-document.error.js';
import { detectDocumentKind } from './detect-document-kind.js';
import { MIME_TYPES, type DocumentKind } from './document-kind.js';
import { normalizeText } from './normalize-text.js';
import { ParseFailed } from './parse-failed.error.js';
import type { ParsedText } from './parse-job.js';
import { ParserPool } from './parser-pool.js';

export interface ExtractedDocument {
  kind: DocumentKind;
  mimeType: string;
  /** Normalized text; chunk offsets index this string. */
  text: string;
  /** Whether `#` lines are headings (true for every kind but plain text, whose extractors emit Markdown-like text). */
  markdown: boolean;
  /** A title found inside the document (HTML `<title>`). */
  title?: string;
}

const NO_TEXT: Record<DocumentKind, string> = {
  text: 'The file contains no text, only whitespace',
  markdown: 'The file contains no text, only whitespace',
  html: 'The HTML page contains no visible text',
  pdf: 'The PDF has no text layer (is it a scanned image?); no text could be extracted',
  docx: 'The DOCX document contains no text',
};

/** Bytes in, normalized text out: detects the type, then parses PDF, DOCX and HTML in the worker pool. */
@Injectable()
export class DocumentExtractor {
  constructor(private readonly pool: ParserPool) {}

  async extract(bytes: Uint8Array, declaredMime?: string): Promise<ExtractedDocument> {
    const detected = await detectDocumentKind(bytes, declaredMime);
    let parsed: ParsedText;
    try {
      if (!('text' in detected)) parsed = await this.pool.parse({ kind: detected.kind, bytes });
      else if (detected.kind === 'html') parsed = await this.pool.parse({ kind: 'html', html: detected.text });
      else parsed = { text: detected.text };
    } catch (err) {
      if (err instanceof ParseFailed) throw new UnprocessableDocument(err.message);
      throw err;
    }
    const text = normalizeText(parsed.text);
    if (text.trim() === '') throw new UnprocessableDocument(NO_TEXT[detected.kind]);
    return {
      kind: detected.kind,
      mimeType: MIME_TYPES[detected.kind],
      text,
      markdown: detected.kind !== 'text',
      title: parsed.title,
    };
  }
}
