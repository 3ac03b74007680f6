import type { DocumentKind } from './document-kind.js';

// The WHATWG MIME-sniffing patterns for HTML, after whitespace, comments and an XML declaration.
const HTML_START =
  /^(?:\s|<!--[\s\S]*?-->|<\?xml[^>]*>)*<(?:!doctype\s+html|html|head|body|script|iframe|h1|div|font|table|a|style|title|b|br|p)[\s>/]/i;
const ANY_TAG = /<\/?[a-z][a-z0-9-]*(?:\s[^<>]*)?\/?>/i;
const HTML_DECLARED = new Set(['text/html', 'application/xhtml+xml']);
const MARKDOWN_DECLARED = new Set(['text/markdown', 'text/x-markdown']);
const SNIFF_CHARS = 64 * 1024;

const MARKDOWN_SIGNALS: Record<string, RegExp> = {
  heading: /^ {0,3}#{1,6}[ \t]+\S/gm,
  fence: /^ {0,3}(?:```|~~~)/gm,
  list: /^ {0,3}(?:[-*+]|\d{1,9}[.)])[ \t]+\S/gm,
  link: /!?\[[^\]\n]+\]\([^)\s]+(?:\s+"[^"\n]*")?\)/g,
  emphasis: /(\*\*|__)(?=\S)[^\n]*?\S\1/g,
  quote: /^ {0,3}>[ \t]?\S/gm,
  table: /^\|?[^\n|]+\|[^\n]*\n\|?[ \t]*:?-{3,}/gm,
};

function looksLikeMarkdown(sample: string): boolean {
  const counts = Object.fromEntries(
    Object.entries(MARKDOWN_SIGNALS).map(([name, re]) => [name, sample.match(re)?.length ?? 0]),
  );
  const kinds = Object.values(counts).filter((n) => n > 0).length;
  return counts.heading >= 2 || (counts.heading >= 1 && kinds >= 2) || kinds >= 3;
}

/**
 * Tells plain text, Markdown and HTML apart from the content. The declared type (the multipart part's
 * Content-Type) only settles cases the bytes leave open: a fragment with tags declared as HTML is HTML, and text
 * declared as Markdown is Markdown unless it is plainly an HTML document.
 */
export function sniffTextKind(
  text: string,
  declaredMime?: string,
): Extract<DocumentKind, 'text' | 'markdown' | 'html'> {
  const sample = text.slice(0, SNIFF_CHARS);
  const declared = declaredMime?.split(';')[0].trim().toLowerCase();
  if (HTML_START.test(sample)) return 'html';
  if (declared && HTML_DECLARED.has(declared) && ANY_TAG.test(sample)) return 'html';
  if (declared && MARKDOWN_DECLARED.has(declared)) return 'markdown';
  return looksLikeMarkdown(sample) ? 'markdown' : 'text';
}
