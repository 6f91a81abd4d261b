/** Cells that mean "no value", as pandas reads them by default (case-sensitive, like pandas). */
const MISSING = new Set(['', 'NA', 'N/A', 'NaN', 'nan', 'NULL', 'null', 'None', '#N/A', '-NaN', '-nan', '<NA>', 'n/a']);

export function isMissingCell(cell: string): boolean {
  const n = cell.length;
  if (n === 0) return true;
  // Most cells neither start nor end with a space and are longer than any missing marker: no trim, no lookup.
  if (cell.charCodeAt(0) > 32 && cell.charCodeAt(n - 1) > 32) return n <= 5 && MISSING.has(cell);
  return MISSING.has(cell.trim());
}
