import { fileTypeFromBuffer } from 'file-type';
import { UnprocessableDocument } from '../errors/unprocessable-document.error.js';
import { UnsupportedDocumentType } from '../errors/unsupported-document-type.error.js';
import { decodeText } from './decode-text.js';
import type { DocumentKind } from './document-kind.js';
import { sniffTextKind } from './sniff-text-kind.js';

const BINARY_KINDS: Record<string, DocumentKind> = {
  'application/pdf': 'pdf',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'docx',
};

export type DetectedDocument = { kind: 'pdf' | 'docx' } | { kind: 'text' | 'markdown' | 'html'; text: string };

/**
 * Decides what a file is from its bytes (magic numbers via file-type, then text sniffing), never from its name.
 * Throws 415 for types we do not read and 422 for an empty file.
 */
export async function detectDocumentKind(bytes: Uint8Array, declaredMime?: string): Promise<DetectedDocument> {
  if (bytes.length === 0) throw new UnprocessableDocument('The file is empty');
  const magic = await fileTypeFromBuffer(bytes);
  const binaryKind = magic && BINARY_KINDS[magic.mime];
  if (binaryKind === 'pdf' || binaryKind === 'docx') return { kind: binaryKind };
  // file-type reports any document opening with `<?xml` as XML; XHTML is still HTML.
  if (magic && magic.ext !== 'xml') throw new UnsupportedDocumentType(magic.mime);

  const text = decodeText(bytes);
  if (text === undefined) throw new UnsupportedDocumentType('unrecognised binary content');
  const kind = sniffTextKind(text, declaredMime);
  if (magic && kind !== 'html') throw new UnsupportedDocumentType(magic.mime);
  return { kind, text };
}
