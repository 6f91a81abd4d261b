/**
 * `mlops validate --infer FILE`: a proposed `data:` entry from what a file holds. The rules (also in
 * docs/data-validation.md):
 *  - type: integer or number when every value reads as one; boolean for true/false; date when one
 *    known format reads every value; category when at most 20 distinct values make up at most half
 *    of the values; string otherwise;
 *  - min/max of numbers: the observed range widened by 10% of its width on each side, never across
 *    zero (a column with no negative value keeps min ≥ 0), rounded outward; integers with at most
 *    10 distinct values get their `values` instead;
 *  - max_null_share: 0 when there are no nulls, else twice the observed share rounded up (at most 1);
 *  - unique: true for text and integer columns whose values never repeat (from 2 rows on);
 *  - pattern: when every text value has one shape (digits, capitals, small letters at the same places);
 *  - rows: min half the observed rows; extra_columns: warn.
 */
import { Document, isMap, isScalar, YAMLMap } from 'yaml';
import type { ColumnProfiler } from './profile';

export interface InferredColumn {
  name: string;
  expectations: Record<string, unknown>;
}

export interface InferredDataset {
  name: string;
  path: string;
  rows: number;
  columns: InferredColumn[];
}

const CATEGORY_LIMIT = 20;
const INTEGER_VALUES_LIMIT = 10;

export function inferColumn(p: ColumnProfiler): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const n = p.count;
  if (n === 0) {
    out.type = 'string';
  } else if (p.numeric === n) {
    const integer = p.integers === n;
    out.type = integer ? 'integer' : 'number';
    if (integer && !p.distinctCapped && p.distinct <= INTEGER_VALUES_LIMIT && p.distinct * 2 <= n) {
      out.values = p.values().map((v) => Number(v.value)).sort((a, b) => a - b);
    } else {
      const [min, max] = widened(p.min, p.max, integer);
      out.min = min;
      out.max = max;
    }
    if (integer && !p.repeated && n >= 2) out.unique = true;
  } else if (p.booleans === n) {
    out.type = 'boolean';
  } else {
    const date = p.bestDateFormat();
    if (date && date.hits === n) {
      out.type = /H/.test(date.format) ? 'datetime' : 'date';
      out.format = date.format;
    } else if (!p.distinctCapped && p.distinct <= CATEGORY_LIMIT && p.distinct * 2 <= n) {
      out.type = 'category';
      out.values = p.values().map((v) => v.value).sort();
    } else {
      out.type = 'string';
      if (!p.repeated && n >= 2) out.unique = true;
      if (typeof p.shape === 'string' && /[9Aa]/.test(p.shape)) out.pattern = patternOf(p.shape);
    }
  }
  const total = n + p.nulls;
  out.max_null_share = p.nulls === 0 ? 0 : roundUp(Math.min(1, (2 * p.nulls) / Math.max(1, total)));
  return out;
}

/** The observed range widened by 10% of its width each side, not across zero, rounded outward. */
export function widened(min: number, max: number, integer: boolean): [number, number] {
  const margin = (max - min) * 0.1 || Math.abs(max) * 0.1 || 1;
  let low = min - margin;
  let high = max + margin;
  if (min >= 0 && low < 0) low = 0;
  if (max <= 0 && high > 0) high = 0;
  if (integer) return [Math.floor(low), Math.ceil(high)];
  const step = 10 ** (Math.floor(Math.log10(margin)) - 1);
  return [clean(Math.floor(low / step) * step), clean(Math.ceil(high / step) * step)];
}

function clean(x: number): number {
  return Number(x.toPrecision(12));
}

function roundUp(share: number): number {
  if (share >= 1) return 1;
  const step = 10 ** (Math.floor(Math.log10(share)) - 1);
  return clean(Math.min(1, Math.ceil(share / step) * step));
}

/** "9999-AAAAA" → ^[0-9]{4}-[A-Z]{5}$ */
export function patternOf(shape: string): string {
  let out = '';
  for (let i = 0; i < shape.length; ) {
    const ch = shape[i];
    let j = i;
    while (j < shape.length && shape[j] === ch) j++;
    const run = j - i;
    const cls = ch === '9' ? '[0-9]' : ch === 'A' ? '[A-Z]' : ch === 'a' ? '[a-z]' : ch.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    out += ch === '9' || ch === 'A' || ch === 'a' ? (run === 1 ? cls : `${cls}{${run}}`) : cls.repeat(run);
    i = j;
  }
  return `^${out}$`;
}

/** The proposed entry as YAML: `name:` with path, columns (one flow mapping each), rows and extra_columns. */
export function inferredYaml(d: InferredDataset, options: { withDataKey: boolean; indent?: number } = { withDataKey: true }): string {
  const body = {
    path: d.path,
    columns: Object.fromEntries(d.columns.map((c) => [c.name, c.expectations])),
    rows: { min: Math.max(1, Math.floor(d.rows / 2)) },
    extra_columns: 'warn',
  };
  const doc = new Document(options.withDataKey ? { data: { [d.name]: body } } : { [d.name]: body });
  const root = options.withDataKey ? (doc.get('data') as YAMLMap) : (doc.contents as YAMLMap);
  const entry = root.get(d.name) as YAMLMap;
  const columns = entry.get('columns') as YAMLMap;
  for (const item of columns.items) if (isMap(item.value)) item.value.flow = true;
  (entry.get('rows') as YAMLMap).flow = true;
  // Values that YAML would read as something else stay strings ("No", "Yes" are strings in YAML 1.2, "1.0" is not).
  for (const item of columns.items) {
    if (!isMap(item.value)) continue;
    const values = item.value.get('values', true);
    if (values && 'items' in values) for (const v of (values as { items: unknown[] }).items) if (isScalar(v) && typeof v.value === 'string') v.type = 'QUOTE_DOUBLE';
  }
  const text = doc.toString({ lineWidth: 0, flowCollectionPadding: true, indent: options.indent ?? 2 });
  return text;
}
