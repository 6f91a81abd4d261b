/**
 * How a table's columns feed a model's inputs, and the cells of a batch of rows as input tensors.
 *
 * - Every input named after a column (skl2onnx's one input per DataFrame column): each takes its
 *   column, one value per row (or a list of values per row, for a wider input, from JSON Lines or
 *   Parquet).
 * - One input `[N, k]`: k feature columns, named by the model's `feature_names` metadata, else by the
 *   header of the model's monitoring reference, else by `--features`; a file of exactly k columns
 *   feeds them in order.
 *
 * Cells that do not fit (text for a number, a fraction for an integer, a missing value where the
 * model has no way to take one) are problems of that row and column; the row is not scored.
 */
import { isMissingCell } from '../data/cells';
import type { Cell } from '../data/types';
import { allocate, floatToHalf, type Datatype, type HostTensor, type TensorData } from '../serving/dtypes';
import type { TensorSpec } from '../serving/sessions';

export class ColumnMappingError extends Error {
  override name = 'ColumnMappingError';
}

export interface InputFeed {
  spec: TensorSpec;
  /** Values per row: the product of the input's dimensions after the first. */
  width: number;
  /** File column indices: `width` of them, or one holding a list of `width` values. */
  columns: number[];
  fromList: boolean;
}

export interface InputPlan {
  feeds: InputFeed[];
  /** File columns that are not model inputs: carried into the output as they are. */
  passThrough: number[];
  /** Where the feature names came from, for the summary. */
  mapping: string;
}

export interface PlanSources {
  /** The model's `feature_names` metadata. */
  featureNames?: string[];
  /** The header of the model's monitoring reference, with where it is. */
  reference?: { names: string[]; path: string };
  /** Named by the user (`--features`). */
  explicit?: string[];
}

export function planInputs(columns: string[], inputs: readonly TensorSpec[], sources: PlanSources): InputPlan {
  const index = new Map(columns.map((c, i) => [c, i]));
  for (const spec of inputs) {
    if (spec.shape.length === 0 || spec.shape[0] !== -1) {
      throw new ColumnMappingError(`the model's input ${spec.name} has the fixed shape [${spec.shape.join(', ')}]: rows can only be scored when its first dimension is free`);
    }
    if (spec.shape.slice(1).some((d) => d < 0)) throw new ColumnMappingError(`the model's input ${spec.name} has a free dimension after the first ([${spec.shape.join(', ')}]): its values per row are not known`);
  }
  const widthOf = (spec: TensorSpec) => spec.shape.slice(1).reduce((a, b) => a * b, 1);
  const used = new Set<number>();
  const feeds: InputFeed[] = [];
  let mapping: string;
  if (inputs.length > 1 || (inputs.length === 1 && index.has(inputs[0].name) && !sources.explicit)) {
    const missing = inputs.filter((i) => !index.has(i.name)).map((i) => i.name);
    if (missing.length > 0) throw new ColumnMappingError(`the file has no column for the model's input${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (its columns: ${preview(columns)})`);
    for (const spec of inputs) {
      const c = index.get(spec.name)!;
      used.add(c);
      const width = widthOf(spec);
      feeds.push({ spec, width, columns: [c], fromList: width > 1 });
    }
    mapping = 'one column per input';
  } else {
    const spec = inputs[0];
    const width = widthOf(spec);
    let names: string[] | undefined;
    // A reference is only a hint (it may hold a label column too); names the user or the model gave are binding.
    const candidates: { where: string; list: string[] | undefined; binding: boolean }[] = [
      { where: '--features', list: sources.explicit, binding: true },
      { where: "the model's feature_names", list: sources.featureNames, binding: true },
      { where: `the header of ${sources.reference?.path ?? 'the reference'}`, list: sources.reference?.names.slice(0, width), binding: false },
    ];
    for (const { where, list, binding } of candidates) {
      if (!list) continue;
      if (list.length !== width) {
        if (binding) throw new ColumnMappingError(`${where} names ${list.length} columns; the model's input ${spec.name} takes ${width} per row`);
        continue;
      }
      const absent = list.filter((n) => !index.has(n));
      if (absent.length === 0) {
        names = list;
        mapping = `${width} feature columns named by ${where}`;
        break;
      }
      if (binding) throw new ColumnMappingError(`the file has no column${absent.length > 1 ? 's' : ''} ${preview(absent)}, which ${where} names as features of input ${spec.name} (the file's columns: ${preview(columns)})`);
    }
    if (!names) {
      if (columns.length !== width) {
        throw new ColumnMappingError(`the model's input ${spec.name} takes ${width} values per row and names no features; the file has ${columns.length} columns (${preview(columns)}): name the ${width} feature columns with --features`);
      }
      names = columns;
      mapping = `all ${width} columns, in the file's order`;
    }
    const cols = names.map((n) => index.get(n)!);
    cols.forEach((c) => used.add(c));
    feeds.push({ spec, width, columns: cols, fromList: false });
  }
  return { feeds, passThrough: columns.map((_, i) => i).filter((i) => !used.has(i)), mapping: mapping! };
}

function preview(names: string[]): string {
  return names.length > 8 ? `${names.slice(0, 8).join(', ')}, …` : names.join(', ');
}

export interface CellProblem {
  /** Index of the row in the batch. */
  index: number;
  column: string;
  message: string;
}

/**
 * The batch's rows as input tensors, leaving out rows with a problem. `ok[i]` says whether row i
 * is in the tensors.
 */
export function encodeRows(plan: InputPlan, columns: string[], rows: readonly (Cell[] | null)[], allowMissing: boolean): { tensors: Map<string, HostTensor>; ok: Uint8Array; scored: number; problems: CellProblem[] } {
  const ok = new Uint8Array(rows.length);
  const problems: CellProblem[] = [];
  const parsers = plan.feeds.map((f) => cellReader(f.spec.datatype, allowMissing));
  const buffers = plan.feeds.map((f) => allocate(f.spec.datatype, rows.length * f.width));
  let n = 0;
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r];
    if (!row) continue;
    let good = true;
    for (let f = 0; f < plan.feeds.length && good; f++) {
      const feed = plan.feeds[f];
      const data = buffers[f];
      const base = n * feed.width;
      if (feed.fromList) {
        const values = flatten(row[feed.columns[0]]);
        const name = columns[feed.columns[0]];
        if (!values || values.length !== feed.width) {
          problems.push({ index: r, column: name, message: `needs a list of ${feed.width} values, got ${describe(row[feed.columns[0]])}` });
          good = false;
          break;
        }
        for (let j = 0; j < feed.width; j++) {
          const why = parsers[f](values[j], data, base + j);
          if (why) {
            problems.push({ index: r, column: name, message: `element ${j}: ${why}` });
            good = false;
            break;
          }
        }
      } else {
        for (let j = 0; j < feed.width; j++) {
          const c = feed.columns[j];
          const why = parsers[f](row[c], data, base + j);
          if (why) {
            problems.push({ index: r, column: columns[c], message: why });
            good = false;
          }
        }
      }
    }
    if (good) {
      ok[r] = 1;
      n++;
    }
  }
  const tensors = new Map<string, HostTensor>();
  plan.feeds.forEach((feed, f) => {
    const data = n === rows.length ? buffers[f] : (buffers[f].slice(0, n * feed.width) as TensorData);
    tensors.set(feed.spec.name, { datatype: feed.spec.datatype, shape: [n, ...feed.spec.shape.slice(1)], data });
  });
  return { tensors, ok, scored: n, problems };
}

function flatten(v: Cell): Cell[] | undefined {
  if (typeof v === 'string' && v.trimStart().startsWith('[')) {
    try {
      v = JSON.parse(v) as Cell;
    } catch {
      return undefined;
    }
  }
  if (!Array.isArray(v)) return undefined;
  return v.flat(Infinity as 1) as Cell[];
}

function describe(v: Cell): string {
  if (v === null) return 'a missing value';
  if (typeof v === 'string') return v.length > 24 ? `"${v.slice(0, 24)}…"` : `"${v}"`;
  if (Array.isArray(v)) return `a list of ${v.length}`;
  if (typeof v === 'object') return 'an object';
  return String(v);
}

const NUMBER = /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/;
const INTEGER = /^\s*[+-]?\d+\s*$/;
const NON_FINITE: Record<string, number> = { inf: Infinity, '+inf': Infinity, '-inf': -Infinity, infinity: Infinity, '+infinity': Infinity, '-infinity': -Infinity };

type Store = (v: Cell, data: TensorData, at: number) => string | undefined;

/** A function that stores a cell into tensor data of `datatype`, or says why it cannot. */
function cellReader(datatype: Datatype, allowMissing: boolean): Store {
  const missing = allowMissing ? undefined : 'a missing value, and the model has no way to take one (no imputer or tree in its graph)';
  const float = (v: Cell): number | string => {
    if (typeof v === 'string') {
      // Fast path for plain decimals ("12", "-0.5", "1e-3"); Number alone would also take "", " ", "0x1f".
      const c = v.charCodeAt(0);
      if ((c >= 48 && c <= 57) || c === 45 || c === 46) {
        const x = Number(v);
        const second = v.charCodeAt(1);
        if (x === x && !(second === 120 || second === 98 || second === 111 || second === 88 || second === 66 || second === 79)) return x;
      }
    }
    if (typeof v === 'number') return Number.isNaN(v) && !allowMissing ? (missing as string) : v;
    if (typeof v === 'bigint') return Number(v);
    if (v === null || (typeof v === 'string' && isMissingCell(v))) return allowMissing ? NaN : (missing as string);
    if (typeof v === 'string') {
      if (NUMBER.test(v)) return Number(v);
      const inf = NON_FINITE[v.trim().toLowerCase()];
      if (inf !== undefined) return inf;
    }
    return `${describe(v)} is not a number`;
  };
  switch (datatype) {
    case 'FP32':
    case 'FP64':
      return (v, data, at) => {
        const x = float(v);
        if (typeof x === 'string') return x;
        (data as Float32Array)[at] = x;
        return undefined;
      };
    case 'FP16':
      return (v, data, at) => {
        const x = float(v);
        if (typeof x === 'string') return x;
        (data as Uint16Array)[at] = floatToHalf(x);
        return undefined;
      };
    case 'BOOL':
      return (v, data, at) => {
        const b = typeof v === 'boolean' ? v : typeof v === 'number' && (v === 0 || v === 1) ? v === 1 : typeof v === 'string' ? BOOLS[v.trim().toLowerCase()] : undefined;
        if (b === undefined) return v === null || (typeof v === 'string' && isMissingCell(v)) ? 'a missing value, and a boolean input has none' : `${describe(v)} is not true/false`;
        (data as Uint8Array)[at] = b ? 1 : 0;
        return undefined;
      };
    case 'BYTES':
      return (v, data, at) => {
        if (v === null) return 'a missing value';
        (data as string[])[at] = typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v);
        return undefined;
      };
    case 'INT64':
    case 'UINT64':
      return (v, data, at) => {
        let x: bigint | undefined;
        if (typeof v === 'bigint') x = v;
        else if (typeof v === 'number' && Number.isSafeInteger(v)) x = BigInt(v);
        else if (typeof v === 'string' && INTEGER.test(v)) x = BigInt(v.trim());
        if (x === undefined) return v === null || (typeof v === 'string' && isMissingCell(v)) ? 'a missing value, and an integer input has none' : `${describe(v)} is not an integer`;
        if (datatype === 'UINT64' ? x < 0n || x >= 2n ** 64n : x < -(2n ** 63n) || x >= 2n ** 63n) return `${x} is out of range for ${datatype}`;
        (data as BigInt64Array)[at] = x;
        return undefined;
      };
    default:
      return (v, data, at) => {
        const x = typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : typeof v === 'string' && INTEGER.test(v) ? Number(v) : undefined;
        if (x === undefined || !Number.isInteger(x)) return v === null || (typeof v === 'string' && isMissingCell(v)) ? 'a missing value, and an integer input has none' : `${describe(v)} is not an integer`;
        const [lo, hi] = INT_RANGE[datatype] ?? [-Infinity, Infinity];
        if (x < lo || x > hi) return `${x} is out of range for ${datatype}`;
        (data as Int32Array)[at] = x;
        return undefined;
      };
  }
}

const BOOLS: Record<string, boolean | undefined> = { true: true, false: false, '1': true, '0': false, yes: true, no: false };

const INT_RANGE: Partial<Record<Datatype, [number, number]>> = {
  UINT8: [0, 0xff],
  UINT16: [0, 0xffff],
  UINT32: [0, 0xffffffff],
  INT8: [-0x80, 0x7f],
  INT16: [-0x8000, 0x7fff],
  INT32: [-0x80000000, 0x7fffffff],
};
