/**
 * The two-sample KS statistic max |F_a − F_b| without sorting everything. The ECDF difference is
 * evaluated (as scipy does, after every copy of a value) only where it can matter:
 *
 *  1. Values are bucketed by the top 16 bits of their order-preserving 64-bit key (sign, exponent,
 *     4 mantissa bits); per-bucket counts give the exact difference at every bucket's largest value,
 *     and bounds for the values inside it: between A/n₁ − (B+c_b)/n₂ and (A+c_a)/n₁ − B/n₂, A and B
 *     the counts below the bucket. Buckets whose bounds cannot beat the best difference found so far
 *     are dropped.
 *  2. The remaining buckets are split again by the next key bits, with the same test.
 *  3. Only the values of the surviving sub-buckets are copied out, sorted and scanned.
 *
 * Division and subtraction round monotonically, so the bounds hold in floating point too, and the
 * result is bit-identical to a full sort-and-merge. For 10⁶ normal values per sample this reads the
 * data three times and sorts a few thousand values, instead of sorting two million.
 */
import { sortFloat64 } from './sort';

const LEVEL1_BITS = 16;
const LEVEL1 = 1 << LEVEL1_BITS;
/** Cap on sub-bucket counters per sample (4 bytes each), small enough to stay in cache. */
const LEVEL2_BUDGET = 1 << 16;
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * Bits 63…32 of a double's order-preserving key (sign bit set for positives, all bits flipped for
 * negatives; −0 keyed as +0 so that it ties with 0), shifted right by one so the result is a
 * non-negative 31-bit integer (V8 keeps it unboxed): bits 30…15 are the level-1 digit, 14…0 follow.
 */
function keyHigh(hi: number, lo: number): number {
  if (hi < 0x80000000) return (hi >>> 1) | 0x40000000;
  if (hi === 0x80000000 && lo === 0) return 0x40000000;
  return ~hi >>> 1;
}

/** Whether the statistic can be computed this way here (little-endian typed-array views). */
export const KS_PRUNED_AVAILABLE = LITTLE_ENDIAN;

/** max over pooled values of |i/n₁ − j/n₂|, for unsorted, checked (finite) samples. */
export function ksStatisticUnsorted(x: Float64Array, y: Float64Array): number {
  const n1 = x.length;
  const n2 = y.length;
  const wx = new Uint32Array(x.buffer, x.byteOffset, 2 * n1);
  const wy = new Uint32Array(y.buffer, y.byteOffset, 2 * n2);

  // Level 1: histogram of the top 16 key bits.
  const ca = new Uint32Array(LEVEL1);
  const cb = new Uint32Array(LEVEL1);
  for (let w = 0; w < 2 * n1; w += 2) ca[keyHigh(wx[w + 1], wx[w]) >>> 15]++;
  for (let w = 0; w < 2 * n2; w += 2) cb[keyHigh(wy[w + 1], wy[w]) >>> 15]++;
  let best = 0;
  let A = 0;
  let B = 0;
  for (let k = 0; k < LEVEL1; k++) {
    if (ca[k] === 0 && cb[k] === 0) continue;
    A += ca[k];
    B += cb[k];
    const d = A / n1 - B / n2;
    if (d > best) best = d;
    else if (-d > best) best = -d;
  }
  const slot = new Int32Array(LEVEL1).fill(-1);
  const candidates: number[] = [];
  const startA: number[] = [];
  const startB: number[] = [];
  A = 0;
  B = 0;
  for (let k = 0; k < LEVEL1; k++) {
    const a = ca[k];
    const b = cb[k];
    if (a === 0 && b === 0) continue;
    if (a + b > 1 && ((A + a) / n1 - B / n2 > best || -(A / n1 - (B + b) / n2) > best)) {
      slot[k] = candidates.length;
      candidates.push(k);
      startA.push(A);
      startB.push(B);
    }
    A += a;
    B += b;
  }
  if (candidates.length === 0) return best;

  // Level 2: the next key bits of the surviving buckets.
  const bits2 = Math.max(1, Math.min(15, Math.floor(Math.log2(LEVEL2_BUDGET / candidates.length))));
  const S = 1 << bits2;
  const shift = 15 - bits2;
  const mask = S - 1;
  const ca2 = new Uint32Array(candidates.length * S);
  const cb2 = new Uint32Array(candidates.length * S);
  for (let w = 0; w < 2 * n1; w += 2) {
    const key = keyHigh(wx[w + 1], wx[w]);
    const s = slot[key >>> 15];
    if (s >= 0) ca2[s * S + ((key >>> shift) & mask)]++;
  }
  for (let w = 0; w < 2 * n2; w += 2) {
    const key = keyHigh(wy[w + 1], wy[w]);
    const s = slot[key >>> 15];
    if (s >= 0) cb2[s * S + ((key >>> shift) & mask)]++;
  }
  for (let c = 0; c < candidates.length; c++) {
    A = startA[c];
    B = startB[c];
    for (let sub = c * S; sub < (c + 1) * S; sub++) {
      if (ca2[sub] === 0 && cb2[sub] === 0) continue;
      A += ca2[sub];
      B += cb2[sub];
      const d = A / n1 - B / n2;
      if (d > best) best = d;
      else if (-d > best) best = -d;
    }
  }
  const keep = new Uint8Array(candidates.length * S);
  const keptA: number[] = [];
  const keptB: number[] = [];
  const keptCountA: number[] = [];
  const keptCountB: number[] = [];
  let totalA = 0;
  let totalB = 0;
  for (let c = 0; c < candidates.length; c++) {
    A = startA[c];
    B = startB[c];
    for (let sub = c * S; sub < (c + 1) * S; sub++) {
      const a = ca2[sub];
      const b = cb2[sub];
      if (a === 0 && b === 0) continue;
      if (a + b > 1 && ((A + a) / n1 - B / n2 > best || -(A / n1 - (B + b) / n2) > best)) {
        keep[sub] = 1;
        keptA.push(A);
        keptB.push(B);
        keptCountA.push(a);
        keptCountB.push(b);
        totalA += a;
        totalB += b;
      }
      A += a;
      B += b;
    }
  }
  if (keptA.length === 0) return best;

  // Level 3: copy out, sort and scan the values of the surviving sub-buckets.
  const gx = new Float64Array(totalA);
  const gy = new Float64Array(totalB);
  let p = 0;
  for (let w = 0, i = 0; w < 2 * n1; w += 2, i++) {
    const key = keyHigh(wx[w + 1], wx[w]);
    const s = slot[key >>> 15];
    if (s >= 0 && keep[s * S + ((key >>> shift) & mask)] === 1) gx[p++] = x[i];
  }
  p = 0;
  for (let w = 0, i = 0; w < 2 * n2; w += 2, i++) {
    const key = keyHigh(wy[w + 1], wy[w]);
    const s = slot[key >>> 15];
    if (s >= 0 && keep[s * S + ((key >>> shift) & mask)] === 1) gy[p++] = y[i];
  }
  sortFloat64(gx);
  sortFloat64(gy);
  let px = 0;
  let py = 0;
  for (let g = 0; g < keptA.length; g++) {
    let i = keptA[g];
    let j = keptB[g];
    const endX = px + keptCountA[g];
    const endY = py + keptCountB[g];
    while (px < endX || py < endY) {
      const v = py >= endY || (px < endX && gx[px] <= gy[py]) ? gx[px] : gy[py];
      while (px < endX && gx[px] === v) {
        px++;
        i++;
      }
      while (py < endY && gy[py] === v) {
        py++;
        j++;
      }
      const d = i / n1 - j / n2;
      if (d > best) best = d;
      else if (-d > best) best = -d;
    }
  }
  return best;
}
