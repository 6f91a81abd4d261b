/**
 * The serving door's check: a request's input tensors against the expectations of the model's input
 * data set that apply to one row — type, min/max, values, pattern, and no null where max_null_share
 * is 0. (Uniqueness, shares and row counts are about a whole table, not a request.) Columns are the
 * model's named inputs, or for one [N, k] input the data set's listed columns in order, when k of
 * them are listed.
 */
import { canonicalValue, type ColumnSpec, type DatasetSpec } from './spec';

/** What the checker needs of a tensor: its values row-major, and its shape. */
export interface RowTensor {
  shape: readonly number[];
  data: ArrayLike<number | bigint | string | boolean>;
  /** V2's datatype; FP16 tensors (half-float bits) are not checked. */
  datatype?: string;
}

export interface RowViolation {
  /** Row of the request's batch, from 1. */
  row: number;
  column: string;
  expectation: 'type' | 'min' | 'max' | 'values' | 'pattern' | 'null';
  /** The value as text. */
  value: string;
  message: string;
}

/** How each checked column reads out of the inputs: input name, the column's stride and offset. */
interface ColumnSource {
  spec: ColumnSpec;
  input: string;
  width: number;
  offset: number;
  /** The tensor holds float32s: bounds and listed numbers are compared as float32s (7.9 as sent is 7.900000095). */
  float32: boolean;
  /** Listed values that are numbers, as doubles and as float32s. */
  numbers?: Set<number>;
}

/** At most this many violations are collected per request: enough to say what is wrong. */
const MAX_VIOLATIONS = 20;

export class RowChecker {
  private sourcesBySignature = new Map<string, ColumnSource[]>();

  constructor(readonly spec: DatasetSpec) {}

  /** The violations of every row of the request (at most MAX_VIOLATIONS), in row order. */
  check(inputs: ReadonlyMap<string, RowTensor>): RowViolation[] {
    const sources = this.sources(inputs);
    const out: RowViolation[] = [];
    for (const s of sources) {
      const t = inputs.get(s.input)!;
      const rows = t.shape.length === 0 ? 1 : t.shape[0];
      for (let r = 0; r < rows && out.length < MAX_VIOLATIONS; r++) {
        const v = t.data[r * s.width + s.offset];
        const problem = checkValue(s, v);
        if (problem) out.push({ row: r + 1, column: s.spec.name, expectation: problem.expectation, value: String(v), message: `row ${r + 1}, \`${s.spec.name}\` = ${typeof v === 'string' ? JSON.stringify(v) : String(v)}: ${problem.message}` });
      }
    }
    return out.sort((a, b) => a.row - b.row);
  }

  /** Column sources for the inputs' names and shapes (the same for every request of a version: kept). */
  private sources(inputs: ReadonlyMap<string, RowTensor>): ColumnSource[] {
    const key = [...inputs].map(([name, t]) => `${name}:${t.shape.slice(1).join('x')}`).join('|');
    let sources = this.sourcesBySignature.get(key);
    if (sources) return sources;
    sources = [];
    const columns = this.spec.columns;
    for (const c of columns) {
      const t = inputs.get(c.name);
      if (t && t.datatype !== 'FP16' && t.shape.slice(1).every((d) => d === 1)) sources.push(source(c, c.name, t, 1, 0));
    }
    if (sources.length === 0 && inputs.size === 1) {
      const [name, t] = [...inputs][0];
      const k = t.shape.length === 2 && t.datatype !== 'FP16' ? t.shape[1] : -1;
      if (k === columns.length) columns.forEach((c, j) => sources!.push(source(c, name, t, k, j)));
    }
    if (this.sourcesBySignature.size > 16) this.sourcesBySignature.clear();
    this.sourcesBySignature.set(key, sources);
    return sources;
  }
}

function source(spec: ColumnSpec, input: string, t: RowTensor, width: number, offset: number): ColumnSource {
  const float32 = t.data instanceof Float32Array;
  const numbers = spec.values ? new Set([...spec.values.set].map(Number).filter((n) => !Number.isNaN(n)).flatMap((n) => [n, Math.fround(n)])) : undefined;
  return { spec, input, width, offset, float32, numbers };
}

const isNull = (v: unknown) => v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v)) || v === '';

function checkValue(s: ColumnSource, v: number | bigint | string | boolean | undefined): { expectation: RowViolation['expectation']; message: string } | undefined {
  const c = s.spec;
  if (isNull(v)) return c.maxNullShare?.value === 0 ? { expectation: 'null', message: 'a null where max_null_share is 0' } : undefined;
  let bounded: number | undefined = typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : undefined;
  switch (c.type) {
    case 'integer':
      if (bounded === undefined || !Number.isInteger(bounded)) return { expectation: 'type', message: 'not an integer' };
      break;
    case 'number':
      if (bounded === undefined || !Number.isFinite(bounded)) return { expectation: 'type', message: 'not a number' };
      break;
    case 'boolean':
      if (!(typeof v === 'boolean' || bounded === 0 || bounded === 1)) return { expectation: 'type', message: 'not a boolean' };
      break;
    case 'string':
    case 'category':
      if (typeof v !== 'string') return { expectation: 'type', message: `not text (the column is ${c.type})` };
      break;
    case 'date':
    case 'datetime': {
      const ms = typeof v === 'string' ? c.dateFormat?.parse(v) : undefined;
      if (ms === undefined) return { expectation: 'type', message: `not a ${c.type} in ${c.dateFormat?.text}` };
      bounded = ms;
      break;
    }
  }
  const bound = (x: number) => (s.float32 ? Math.fround(x) : x);
  if (c.min && !(bounded !== undefined && bounded >= bound(c.min.value))) return { expectation: 'min', message: `below ${c.min.rule.label}` };
  if (c.max && !(bounded !== undefined && bounded <= bound(c.max.value))) return { expectation: 'max', message: `above ${c.max.rule.label}` };
  if (c.values && v !== undefined) {
    const listed = typeof v === 'number' && s.numbers ? s.numbers.has(v) : c.values.set.has(canonicalValue(v, c.type));
    if (!listed) return { expectation: 'values', message: 'not among the listed values' };
  }
  if (c.pattern && typeof v === 'string' && !c.pattern.regex.test(v)) return { expectation: 'pattern', message: `does not match ${c.pattern.rule.label}` };
  return undefined;
}
