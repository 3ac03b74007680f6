/**
 * One row of the results table. A row with a target says whether it was met; a row without one is context
 * (the figure a target is derived from, or a number the issue asks to report without a bound).
 */
export interface Row {
  metric: string;
  measured: string;
  target?: string;
  met?: boolean;
}

export function info(metric: string, measured: string): Row {
  return { metric, measured };
}

export function check(metric: string, target: string, measured: string, met: boolean): Row {
  return { metric, target, measured, met };
}

/** A scenario that broke still shows up in the table (as a miss), so a partial run never reads as a clean one. */
export function failedRow(scenario: string, error: unknown): Row {
  const why = error instanceof Error ? error.message : String(error);
  return check(`${scenario}: scenario failed`, 'completes', why.replace(/\s+/g, ' ').slice(0, 160), false);
}

const escape = (cell: string) => cell.replace(/\|/g, '\\|');

/** A Markdown table, so the output can be pasted into BENCHMARKS.md as it is. */
export function renderTable(rows: Row[]): string {
  const cells = rows.map((r) => [
    r.metric,
    r.target ?? '—',
    r.measured,
    r.met === undefined ? '' : r.met ? 'yes' : 'NO',
  ]);
  const header = ['metric', 'target', 'measured', 'met'];
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => escape(c[i]).length)));
  const line = (c: string[]) => `| ${c.map((v, i) => escape(v).padEnd(widths[i])).join(' | ')} |`;
  return [line(header), `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`, ...cells.map(line)].join('\n');
}

export function tally(rows: Row[]): { met: number; total: number } {
  const targets = rows.filter((r) => r.met !== undefined);
  return { met: targets.filter((r) => r.met).length, total: targets.length };
}
