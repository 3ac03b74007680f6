import { getDocument } from 'pdfjs-dist/legacy/build/pdf.mjs';
import { ParseFailure } from './parse-failure.mjs';
import { checkPdfLimits } from './pdf-limits.mjs';

// A line this much larger than the body text, and short, is taken for a heading.
const HEADING_SIZE_RATIO = 1.2;
const MAX_HEADING_CHARS = 120;
// A vertical gap this many line heights wide separates paragraphs.
const PARAGRAPH_GAP = 1.6;

/** Groups a page's text items into visual lines (same baseline), joining items with a space where there is a gap. */
function pageLines(items, page) {
  const lines = [];
  let line;
  for (const item of items) {
    if (typeof item.str !== 'string') continue; // marked-content markers carry no text
    const [, , c, d, x, y] = item.transform;
    const size = Math.hypot(c, d) || item.height || 0;
    if (line && Math.abs(y - line.y) > Math.max(line.size, size, 1) * 0.5) {
      lines.push(line);
      line = undefined;
    }
    if (item.str) {
      line ??= { page, y, size: 0, text: '', endX: x };
      const gap = x - line.endX;
      if (line.text && !/\s$/.test(line.text) && !/^\s/.test(item.str) && gap > size * 0.15) line.text += ' ';
      line.text += item.str;
      line.size = Math.max(line.size, size);
      line.endX = x + (item.width ?? 0);
    }
    if (item.hasEOL && line) {
      lines.push(line);
      line = undefined;
    }
  }
  if (line) lines.push(line);
  return lines.filter((l) => l.text.trim() !== '');
}

/** The font size most of the text is set in (median weighted by characters). */
function bodySize(lines) {
  const sized = lines.map((l) => [l.size, l.text.length]).sort((a, b) => a[0] - b[0]);
  const total = sized.reduce((n, [, chars]) => n + chars, 0);
  let seen = 0;
  for (const [size, chars] of sized) {
    seen += chars;
    if (seen >= total / 2) return size;
  }
  return 0;
}

/**
 * Lays the lines out as Markdown-like text: larger short lines become `#` headings (levels by size), wide vertical
 * gaps and page ends become paragraph breaks. PDF has no structure of its own; this recovers enough for chunking.
 */
function layout(lines) {
  const body = bodySize(lines);
  const isHeading = (l) => body > 0 && l.size >= body * HEADING_SIZE_RATIO && l.text.trim().length <= MAX_HEADING_CHARS;
  const headingSizes = [...new Set(lines.filter(isHeading).map((l) => Math.round(l.size)))].sort((a, b) => b - a);
  const levelOf = (l) => Math.min(headingSizes.indexOf(Math.round(l.size)) + 1, 6);

  let out = '';
  let prev;
  for (const line of lines) {
    const text = line.text.replace(/\s+/g, ' ').trim();
    const heading = isHeading(line);
    const sameHeading =
      heading && prev && isHeading(prev) && prev.page === line.page && levelOf(prev) === levelOf(line);
    if (sameHeading && prev.y - line.y <= line.size * PARAGRAPH_GAP) {
      out += ` ${text}`; // a heading wrapped over two lines
    } else if (heading) {
      out += `\n\n${'#'.repeat(levelOf(line))} ${text}\n\n`;
    } else {
      const newParagraph =
        !prev ||
        prev.page !== line.page ||
        isHeading(prev) ||
        prev.y - line.y > Math.max(prev.size, line.size) * PARAGRAPH_GAP;
      out += (newParagraph ? '\n\n' : '\n') + text;
    }
    prev = line;
  }
  return out.replace(/\n{3,}/g, '\n\n').trim();
}

/**
 * The text layer of a PDF (pdf.js), page by page. Pages that fail to parse are skipped if others succeed. The streams'
 * decompressed sizes and text operators are checked first, and the page count before any page is read.
 */
export async function extractPdf(bytes, limits) {
  checkPdfLimits(bytes, limits);
  let doc;
  try {
    doc = await getDocument({
      data: bytes,
      isEvalSupported: false,
      disableFontFace: true,
      useSystemFonts: false,
      verbosity: 0,
    }).promise;
  } catch (err) {
    if (err?.name === 'PasswordException') throw new ParseFailure('ENCRYPTED', 'The PDF is password-protected');
    throw new ParseFailure('CORRUPT', 'The PDF is corrupt or truncated and could not be read');
  }
  try {
    if (doc.numPages > limits.maxPdfPages) {
      throw new ParseFailure(
        'TOO_LARGE',
        `The PDF has ${doc.numPages.toLocaleString('en-US')} pages; at most ` +
          `${limits.maxPdfPages.toLocaleString('en-US')} are read (the limit for one document)`,
      );
    }
    const lines = [];
    let failedPages = 0;
    for (let n = 1; n <= doc.numPages; n++) {
      try {
        const page = await doc.getPage(n);
        lines.push(...pageLines((await page.getTextContent()).items, n));
        page.cleanup();
      } catch {
        failedPages++;
      }
    }
    if (failedPages === doc.numPages && doc.numPages > 0) {
      throw new ParseFailure('CORRUPT', 'The PDF is corrupt and none of its pages could be read');
    }
    return { text: layout(lines) };
  } finally {
    await doc.destroy();
  }
}
