/** Shared helpers for `npm run bench`: medians, percentiles and one table per benchmark. */

export function median(values: number[]): number {
  return percentile(values, 50);
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo);
}

export interface Row {
  name: string;
  value: number | string;
  target?: string;
  pass?: boolean;
}

/** Prints a table and, for the record, one JSON line; exit code 1 when a target is missed. */
export function report(bench: string, rows: Row[]): void {
  const fmt = (v: number | string) => (typeof v === 'number' ? (Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(2)) : v);
  const width = Math.max(...rows.map((r) => r.name.length));
  console.log(`\n== bench: ${bench} ==`);
  for (const r of rows) {
    const verdict = r.pass === undefined ? '' : r.pass ? `  ✓ (target ${r.target})` : `  ✗ MISSED (target ${r.target})`;
    console.log(`${r.name.padEnd(width)}  ${fmt(r.value)}${verdict}`);
  }
  console.log(JSON.stringify({ bench, rows }));
  if (rows.some((r) => r.pass === false)) process.exitCode = 1;
}
