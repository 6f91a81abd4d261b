/**
 * An endpoint's answer for a slice of rows against a local version's outputs for the same rows:
 * labels (integers, booleans, strings) must be equal, scores (floats) within
 * |got − expected| ≤ absolute + relative·|expected|, NumPy's isclose.
 */
import { elementEncoder, halfToFloat, type HostTensor } from '../serving/dtypes';
import type { ModelSignature } from '../serving/sessions';
import { isFloat } from './protocols';

export interface Tolerance {
  absolute: number;
  relative: number;
}

/** One row's first disagreement on one output. */
export interface Mismatch {
  /** Index of the row among those sent. */
  index: number;
  output: string;
  kind: 'label' | 'score' | 'missing' | 'shape';
  /** Element within the row, for outputs of several values a row. */
  element?: number;
  expected?: string;
  got?: string;
  /** |got − expected|, for scores. */
  diff?: number;
  message?: string;
}

/**
 * Rows [start, start + n) of `expected` against the answer's flat values. A missing output or one
 * of the wrong size is one mismatch at the slice's first row; otherwise one per row and output.
 */
export function compareAnswer(outputs: ReadonlyMap<string, unknown[]>, signature: ModelSignature, expected: ReadonlyMap<string, HostTensor>, start: number, n: number, tol: Tolerance): Mismatch[] {
  const found: Mismatch[] = [];
  for (const spec of signature.outputs) {
    const want = expected.get(spec.name)!;
    const width = want.shape.slice(1).reduce((a, b) => a * b, 1);
    const got = outputs.get(spec.name);
    if (!got) {
      found.push({ index: start, output: spec.name, kind: 'missing', message: `the answer has no output ${spec.name} (it has ${[...outputs.keys()].join(', ') || 'none'})` });
      continue;
    }
    if (got.length !== n * width) {
      found.push({ index: start, output: spec.name, kind: 'shape', message: `output ${spec.name}: expected ${n * width} values (${n} row${n === 1 ? '' : 's'} of ${width}), got ${got.length}` });
      continue;
    }
    const text = elementEncoder(want.datatype);
    const float = isFloat(spec);
    for (let r = 0; r < n; r++) {
      for (let j = 0; j < width; j++) {
        const at = (start + r) * width + j;
        const g = got[r * width + j];
        const element = width > 1 ? j : undefined;
        if (float) {
          const e = want.datatype === 'FP16' ? halfToFloat((want.data as Uint16Array)[at]) : (want.data as Float32Array)[at];
          const x = asNumber(g);
          const same = x !== undefined && (Number.isNaN(e) ? Number.isNaN(x) : x === e || Math.abs(x - e) <= tol.absolute + tol.relative * Math.abs(e));
          if (!same) {
            found.push({ index: start + r, output: spec.name, kind: 'score', element, expected: text(want.data, at), got: shown(g), diff: x === undefined ? undefined : Math.abs(x - e) });
            break;
          }
        } else {
          const e = text(want.data, at);
          if (!sameLabel(g, e, want)) {
            found.push({ index: start + r, output: spec.name, kind: 'label', element, expected: e, got: shown(g) });
            break;
          }
        }
      }
    }
  }
  return found;
}

/** A float as JSON numbers or the strings servers write for non-finite values. */
function asNumber(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v !== 'string') return undefined;
  const special: Record<string, number> = { nan: NaN, inf: Infinity, infinity: Infinity, '-inf': -Infinity, '-infinity': -Infinity };
  const s = special[v.trim().toLowerCase()];
  if (s !== undefined) return s;
  const x = Number(v);
  return v.trim() !== '' && !Number.isNaN(x) ? x : undefined;
}

/** Equal as values: 1, "1" and 1.0 are the label 1; true and 1 the boolean true; a string is compared as it is. */
function sameLabel(got: unknown, expected: string, want: HostTensor): boolean {
  if (want.datatype === 'BYTES') return JSON.stringify(got) === expected || (typeof got !== 'string' && String(got) === JSON.parse(expected));
  if (want.datatype === 'BOOL') return (got === true || got === 1 || got === 'true') === (expected === 'true') && (typeof got === 'boolean' || got === 0 || got === 1 || got === 'true' || got === 'false');
  if (typeof got === 'number') return Number.isInteger(got) && BigInt(got) === BigInt(expected);
  return typeof got === 'string' && /^\s*-?\d+\s*$/.test(got) && BigInt(got.trim()) === BigInt(expected);
}

function shown(v: unknown): string {
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}
