import { UnprocessableDocument, UnsupportedDocumentType } from '../documents.errors.js';
import { fileTypeFromBuffer } from 'file-type';

const BINARY_KINDS: Record<string, 'pdf' | 'docx'> = {
  'application/pdf': 'pdf',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'docx',
};

/** PDF or DOCX by their magic numbers; else text, which only the decoded content can tell apart (the worker does). */
export type DetectedFormat = { kind: 'pdf' | 'docx' } | { kind: 'text'; xml: boolean };

/**
 * Decides what a file is from its bytes (magic numbers via file-type, which reads only the first few KB), never
 * from its name. Throws 415 for types we do not read and 422 for an empty file.
 */
export async function detectDocumentFormat(bytes: Uint8Array): Promise<DetectedFormat> {
  if (bytes.length === 0) throw new UnprocessableDocument('The file is empty');
  const magic = await fileTypeFromBuffer(bytes);
  const binaryKind = magic && BINARY_KINDS[magic.mime];
  if (binaryKind) return { kind: binaryKind };
  // file-type reports any document opening with `<?xml` as XML; XHTML is still HTML, other XML is refused later.
  if (magic && magic.ext !== 'xml') throw new UnsupportedDocumentType(magic.mime);
  return { kind: 'text', xml: magic !== undefined };
}
