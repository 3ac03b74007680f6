import { Buffer } from 'node:buffer';
import mammoth from 'mammoth';
import { htmlToMarkdown } from './html-to-markdown.mjs';
import { ParseFailure } from './parse-failure.mjs';
import { checkZipLimits } from './zip-limits.mjs';

// Images carry no text: they are never read (mammoth would otherwise inline each one as a base64 data URI).
const skipImages = mammoth.images.imgElement(() => ({ src: '' }));

/**
 * DOCX through mammoth's semantic HTML (Word heading styles become <h1>…<h6>), then the same HTML-to-text path,
 * so headings survive into the chunks' heading paths. The archive's decompressed sizes are checked first.
 */
export async function extractDocx(bytes, limits) {
  await checkZipLimits(bytes, limits);
  let html;
  try {
    ({ value: html } = await mammoth.convertToHtml(
      { buffer: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length) },
      { convertImage: skipImages },
    ));
  } catch {
    throw new ParseFailure('CORRUPT', 'The DOCX file is corrupt or is not a Word document and could not be read');
  }
  return { text: htmlToMarkdown(html, limits).text };
}
