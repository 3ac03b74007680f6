import { Buffer } from 'node:buffer';
import mammoth from 'mammoth';
import { htmlToMarkdown } from './html-to-markdown.mjs';
import { ParseFailure } from './parse-failure.mjs';

/**
 * DOCX through mammoth's semantic HTML (Word heading styles become <h1>…<h6>), then the same HTML-to-text path,
 * so headings survive into the chunks' heading paths.
 */
export async function extractDocx(bytes) {
  let html;
  try {
    ({ value: html } = await mammoth.convertToHtml({
      buffer: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length),
    }));
  } catch {
    throw new ParseFailure('CORRUPT', 'The DOCX file is corrupt or is not a Word document and could not be read');
  }
  return { text: htmlToMarkdown(html).text };
}
