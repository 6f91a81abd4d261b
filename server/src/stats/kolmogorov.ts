/**
 * Distributions of Kolmogorov–Smirnov statistics, chosen and computed as scipy 1.10 does so that
 * two-sample KS p-values agree with scipy.stats.ks_2samp:
 *
 *  - smirnovSf(n, x): the one-sided one-sample statistic, P(D⁺ₙ ≥ x), by the Smirnov /
 *    Birnbaum–Tingey sum (all terms positive; each a binomial probability in Loader's saddle-point
 *    form, so n in the millions keeps ~1e-14 relative precision), with the same special cases
 *    as scipy.special.smirnov (x ≤ 1/n, x ≥ 1 − 1/n, underflow, and for n > 10⁶ the approximation
 *    exp(−(6nx+1)²/(18n))).
 *  - kolmogorovSf(n, x): the two-sided one-sample statistic, P(Dₙ ≥ x) (scipy.stats.kstwo.sf),
 *    following Simard & L'Ecuyer (2011) as scipy does: Ruben–Gambino closed forms at the ends,
 *    2·smirnov for large x, the Durbin matrix (Marsaglia–Tsang–Wang) or Pomeranz recursion for
 *    n ≤ 140, and for larger n the Durbin matrix (n ≤ 100000, n·x^1.5 ≤ 1.4) or the Pelz–Good
 *    asymptotic series.
 *  - ksTwoSampleExactSf(n1, n2, h): the exact two-sided two-sample p-value P(D ≥ h/lcm(n1, n2)) by
 *    lattice-path counting (Hodges 1958; for n1 ≠ n2 the complement-free recursion of Viehmann 2021).
 */
import { lgamma } from './special';

const E128 = 2 ** 128;
const EM128 = 2 ** -128;
const EPS = 2.220446049250313e-16;
/** cephes MINLOG: ln(2⁻¹⁰⁷⁵). */
const MINLOG = -745.1332191019412;
const LOG_2PI = Math.log(2 * Math.PI);
const SQRT_2PI = Math.sqrt(2 * Math.PI);
const PI2 = Math.PI * Math.PI;
const PI4 = PI2 * PI2;
const PI6 = PI4 * PI2;
const SQRT3 = Math.sqrt(3);

const clip01 = (p: number): number => (p < 0 ? 0 : p > 1 ? 1 : p);

/** x · 2^e without intermediate overflow or underflow. */
function ldexp(x: number, e: number): number {
  while (e > 1000) {
    x *= 2 ** 1000;
    e -= 1000;
  }
  while (e < -1000) {
    x *= 2 ** -1000;
    e += 1000;
  }
  return x * 2 ** e;
}

/** Exact product a·b as hi + lo (Dekker). */
function twoProduct(a: number, b: number): [number, number] {
  const hi = a * b;
  const split = 134217729; // 2^27 + 1
  const ca = split * a;
  const ah = ca - (ca - a);
  const al = a - ah;
  const cb = split * b;
  const bh = cb - (cb - b);
  const bl = b - bh;
  const lo = ah * bh - hi + ah * bl + al * bh + al * bl;
  return [hi, lo];
}

// ---------------------------------------------------------------------------------------------
// One-sided: Smirnov

/** P(D⁺ₙ ≥ x) for the one-sided one-sample KS statistic (scipy.special.smirnov). */
export function smirnovSf(n: number, x: number): number {
  if (!(n > 0 && x >= 0 && x <= 1)) return NaN;
  if (n === 1) return 1 - x;
  if (x === 0) return 1;
  if (x === 1) return 0;
  // floor(n·x) and its remainder, exactly.
  const [hi, lo] = twoProduct(n, x);
  let nxfl = Math.floor(hi);
  if (nxfl === hi && lo < 0) nxfl -= 1;
  let alpha = hi - nxfl + lo;
  if (alpha >= 1) {
    nxfl += 1;
    alpha = 0;
  }
  if (alpha < 0) alpha = 0;
  let lastTerm = n - nxfl - (alpha === 0 ? 0 : 1);
  if (alpha === 0) lastTerm -= 1;

  if (nxfl === 0 || (nxfl === 1 && alpha === 0)) {
    // x ≤ 1/n: CDF = x (1 + x)^(n−1).
    return clip01(1 - x * Math.exp((n - 1) * Math.log1p(x)));
  }
  if (-2 * n * x * x < MINLOG) return 0;
  if (nxfl >= n - 1) return Math.exp(n * Math.log1p(-x));
  if (n > 1_000_000) {
    const logp = -((6 * n * x + 1) ** 2) / 18 / n;
    return logp < -Math.LN2 ? Math.exp(logp) : 1 + Math.expm1(logp);
  }
  // Σ_{v=0}^{lastTerm} C(n,v) · x · (x + v/n)^(v−1) · (1 − x − v/n)^(n−v). With u = x + v/n the
  // term is (x/u) · Binomial(v; n, u), and the binomial probability is evaluated with Loader's
  // saddle-point form (Stirling remainders and deviances), which stays accurate to ~1e-15 for
  // n in the millions where naive logs of C(n,v), u^v, … would cancel in the 9th digit.
  const nx = nxfl + alpha;
  const lnX = Math.log(x);
  const lnN = Math.log(n);
  const stirlingN = stirlingRemainder(n);
  let maxLog = -Infinity;
  let scaled = 0;
  let previous = -Infinity;
  for (let v = 0; v <= lastTerm; v++) {
    let logTerm: number;
    if (v === 0) {
      logTerm = n * Math.log1p(-x);
    } else {
      const nUp = nxfl + v + alpha;
      const nDown = n - nxfl - v - alpha;
      const lc = stirlingN - stirlingRemainder(v) - stirlingRemainder(n - v) - deviance(v, nUp, -nx) - deviance(n - v, nDown, nx);
      const lf = LOG_2PI + Math.log(v) + Math.log1p(-v / n);
      logTerm = lnX - (Math.log(nUp) - lnN) + lc - 0.5 * lf;
    }
    if (logTerm > maxLog) {
      scaled = scaled * Math.exp(maxLog - logTerm) + 1;
      maxLog = logTerm;
    } else {
      const rel = Math.exp(logTerm - maxLog);
      scaled += rel;
      // Past the peak, stop once the remaining terms cannot matter.
      if (logTerm < previous && 4 * (lastTerm - v) * rel < EPS * scaled) break;
    }
    previous = logTerm;
  }
  return clip01(Math.exp(maxLog + Math.log(scaled)));
}

/** ln(k!) − [(k + ½) ln k − k + ½ ln 2π], the remainder of Stirling's formula for k ≥ 1. */
function stirlingRemainder(k: number): number {
  if (k <= 15) return lgamma(k + 1) - (k + 0.5) * Math.log(k) + k - LOG_2PI / 2;
  const kk = k * k;
  return (1 / 12 - (1 / 360 - (1 / 1260 - (1 / 1680 - 1 / 1188 / kk) / kk) / kk) / kk) / k;
}

/** k·ln(k/m) + m − k (the binomial deviance), given diff = k − m exactly; accurate when k ≈ m. */
function deviance(k: number, m: number, diff: number): number {
  if (Math.abs(diff) < 0.1 * (k + m)) {
    let v = diff / (k + m);
    let s = diff * v;
    let ej = 2 * k * v;
    v *= v;
    for (let j = 1; j < 1000; j++) {
      ej *= v;
      const s1 = s + ej / (2 * j + 1);
      if (s1 === s) return s1;
      s = s1;
    }
    return s;
  }
  return k * Math.log(k / m) + m - k;
}

// ---------------------------------------------------------------------------------------------
// Two-sided one-sample: Kolmogorov

const STIRLING = [
  -2.955065359477124183e-2, 6.4102564102564102564e-3, -1.9175269175269175269e-3, 8.4175084175084175084e-4, -5.952380952380952381e-4,
  7.9365079365079365079e-4, -2.7777777777777777778e-3, 8.3333333333333333333e-2,
];

/** ln(n! / nⁿ) by Stirling's series with n·ln n removed up front. */
function logNFactorialOverNPowN(n: number): number {
  const rn = 1 / n;
  const z = rn / n;
  let poly = 0;
  for (const c of STIRLING) poly = poly * z + c;
  return Math.log(n) / 2 - n + LOG_2PI / 2 + rn * poly;
}

function matmul(a: Float64Array, b: Float64Array, m: number): Float64Array<ArrayBuffer> {
  const out = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    for (let k = 0; k < m; k++) {
      const aik = a[i * m + k];
      if (aik === 0) continue;
      const rowB = k * m;
      const rowOut = i * m;
      for (let j = 0; j < m; j++) out[rowOut + j] += aik * b[rowB + j];
    }
  }
  return out;
}

/** P(Dₙ ≤ d) by the Durbin matrix method as arranged by Marsaglia, Tsang & Wang (2003). */
function durbinMatrixCdf(n: number, d: number): number {
  if (d >= 1) return 1;
  const nd = n * d;
  if (nd <= 0.5) return 0;
  const k = Math.ceil(nd);
  const h = k - nd;
  const m = 2 * k - 1;
  let H = new Float64Array(m * m);
  const v = new Float64Array(m);
  const w = new Float64Array(m);
  let fac = 1;
  for (let j = 1; j <= m; j++) {
    w[j - 1] = fac;
    fac /= j;
    v[j - 1] = (1 - h ** j) * fac;
  }
  const tt = Math.max(2 * h - 1, 0) ** m - 2 * h ** m;
  v[m - 1] = (1 + tt) * fac;
  for (let i = 1; i < m; i++) {
    for (let r = i - 1; r < m; r++) H[r * m + i] = w[r - (i - 1)];
  }
  for (let r = 0; r < m; r++) H[r * m] = v[r];
  for (let c = 0; c < m; c++) H[(m - 1) * m + c] = v[m - 1 - c];

  let power = new Float64Array(m * m);
  for (let i = 0; i < m; i++) power[i * m + i] = 1;
  let nn = n;
  let exponent = 0;
  let hExponent = 0;
  while (nn > 0) {
    if (nn % 2 === 1) {
      power = matmul(power, H, m);
      exponent += hExponent;
    }
    H = matmul(H, H, m);
    hExponent *= 2;
    if (Math.abs(H[(k - 1) * m + (k - 1)]) > E128) {
      for (let i = 0; i < H.length; i++) H[i] /= E128;
      hExponent += 128;
    }
    nn = Math.floor(nn / 2);
  }
  let p = power[(k - 1) * m + (k - 1)];
  for (let i = 1; i <= n; i++) {
    p = (i * p) / n;
    if (Math.abs(p) < EM128) {
      p *= E128;
      exponent -= 128;
    }
  }
  if (exponent !== 0) p = ldexp(p, exponent);
  return clip01(p);
}

function pomeranzRowBounds(i: number, n: number, ll: number, ceilf: number, roundf: number): [number, number] {
  let j1: number;
  let j2: number;
  if (i === 0) {
    j1 = -ll - ceilf - 1;
    j2 = ll + ceilf - 1;
  } else {
    const half = Math.floor((i + 1) / 2);
    if ((i + 1) % 2 === 0) {
      if (half === n + 1) {
        j1 = n - ll - ceilf - 1;
        j2 = n + ll + ceilf - 1;
      } else {
        j1 = half - 1 - ll - roundf - 1;
        j2 = half + ll - 1 + ceilf - 1;
      }
    } else {
      j1 = half - 1 - ll - 1;
      j2 = half + ll + roundf - 1;
    }
  }
  return [Math.max(j1 + 2, 0), Math.min(j2, n)];
}

/** P(Dₙ ≤ x) by the Pomeranz (1974) recursion. */
function pomeranzCdf(n: number, x: number): number {
  const t = n * x;
  const ll = Math.floor(t);
  const f = t - ll;
  const g = Math.min(f, 1 - f);
  const ceilf = f > 0 ? 1 : 0;
  const roundf = f > 0.5 ? 1 : 0;
  const npwrs = 2 * (ll + 1);
  const gpower = new Float64Array(npwrs);
  const twogpower = new Float64Array(npwrs);
  const onem2gpower = new Float64Array(npwrs);
  gpower[0] = twogpower[0] = onem2gpower[0] = 1;
  const gOverN = g / n;
  const twoGOverN = (2 * g) / n;
  const oneMinusTwoGOverN = (1 - 2 * g) / n;
  for (let m = 1; m < npwrs; m++) {
    gpower[m] = (gpower[m - 1] * gOverN) / m;
    twogpower[m] = (twogpower[m - 1] * twoGOverN) / m;
    onem2gpower[m] = (onem2gpower[m - 1] * oneMinusTwoGOverN) / m;
  }
  let V0 = new Float64Array(npwrs);
  let V1 = new Float64Array(npwrs);
  V1[0] = 1;
  let V0s = 0;
  let V1s = 0;
  let exponent = 0;
  let [j1, j2] = pomeranzRowBounds(0, n, ll, ceilf, roundf);
  for (let i = 1; i < 2 * n + 2; i++) {
    const k1 = j1;
    [V0, V1] = [V1, V0];
    [V0s, V1s] = [V1s, V0s];
    V1.fill(0);
    [j1, j2] = pomeranzRowBounds(i, n, ll, ceilf, roundf);
    const powers = i === 1 || i === 2 * n + 1 ? gpower : i % 2 === 1 ? twogpower : onem2gpower;
    const len = j2 - k1 + 1;
    if (len > 0) {
      // V1[0 .. j2−j1] = (V0[k1−V0s ..] ⊛ powers)[j1−k1 ..], the needed part of a full convolution.
      const from = k1 - V0s;
      const aLen = Math.min(len, npwrs - from);
      const bLen = Math.min(len, npwrs);
      const start = j1 - k1;
      const count = j2 - j1 + 1;
      let maxV = 0;
      for (let c = 0; c < count; c++) {
        const idx = start + c;
        let s = 0;
        const lo = Math.max(0, idx - bLen + 1);
        const hi = Math.min(idx, aLen - 1);
        for (let a = lo; a <= hi; a++) s += V0[from + a] * powers[idx - a];
        V1[c] = s;
        if (s > maxV) maxV = s;
      }
      if (maxV > 0 && maxV < EM128) {
        for (let c = 0; c < npwrs; c++) V1[c] *= E128;
        exponent -= 128;
      }
      V1s = V0s + j1 - k1;
    }
  }
  let ans = V1[n - V1s];
  for (let m = 1; m <= n; m++) {
    if (Math.abs(ans) > E128) {
      ans *= EM128;
      exponent += 128;
    }
    ans *= m;
  }
  if (exponent !== 0) ans = ldexp(ans, exponent);
  return clip01(ans);
}

/** Pelz–Good (1976) approximation of P(Dₙ ≤ x). */
function pelzGoodCdf(n: number, x: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const z = Math.sqrt(n) * x;
  const z2 = z * z;
  const z3 = z2 * z;
  const z4 = z2 * z2;
  const z6 = z4 * z2;
  const qlog = -PI2 / 8 / z2;
  if (qlog < -708) return 0;
  let q = Math.exp(qlog);
  const k1a = -z2;
  const k1b = PI2 / 4;
  const k2a = 6 * z6 + 2 * z4;
  const k2b = ((2 * z4 - 5 * z2) * PI2) / 4;
  const k2c = (PI4 * (1 - 2 * z2)) / 16;
  const k3d = (PI6 * (5 - 30 * z2)) / 64;
  const k3c = (PI4 * (-60 * z2 + 212 * z4)) / 16;
  const k3b = (PI2 * (135 * z4 - 96 * z6)) / 4;
  const k3a = -30 * z6 - 90 * z ** 8;
  const K = [0, 0, 0, 0];
  const maxk = Math.ceil((16 * z) / Math.PI);
  for (let k = maxk; k > 0; k--) {
    const m = 2 * k - 1;
    const m2 = m * m;
    const m4 = m2 * m2;
    const m6 = m4 * m2;
    const qpower = q ** (8 * k);
    K[0] = K[0] * qpower + 1;
    K[1] = K[1] * qpower + (k1a + k1b * m2);
    K[2] = K[2] * qpower + (k2a + k2b * m2 + k2c * m4);
    K[3] = K[3] * qpower + (k3a + k3b * m2 + k3c * m4 + k3d * m6);
  }
  const divisors = [z, 6 * z4, 72 * z ** 7, 6480 * z ** 10];
  for (let i = 0; i < 4; i++) K[i] = (K[i] * q * SQRT_2PI) / divisors[i];
  q = Math.exp(-PI2 / 2 / z2);
  let k2extra = 0;
  let k3extra = 0;
  const sqrt3z = SQRT3 * z;
  for (let k = maxk; k > 0; k--) {
    const k2 = k * k;
    const qk = q ** k2;
    const kpi = Math.PI * k;
    k2extra += k2 * qk;
    k3extra += (sqrt3z + kpi) * (sqrt3z - kpi) * k2 * qk;
  }
  K[2] += (k2extra * PI2 * SQRT_2PI) / (-36 * z3);
  K[3] += (k3extra * PI2 * SQRT_2PI) / (216 * z6);
  let sum = 0;
  for (let i = 0; i < 4; i++) sum += K[i] / n ** (i / 2);
  return sum;
}

/** P(Dₙ ≥ x) for the two-sided one-sample KS statistic (scipy.stats.kstwo.sf(x, n)). */
export function kolmogorovSf(n: number, x: number): number {
  if (Number.isNaN(x) || !(n >= 1) || !Number.isInteger(n)) return NaN;
  if (x >= 1) return 0;
  if (x <= 0.5 / n) return 1;
  const t = n * x;
  if (t <= 1) {
    // Ruben–Gambino: CDF = n!/nⁿ · (2t − 1)ⁿ for 1/(2n) ≤ x ≤ 1/n.
    let prob: number;
    if (n <= 140) {
      prob = 1;
      const c = 2 * t - 1;
      for (let i = 1; i <= n; i++) prob *= i * (1 / n) * c;
    } else {
      prob = Math.exp(logNFactorialOverNPowN(n) + n * Math.log(2 * t - 1));
    }
    return clip01(1 - prob);
  }
  if (t >= n - 1) return clip01(2 * (1 - x) ** n);
  if (x >= 0.5) return clip01(2 * smirnovSf(n, x));
  const nx2 = t * x;
  if (n <= 140) {
    if (nx2 <= 0.754693) return clip01(1 - durbinMatrixCdf(n, x));
    if (nx2 <= 4) return clip01(1 - pomeranzCdf(n, x));
    return clip01(2 * smirnovSf(n, x));
  }
  if (nx2 >= 370) return 0;
  if (nx2 >= 2.2) return clip01(2 * smirnovSf(n, x));
  let cdf: number;
  if (nx2 >= 18) cdf = 1;
  else if (n <= 100000 && n * x ** 1.5 <= 1.4) cdf = durbinMatrixCdf(n, x);
  else cdf = pelzGoodCdf(n, x);
  return clip01(1 - cdf);
}

// ---------------------------------------------------------------------------------------------
// Two-sample exact

/** P(D ≥ h/n) for two samples of equal size n (Hodges' alternating sum, in Horner form). */
function equalSizeSf(n: number, h: number): number {
  let P = 0;
  for (let k = Math.floor(n / h); k >= 0; k--) {
    let p1 = 1;
    for (let j = 0; j < h; j++) p1 = ((n - k * h - j) * p1) / (n + k * h + j + 1);
    P = p1 * (1 - P);
  }
  return 2 * P;
}

/**
 * P(D ≥ h/lcm) for sample sizes m, n with gcd g: the share of lattice paths from (0,0) to (m,n)
 * that leave the band |x/m − y/n| < h/lcm, computed column by column on a sliding window with the
 * recursion for the complement (so no large binomial coefficients and no cancellation).
 */
function unequalSizeSf(m0: number, n0: number, g: number, h: number): number {
  const m = Math.max(m0, n0);
  const n = Math.min(m0, n0);
  const mg = m / g;
  const ng = n / g;
  let minj = 0;
  let maxj = Math.min(Math.ceil(h / mg), n + 1);
  let curlen = maxj - minj;
  const lenA = Math.min(2 * maxj + 2, n + 1);
  const A = new Float64Array(lenA).fill(1);
  A.fill(0, minj, maxj);
  for (let i = 1; i <= m; i++) {
    const lastminj = minj;
    const lastlen = curlen;
    minj = Math.min(Math.max(Math.floor((ng * i - h) / mg) + 1, 0), n);
    maxj = Math.min(Math.ceil((ng * i + h) / mg), n + 1);
    if (maxj <= minj) return 1;
    let val = minj === 0 ? 0 : 1;
    for (let jj = 0; jj < maxj - minj; jj++) {
      const j = jj + minj;
      val = (A[jj + minj - lastminj] * i + val * j) / (i + j);
      A[jj] = val;
    }
    curlen = maxj - minj;
    if (lastlen > curlen) A.fill(1, maxj - minj, maxj - minj + (lastlen - curlen));
  }
  return A[maxj - minj - 1];
}

/**
 * Exact two-sided p-value of the two-sample KS statistic D = h/lcm(n1, n2): P(D ≥ h/lcm) under
 * H0. Returns NaN when the computation is not trustworthy (the caller then uses the asymptotic
 * distribution, as scipy does).
 */
export function ksTwoSampleExactSf(n1: number, n2: number, g: number, h: number): number {
  if (h === 0) return 1;
  const p = n1 === n2 ? equalSizeSf(n1, h) : unequalSizeSf(n1, n2, g, h);
  return p >= 0 && p <= 1 ? p : NaN;
}
