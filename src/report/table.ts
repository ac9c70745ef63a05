// GitHub-flavoured Markdown tables with padded columns, so the raw text reads as a table too.

/** Cells are escaped (`|` → `\|`, line breaks → spaces); every row must have the header's length. */
export function markdownTable(header: string[], rows: string[][], align?: Array<'left' | 'right'>): string {
  const cols = header.length;
  if (cols === 0) throw new Error('markdownTable: the header has no columns');
  if (align !== undefined && align.length !== cols) {
    throw new Error(`markdownTable: align has ${align.length} entries, expected ${cols} (one per header column)`);
  }
  rows.forEach((r, i) => {
    if (r.length !== cols) throw new Error(`markdownTable: row ${i} has ${r.length} cells, expected ${cols} like the header`);
  });
  const cells = [header, ...rows].map((r) => r.map(escapeCell));
  // Widths from string length: wide (CJK) or combining characters pad unevenly, but the Markdown stays valid.
  const widths = header.map((_, c) => Math.max(3, ...cells.map((r) => r[c].length)));
  const right = (c: number) => align?.[c] === 'right';
  const line = (r: string[]) =>
    `| ${r.map((s, c) => (right(c) ? s.padStart(widths[c]) : s.padEnd(widths[c]))).join(' | ')} |`;
  const rule = `| ${widths.map((w, c) => (right(c) ? '-'.repeat(w - 1) + ':' : '-'.repeat(w))).join(' | ')} |`;
  return [line(cells[0]), rule, ...cells.slice(1).map(line)].join('\n') + '\n';
}

function escapeCell(s: string): string {
  // A backslash already before a pipe would turn `\|` into `\\|` (a literal backslash, then a live pipe).
  return s.replace(/\r\n|\r|\n/g, ' ').replace(/\\(?=\|)/g, '\\\\').replace(/\|/g, '\\|');
}
