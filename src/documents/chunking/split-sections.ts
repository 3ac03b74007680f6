/** A run of text under one heading path; `start`/`end` index the source string. */
export interface Section {
  start: number;
  end: number;
  headingPath: string[];
}

const ATX_HEADING = /^ {0,3}(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$/;
const FENCE = /^ {0,3}(`{3,}|~{3,})/;
const MAX_HEADING_CHARS = 200;

interface Heading {
  level: number;
  title: string;
}

/**
 * Splits Markdown-structured text at ATX headings (`#` … `######`), ignoring `#` lines inside fenced code. Each
 * section starts at its heading line and carries the path of headings above it. A heading with no text of its own
 * before a deeper heading is folded into the next section, so "# Guide / ## Install / text" yields one section
 * under ["Guide", "Install"] that still contains both heading lines. Plain text is one section with no path.
 */
export function splitSections(text: string, markdown: boolean): Section[] {
  if (!markdown) return [{ start: 0, end: text.length, headingPath: [] }];

  const sections: Section[] = [];
  let stack: Heading[] = [];
  let current: Section = { start: 0, end: text.length, headingPath: [] };
  let currentHasBody = false;
  let currentLevel = 0;
  let fence: string | undefined;

  let lineStart = 0;
  while (lineStart < text.length) {
    const newline = text.indexOf('\n', lineStart);
    const lineEnd = newline === -1 ? text.length : newline;
    const line = text.slice(lineStart, lineEnd);
    const fenceMatch = FENCE.exec(line);
    const heading = fence === undefined ? ATX_HEADING.exec(line) : null;

    if (fenceMatch) {
      const marker = fenceMatch[1];
      if (fence === undefined) fence = marker;
      else if (marker[0] === fence[0] && marker.length >= fence.length) fence = undefined;
      currentHasBody = true;
    } else if (heading) {
      const level = heading[1].length;
      const title = heading[2].trim().slice(0, MAX_HEADING_CHARS);
      // Fold an empty parent heading into its first child section instead of emitting a heading-only chunk.
      const fold = !currentHasBody && currentLevel > 0 && level > currentLevel;
      if (!fold && lineStart > current.start) sections.push({ ...current, end: lineStart });
      stack = [...stack.filter((h) => h.level < level), { level, title }];
      current = {
        start: fold ? current.start : lineStart,
        end: text.length,
        headingPath: stack.map((h) => h.title).filter(Boolean),
      };
      currentHasBody = false;
      currentLevel = level;
    } else if (line.trim() !== '') {
      currentHasBody = true;
    }
    lineStart = lineEnd + 1;
  }
  sections.push(current);
  return sections.filter((s) => text.slice(s.start, s.end).trim() !== '');
}

const isSpace = (code: number) => code === 32 || (code >= 9 && code <= 13) || code === 0xa0 || code === 0x2028;

/** The length of `text[start, end)` without its leading and trailing whitespace. */
function trimmedLength(text: string, start: number, end: number): number {
  while (start < end && isSpace(text.charCodeAt(start))) start++;
  while (end > start && isSpace(text.charCodeAt(end - 1))) end--;
  return end - start;
}

function commonPrefix(a: string[], b: string[]): string[] {
  let n = 0;
  while (n < a.length && n < b.length && a[n] === b[n]) n++;
  return a.slice(0, n);
}

/**
 * Joins sections shorter than `minChars` with the ones after them, as long as the joined span stays within
 * `maxChars` (one chunk); a short section that cannot join the next (a long one follows) joins the one before it if
 * that fits. A joined section keeps the headings its parts share. Sections already long enough are left alone, so a
 * document of real sections chunks as before, while one heading per line no longer means one passage per line.
 */
export function mergeSmallSections(text: string, sections: Section[], minChars: number, maxChars: number): Section[] {
  const size = (s: Section) => trimmedLength(text, s.start, s.end);
  const join = (a: Section, b: Section): Section => ({
    start: a.start,
    end: b.end,
    headingPath: commonPrefix(a.headingPath, b.headingPath),
  });
  const fits = (a: Section, b: Section) => trimmedLength(text, a.start, b.end) <= maxChars;

  const forward: Section[] = [];
  for (const section of sections) {
    const last = forward.at(-1);
    if (last && size(last) < minChars && fits(last, section)) forward[forward.length - 1] = join(last, section);
    else forward.push(section);
  }
  const merged: Section[] = [];
  for (const section of forward) {
    const last = merged.at(-1);
    if (last && size(section) < minChars && fits(last, section)) merged[merged.length - 1] = join(last, section);
    else merged.push(section);
  }
  return merged;
}
