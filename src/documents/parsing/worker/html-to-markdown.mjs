import { Parser } from 'htmlparser2';
import { ParseFailure } from './parse-failure.mjs';

// Elements whose content is never visible text.
const HIDDEN = new Set([
  'head',
  'script',
  'style',
  'noscript',
  'template',
  'svg',
  'math',
  'iframe',
  'object',
  'canvas',
  'select',
]);
const BLOCK = new Set([
  'address',
  'article',
  'aside',
  'blockquote',
  'caption',
  'dd',
  'details',
  'dialog',
  'div',
  'dl',
  'dt',
  'fieldset',
  'figcaption',
  'figure',
  'footer',
  'form',
  'header',
  'hgroup',
  'hr',
  'main',
  'nav',
  'ol',
  'p',
  'section',
  'summary',
  'table',
  'ul',
]);
const HEADING = /^h([1-6])$/;
const MAX_TITLE = 300;

/**
 * Accumulates visible text with Markdown-style structure: headings become `#` lines (so the chunker can follow
 * them), blocks are separated by blank lines, list items start with `- `, table cells are joined by ` | `.
 */
class MarkdownWriter {
  parts = [];
  pendingNewlines = 0;
  atLineStart = true;
  prefix = '';

  breakLine(newlines) {
    if (this.parts.length) this.pendingNewlines = Math.max(this.pendingNewlines, newlines);
    this.atLineStart = true;
  }

  write(text, preformatted = false) {
    if (!preformatted) text = text.replace(/\s+/g, ' ');
    if (this.atLineStart && !preformatted) text = text.trimStart();
    if (!text) return;
    if (this.pendingNewlines) {
      this.parts.push('\n'.repeat(this.pendingNewlines));
      this.pendingNewlines = 0;
    } else if (!preformatted && text.startsWith(' ') && this.parts.at(-1)?.endsWith(' ')) {
      text = text.slice(1);
    }
    if (this.prefix) {
      text = this.prefix + text;
      this.prefix = '';
    }
    this.parts.push(text);
    this.atLineStart = false;
  }

  toString() {
    return this.parts
      .join('')
      .replace(/[ \t]+\n/g, '\n')
      .replace(/\n{3,}/g, '\n\n')
      .trim();
  }
}

/**
 * HTML to Markdown-like plain text with a real (forgiving, spec-following) parser; returns the `<title>` too.
 * Elements open inside one another past `maxHtmlDepth` are refused: the parser's work per tag grows with the number
 * of open elements, so thousands of unclosed tags made parsing time grow much faster than the file.
 */
export function htmlToMarkdown(html, { maxHtmlDepth }) {
  const out = new MarkdownWriter();
  let depth = 0;
  let hidden = 0;
  let pre = 0;
  let heading = 0;
  let inTitle = false;
  let title = '';
  let cellInRow = 0;

  const parser = new Parser(
    {
      onopentag(name) {
        if (++depth > maxHtmlDepth) {
          throw new ParseFailure(
            'TOO_LARGE',
            `The HTML nests elements more than ${maxHtmlDepth} deep (the limit for one document)`,
          );
        }
        if (name === 'title') inTitle = true;
        if (HIDDEN.has(name)) hidden++;
        if (hidden) return;
        const level = HEADING.exec(name);
        if (level) {
          heading = Number(level[1]);
          out.breakLine(2);
          out.prefix = `${'#'.repeat(heading)} `;
        } else if (name === 'li') {
          out.breakLine(1);
          out.prefix = '- ';
        } else if (name === 'pre') {
          pre++;
          out.breakLine(2);
        } else if (name === 'br') {
          if (heading) out.write(' ');
          else out.breakLine(1);
        } else if (name === 'tr') {
          out.breakLine(1);
          cellInRow = 0;
        } else if (name === 'td' || name === 'th') {
          if (cellInRow++ > 0) out.write(' | ', true);
        } else if (BLOCK.has(name)) {
          out.breakLine(2);
        }
      },
      ontext(text) {
        if (inTitle) title += text;
        else if (!hidden) out.write(text, pre > 0);
      },
      onclosetag(name) {
        depth--;
        if (name === 'title') inTitle = false;
        if (HIDDEN.has(name)) {
          hidden = Math.max(0, hidden - 1);
          return;
        }
        if (hidden) return;
        if (HEADING.test(name)) {
          heading = 0;
          out.prefix = '';
          out.breakLine(2);
        } else if (name === 'pre') {
          pre = Math.max(0, pre - 1);
          out.breakLine(2);
        } else if (name === 'li') {
          out.prefix = '';
          out.breakLine(1);
        } else if (BLOCK.has(name)) {
          out.breakLine(2);
        }
      },
    },
    { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true },
  );
  parser.write(html);
  parser.end();

  const cleanTitle = title.replace(/\s+/g, ' ').trim().slice(0, MAX_TITLE);
  return { text: out.toString(), title: cleanTitle || undefined };
}
