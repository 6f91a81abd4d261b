/**
 * In-place ascending sort of a Float64Array: an LSD radix sort on the IEEE-754 bit patterns (six
 * 11-bit digits, passes whose digit is the same for every value are skipped), several times faster
 * than TypedArray.prototype.sort for large arrays. −0 sorts before +0; NaN must not occur (callers
 * validate first). Uses one scratch buffer of the same size; small arrays use the built-in sort.
 */

const RADIX_MIN = 2048;
const BITS = 11;
const BUCKETS = 1 << BITS;
const MASK = BUCKETS - 1;
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

export function sortFloat64(values: Float64Array): Float64Array {
  const n = values.length;
  if (n < RADIX_MIN || !LITTLE_ENDIAN) {
    values.sort();
    return values;
  }
  const words = new Uint32Array(values.buffer, values.byteOffset, n * 2);
  // Map each double to an unsigned 64-bit key (lo, hi) that orders like the number: flip every bit
  // of negatives, only the sign bit of the rest.
  for (let i = 0, w = 0; i < n; i++, w += 2) {
    const hi = words[w + 1];
    if (hi & 0x80000000) {
      words[w] = ~words[w];
      words[w + 1] = ~hi;
    } else {
      words[w + 1] = hi | 0x80000000;
    }
  }
  // Histograms of all six digits in one read pass.
  const counts = new Uint32Array(BUCKETS * 6);
  for (let w = 0; w < 2 * n; w += 2) {
    const lo = words[w];
    const hi = words[w + 1];
    counts[lo & MASK]++;
    counts[BUCKETS + ((lo >>> 11) & MASK)]++;
    counts[2 * BUCKETS + (((lo >>> 22) | (hi << 10)) & MASK)]++;
    counts[3 * BUCKETS + ((hi >>> 1) & MASK)]++;
    counts[4 * BUCKETS + ((hi >>> 12) & MASK)]++;
    counts[5 * BUCKETS + (hi >>> 23)]++;
  }
  let src: Uint32Array = words;
  let dst: Uint32Array = new Uint32Array(n * 2);
  const offsets = new Uint32Array(BUCKETS);
  for (let digit = 0; digit < 6; digit++) {
    const base = digit * BUCKETS;
    // Skip a pass where every key has the same digit.
    let skip = false;
    for (let b = 0; b < BUCKETS; b++) {
      const c = counts[base + b];
      if (c === n) skip = true;
      if (c !== 0) break;
    }
    if (skip) continue;
    let sum = 0;
    for (let b = 0; b < BUCKETS; b++) {
      offsets[b] = sum;
      sum += counts[base + b];
    }
    scatter(src, dst, offsets, digit, n);
    const t = src;
    src = dst;
    dst = t;
  }
  if (src !== words) words.set(src);
  for (let i = 0, w = 0; i < n; i++, w += 2) {
    const hi = words[w + 1];
    if (hi & 0x80000000) {
      words[w + 1] = hi & 0x7fffffff;
    } else {
      words[w] = ~words[w];
      words[w + 1] = ~hi;
    }
  }
  return values;
}

function scatter(src: Uint32Array, dst: Uint32Array, offsets: Uint32Array, digit: number, n: number): void {
  const end = 2 * n;
  switch (digit) {
    case 0:
      for (let w = 0; w < end; w += 2) {
        const lo = src[w];
        const at = 2 * offsets[lo & MASK]++;
        dst[at] = lo;
        dst[at + 1] = src[w + 1];
      }
      return;
    case 1:
      for (let w = 0; w < end; w += 2) {
        const lo = src[w];
        const at = 2 * offsets[(lo >>> 11) & MASK]++;
        dst[at] = lo;
        dst[at + 1] = src[w + 1];
      }
      return;
    case 2:
      for (let w = 0; w < end; w += 2) {
        const lo = src[w];
        const hi = src[w + 1];
        const at = 2 * offsets[((lo >>> 22) | (hi << 10)) & MASK]++;
        dst[at] = lo;
        dst[at + 1] = hi;
      }
      return;
    case 3:
      for (let w = 0; w < end; w += 2) {
        const hi = src[w + 1];
        const at = 2 * offsets[(hi >>> 1) & MASK]++;
        dst[at] = src[w];
        dst[at + 1] = hi;
      }
      return;
    case 4:
      for (let w = 0; w < end; w += 2) {
        const hi = src[w + 1];
        const at = 2 * offsets[(hi >>> 12) & MASK]++;
        dst[at] = src[w];
        dst[at + 1] = hi;
      }
      return;
    default:
      for (let w = 0; w < end; w += 2) {
        const hi = src[w + 1];
        const at = 2 * offsets[hi >>> 23]++;
        dst[at] = src[w];
        dst[at + 1] = hi;
      }
  }
}
