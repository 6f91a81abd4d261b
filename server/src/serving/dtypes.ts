import { badRequest } from './errors';
import { describeValue } from './json';

/** Tensor datatypes of the Open Inference Protocol (KServe V2) that ONNX Runtime can carry. */
export const DATATYPES = ['BOOL', 'UINT8', 'UINT16', 'UINT32', 'UINT64', 'INT8', 'INT16', 'INT32', 'INT64', 'FP16', 'FP32', 'FP64', 'BYTES'] as const;
export type Datatype = (typeof DATATYPES)[number];

/** onnxruntime-node's tensor type names. */
export type OrtType = 'bool' | 'uint8' | 'uint16' | 'uint32' | 'uint64' | 'int8' | 'int16' | 'int32' | 'int64' | 'float16' | 'float32' | 'float64' | 'string';

export type TensorData =
  | Uint8Array
  | Uint16Array
  | Uint32Array
  | BigUint64Array
  | Int8Array
  | Int16Array
  | Int32Array
  | BigInt64Array
  | Float32Array
  | Float64Array
  | string[];

/** A tensor outside ONNX Runtime. FP16 data is the IEEE half bits in a Uint16Array (Node 20 has no Float16Array); BOOL is 0/1 bytes. */
export interface HostTensor {
  datatype: Datatype;
  shape: number[];
  data: TensorData;
}

const ORT_TYPES: Record<Datatype, OrtType> = {
  BOOL: 'bool',
  UINT8: 'uint8',
  UINT16: 'uint16',
  UINT32: 'uint32',
  UINT64: 'uint64',
  INT8: 'int8',
  INT16: 'int16',
  INT32: 'int32',
  INT64: 'int64',
  FP16: 'float16',
  FP32: 'float32',
  FP64: 'float64',
  BYTES: 'string',
};
const FROM_ORT = new Map(Object.entries(ORT_TYPES).map(([dt, ort]) => [ort as string, dt as Datatype]));

export const ortTypeOf = (datatype: Datatype): OrtType => ORT_TYPES[datatype];
/** Undefined for ONNX types the protocol has no datatype for (int4, uint4, ...). */
export const datatypeOfOrt = (ortType: string): Datatype | undefined => FROM_ORT.get(ortType);
export const isDatatype = (value: unknown): value is Datatype => typeof value === 'string' && (DATATYPES as readonly string[]).includes(value);

const INT_RANGES: Partial<Record<Datatype, [number, number]>> = {
  UINT8: [0, 0xff],
  UINT16: [0, 0xffff],
  UINT32: [0, 0xffffffff],
  INT8: [-0x80, 0x7f],
  INT16: [-0x8000, 0x7fff],
  INT32: [-0x80000000, 0x7fffffff],
};
const BIG_RANGES: Partial<Record<Datatype, [bigint, bigint]>> = {
  INT64: [-(2n ** 63n), 2n ** 63n - 1n],
  UINT64: [0n, 2n ** 64n - 1n],
};

type NumericArrayCtor = new (length: number) => Exclude<TensorData, string[] | BigInt64Array | BigUint64Array>;
const NUMBER_ARRAYS: Partial<Record<Datatype, NumericArrayCtor>> = {
  BOOL: Uint8Array,
  UINT8: Uint8Array,
  UINT16: Uint16Array,
  UINT32: Uint32Array,
  INT8: Int8Array,
  INT16: Int16Array,
  INT32: Int32Array,
  FP16: Uint16Array,
  FP32: Float32Array,
  FP64: Float64Array,
};

export function allocate(datatype: Datatype, length: number): TensorData {
  if (datatype === 'BYTES') return new Array<string>(length).fill('');
  if (datatype === 'INT64') return new BigInt64Array(length);
  if (datatype === 'UINT64') return new BigUint64Array(length);
  return new (NUMBER_ARRAYS[datatype] as NumericArrayCtor)(length);
}

/** JSON has no NaN or Infinity: these strings stand for them, in requests and in responses. */
const NON_FINITE: Record<string, number> = { NaN: NaN, Infinity: Infinity, '-Infinity': -Infinity };

/**
 * Convert JSON values into tensor data of `datatype`, rejecting anything that would change value:
 * fractions or out-of-range numbers for integer types, int64 numbers beyond 2^53 (JSON.parse has
 * already rounded them; such values must come as decimal strings), strings other than the
 * non-finite names for floats, anything but true/false for BOOL.
 */
export function decodeValues(datatype: Datatype, values: readonly unknown[], label: string): TensorData {
  const out = allocate(datatype, values.length);
  const fail = (i: number, expected: string) =>
    badRequest(`${label} (${datatype}): element ${i} is ${describeValue(values[i])}; expected ${expected}`);
  switch (datatype) {
    case 'BYTES':
      values.forEach((v, i) => {
        if (typeof v !== 'string') throw fail(i, 'a string');
        (out as string[])[i] = v;
      });
      return out;
    case 'BOOL':
      values.forEach((v, i) => {
        if (typeof v !== 'boolean') throw fail(i, 'true or false');
        (out as Uint8Array)[i] = v ? 1 : 0;
      });
      return out;
    case 'FP16':
    case 'FP32':
    case 'FP64': {
      const target = out as Float32Array | Float64Array | Uint16Array;
      values.forEach((v, i) => {
        const n = typeof v === 'number' ? v : typeof v === 'string' ? NON_FINITE[v] : undefined;
        if (n === undefined) throw fail(i, 'a number, or "NaN", "Infinity" or "-Infinity"');
        target[i] = datatype === 'FP16' ? floatToHalf(n) : n;
      });
      return out;
    }
    case 'INT64':
    case 'UINT64': {
      const [min, max] = BIG_RANGES[datatype] as [bigint, bigint];
      const expected = `an integer in [${min}, ${max}] (beyond 2^53 as a decimal string)`;
      const target = out as BigInt64Array | BigUint64Array;
      values.forEach((v, i) => {
        const big = toBigInt(v);
        if (big === undefined || big < min || big > max) throw fail(i, expected);
        target[i] = big;
      });
      return out;
    }
    default: {
      const [min, max] = INT_RANGES[datatype] as [number, number];
      const target = out as Exclude<TensorData, string[] | BigInt64Array | BigUint64Array>;
      values.forEach((v, i) => {
        if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw fail(i, `an integer in [${min}, ${max}]`);
        target[i] = v;
      });
      return out;
    }
  }
}

function toBigInt(value: unknown): bigint | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? BigInt(value) : undefined;
  if (typeof value === 'string' && /^-?\d{1,20}$/.test(value)) return BigInt(value);
  return undefined;
}

/** JSON text of one element. Integers of every width are exact digits; non-finite floats are strings. */
export function elementEncoder(datatype: Datatype): (data: TensorData, i: number) => string {
  switch (datatype) {
    case 'BYTES':
      return (d, i) => JSON.stringify((d as string[])[i]);
    case 'BOOL':
      return (d, i) => ((d as Uint8Array)[i] ? 'true' : 'false');
    case 'FP32':
      return (d, i) => float32Text((d as Float32Array)[i]);
    case 'FP64':
      return (d, i) => floatText((d as Float64Array)[i]);
    case 'FP16':
      return (d, i) => halfText((d as Uint16Array)[i]);
    default:
      return (d, i) => String((d as Int32Array)[i]);
  }
}

const flatCache = new WeakMap<TensorData, string>();

/**
 * Flat row-major JSON array of all elements. Remembered per data array: a response and its log
 * row serialize the same output tensor.
 */
export function encodeAll(datatype: Datatype, data: TensorData): string {
  let text = flatCache.get(data);
  if (text === undefined) flatCache.set(data, (text = encodeFlat(datatype, data)));
  return text;
}

/** Flat row-major JSON array of elements [start, end). */
export function encodeFlat(datatype: Datatype, data: TensorData, start = 0, end = data.length): string {
  const encode = elementEncoder(datatype);
  const parts = new Array<string>(end - start);
  for (let i = start; i < end; i++) parts[i - start] = encode(data, i);
  return `[${parts.join(',')}]`;
}

/** Nested JSON arrays for `shape`, starting at element `offset` (a scalar when shape is []). */
export function encodeNested(datatype: Datatype, data: TensorData, shape: readonly number[], offset = 0): string {
  const encode = elementEncoder(datatype);
  const walk = (dim: number, at: number): string => {
    if (dim === shape.length) return encode(data, at);
    const stride = shape.slice(dim + 1).reduce((a, b) => a * b, 1);
    const parts: string[] = [];
    for (let k = 0; k < shape[dim]; k++) parts.push(walk(dim + 1, at + k * stride));
    return `[${parts.join(',')}]`;
  };
  return walk(0, offset);
}

function floatText(v: number): string {
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  return Number.isFinite(v) ? String(v) : `"${v}"`;
}

/** The shortest decimal that reads back as the same float32, so 0.1f prints as 0.1, not 0.10000000149011612. */
function float32Text(v: number): string {
  if (v === 0 || !Number.isFinite(v)) return floatText(v);
  // Below 2^24 the scaled digits of a value whose double text is short are that text; above, an
  // integer such as 97336712 keeps its exact digits rather than an equally long 97336710.
  const scaled = Math.abs(v) < 16_777_216 ? float32Scaled(v) : undefined;
  if (scaled !== undefined) return scaled;
  // Short double text (0.5, 3, 1e-3 as a float32...) already reads back exactly; skip the search.
  const plain = String(v);
  return plain.length <= 8 ? plain : float32Scaled(v) ?? float32Searched(v);
}

/** Exact powers of ten as doubles (10^22 is the last one a double holds exactly). */
const POW10 = Array.from({ length: 23 }, (_, k) => 10 ** k);

/**
 * The same answer as float32Searched, without formatting text for each try: v scaled to p significant
 * digits as an integer d, then d / 10^k read back. That one division gives the double nearest the
 * decimal — what parsing its text gives — so the read-back test is the same. Undefined where that
 * would not hold: scales beyond 10^22 (inexact powers) and products too near a rounding tie, where
 * the rounding of the scaling itself could pick the other neighbour.
 */
function float32Scaled(v: number): string | undefined {
  const a = Math.abs(v);
  // log10 can be one off next to powers of ten: then d has the wrong number of digits, and the search answers.
  const e = Math.floor(Math.log10(a));
  for (let p = 6; p <= 8; p++) {
    const k = p - 1 - e;
    if (k > 22 || k < -22) return undefined;
    const scaled = k >= 0 ? a * POW10[k] : a / POW10[-k];
    const floor = Math.floor(scaled);
    // A carry to p + 1 digits (9.9999995 → 10.000000), or e one off, is left to the search.
    if (floor + 1 >= POW10[p] || floor < POW10[p - 1]) return undefined;
    const readsBack = (d: number) => Math.fround(k >= 0 ? d / POW10[k] : d * POW10[-k]) === a;
    if (Math.abs(scaled - floor - 0.5) < 1e-6) {
      // Next to a tie the scaling's rounding might pick the wrong neighbour: go on only when neither
      // p-digit neighbour reads back (as with 0.19140625 at 7 digits), else let the search decide.
      if (readsBack(floor) || readsBack(floor + 1)) return undefined;
      continue;
    }
    const d = Math.round(scaled);
    if (readsBack(d)) {
      const s = k >= 0 ? d / POW10[k] : d * POW10[-k];
      return String(v < 0 ? -s : s);
    }
  }
  return undefined;
}

function float32Searched(v: number): string {
  // 9 significant digits always read back; most values need 8 or 9, so start at 8 and go down
  // while it still reads back (if p digits do, p + 1 do too: the nearest p + 1 digit decimal is
  // at least as close as the p digit one).
  const eight = float32Digits(v, 8);
  if (eight === undefined) return String(Number(v.toExponential(8)));
  const seven = float32Digits(v, 7);
  if (seven === undefined) return eight;
  return float32Digits(v, 6) ?? seven;
}

/** v to p significant digits, if that reads back as the same float32 (toExponential: faster than toPrecision in V8). */
function float32Digits(v: number, p: number): string | undefined {
  const s = Number(v.toExponential(p - 1));
  return Math.fround(s) === v ? String(s) : undefined;
}

/** For tests: the search the scaled path must agree with. */
export const float32TextForTest = { scaled: float32Scaled, searched: float32Searched };

function halfText(bits: number): string {
  const v = halfToFloat(bits);
  if (v === 0 || !Number.isFinite(v)) return floatText(v);
  for (let p = 3; p < 5; p++) {
    const s = Number(v.toPrecision(p));
    if (floatToHalf(s) === bits) return String(s);
  }
  return String(Number(v.toPrecision(5)));
}

/** IEEE 754 half bits for a number, rounding to nearest even directly from the double (no float32 step). */
export function floatToHalf(value: number): number {
  if (Number.isNaN(value)) return 0x7e00;
  const sign = value < 0 || Object.is(value, -0) ? 0x8000 : 0;
  const a = Math.abs(value);
  // 65520 is halfway between the largest half (65504) and 2^16: it and anything above round to infinity.
  if (a >= 65520) return sign | 0x7c00;
  if (a < 2 ** -14) return sign | roundHalfEven(a * 2 ** 24); // subnormal; 1024 carries into the smallest normal
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e--;
  else if (2 ** (e + 1) <= a) e++;
  const mantissa = roundHalfEven((a / 2 ** e - 1) * 1024); // exact: scaling by powers of two
  return sign | (((e + 15) << 10) + mantissa); // a mantissa of 1024 carries into the exponent, as it should
}

export function halfToFloat(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 31) return mantissa ? NaN : sign * Infinity;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

function roundHalfEven(x: number): number {
  const floor = Math.floor(x);
  const rest = x - floor;
  if (rest > 0.5) return floor + 1;
  if (rest < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

/** Elements of `data` [start, end) as a new tensor data array of the same kind. */
export function sliceData(data: TensorData, start: number, end: number): TensorData {
  return Array.isArray(data) ? data.slice(start, end) : data.subarray(start, end);
}

/** Concatenate same-typed tensor data (the batcher's inputs). */
export function concatData(datatype: Datatype, parts: readonly TensorData[]): TensorData {
  const total = parts.reduce((n, p) => n + p.length, 0);
  if (datatype === 'BYTES') return ([] as string[]).concat(...(parts as string[][]));
  const out = allocate(datatype, total) as Exclude<TensorData, string[]>;
  let at = 0;
  for (const p of parts) {
    (out as Uint8Array).set(p as Uint8Array, at);
    at += p.length;
  }
  return out;
}
