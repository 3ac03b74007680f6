const MAX_TITLE = 300;

function clean(value: string | undefined): string | undefined {
  const cleaned = value
    // eslint-disable-next-line no-control-regex -- control characters are exactly what is removed
    ?.replace(/[\u0000-\u001f\u007f]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, MAX_TITLE)
    .trim();
  return cleaned || undefined;
}

/** The file name without any client-side directories (`C:\\Users\\a\\report.pdf` -> `report.pdf`). */
function fileName(originalName: string | undefined): string | undefined {
  return originalName?.split(/[\\/]/).pop();
}

// The first line with a visible character, found without splitting a document of megabytes into lines.
const FIRST_LINE = /^[^\S\n]*\S[^\n]*/m;

function firstLine(text: string): string | undefined {
  return FIRST_LINE.exec(text)?.[0]
    .replace(/^\s*#{1,6}\s+/, '')
    .slice(0, 120);
}

/** The caller's title, else one found in the document (HTML <title>), else the file name, else the first line. */
export function documentTitle(candidates: {
  given?: string;
  embedded?: string;
  originalName?: string;
  text: string;
}): string {
  return (
    clean(candidates.given) ??
    clean(candidates.embedded) ??
    clean(fileName(candidates.originalName)) ??
    clean(firstLine(candidates.text)) ??
    'Untitled document'
  );
}
