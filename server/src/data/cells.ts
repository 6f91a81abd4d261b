/** Cells that mean "no value", as pandas reads them by default (case-sensitive, like pandas). */
const MISSING = new Set(['', 'NA', 'N/A', 'NaN', 'nan', 'NULL', 'null', 'None', '#N/A', '-NaN', '-nan', '<NA>', 'n/a']);

export function isMissingCell(cell: string): boolean {
  return MISSING.has(cell.trim());
}
