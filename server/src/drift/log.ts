/**
 * Current data from the model server's prediction log: the logged inputs of a time window, as a
 * feature table whose columns are named after the reference's. A single [N, k] input tensor maps
 * column for column onto the reference's k feature columns; inputs named like reference columns
 * (one tensor per feature, as skl2onnx makes from a DataFrame) map by name.
 */
import type { Database } from '../store/store';
import { DriftInputError, tableFromNumbers, type FeatureTable } from './table';

interface LoggedTensor {
  datatype?: string;
  shape?: number[];
  data?: unknown[];
}

export interface LogWindow {
  endpoints: string[];
  /** ms since the epoch, inclusive; 0 for the whole log. */
  since: number;
  until?: number;
  /** Describes the window in messages and in the report ("prediction log, last 1h"). */
  source: string;
}

function flatten(data: unknown[], out: unknown[] = []): unknown[] {
  for (const v of data) {
    if (Array.isArray(v)) flatten(v, out);
    else out.push(v);
  }
  return out;
}

function toNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return Number(v);
  if (typeof v === 'string') return v === 'NaN' || v === '' ? NaN : Number(v);
  return NaN;
}

/** The logged inputs of the window as a table with the given feature columns. */
export function currentFromLog(db: Database, features: readonly string[], w: LogWindow): FeatureTable {
  if (w.endpoints.length === 0) throw new DriftInputError(`${w.source}: no serving endpoint serves this model, so nothing is logged for it`);
  const rows = db
    .prepare(
      `SELECT inputs FROM predictions
       WHERE endpoint IN (${w.endpoints.map(() => '?').join(', ')}) AND mirrored = 0 AND status < 400 AND inputs IS NOT NULL AND time >= ? AND time <= ?
       ORDER BY time, id`,
    )
    .pluck()
    .all(...w.endpoints, w.since, w.until ?? Number.MAX_SAFE_INTEGER) as string[];
  const columns = features.map(() => [] as number[]);
  const index = new Map(features.map((f, i) => [f, i]));
  let problem: string | undefined;
  for (const json of rows) {
    let inputs: Record<string, LoggedTensor>;
    try {
      inputs = JSON.parse(json) as Record<string, LoggedTensor>;
    } catch {
      continue;
    }
    const names = Object.keys(inputs);
    if (names.length === 1 && !index.has(names[0])) {
      const t = inputs[names[0]];
      const values = flatten(t.data ?? []);
      const width = t.shape && t.shape.length >= 2 ? t.shape[t.shape.length - 1] : values.length;
      if (width !== features.length) {
        problem ??= `the logged input \`${names[0]}\` has ${width} values per row, the reference ${features.length} feature columns (list columns that are not model inputs, like the label, under drift.exclude)`;
        continue;
      }
      for (let r = 0; r + width <= values.length; r += width) for (let c = 0; c < width; c++) columns[c].push(toNumber(values[r + c]));
    } else {
      const missing = features.filter((f) => !(f in inputs));
      if (missing.length > 0) {
        problem ??= `the logged inputs (${names.join(', ')}) have no ${missing.slice(0, 3).join(', ')}${missing.length > 3 ? ', …' : ''}`;
        continue;
      }
      const per = features.map((f) => flatten(inputs[f].data ?? []));
      const n = Math.min(...per.map((p) => p.length));
      for (let c = 0; c < features.length; c++) for (let r = 0; r < n; r++) columns[c].push(toNumber(per[c][r]));
    }
  }
  if (columns[0]?.length === 0 || features.length === 0) {
    throw new DriftInputError(`${w.source}: ${problem ?? `no logged inputs${rows.length === 0 ? ' (no requests with inputs in the window; serve the model and send traffic, or widen --window)' : ''}`}`);
  }
  return tableFromNumbers(
    w.source,
    features.map((name, c) => ({ name, values: Float64Array.from(columns[c]) })),
  );
}
