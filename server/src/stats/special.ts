/**
 * Special functions and the distributions built on them: log-gamma, log-beta, the regularized
 * incomplete gamma and beta functions (both tails, each computed directly so a tiny tail keeps its
 * relative precision), and from them the normal, Student t (fractional df) and chi-square CDFs and
 * survival functions, plus normal and t quantiles.
 *
 * jstat's own CDFs compute upper tails as 1 − CDF (the normal's is 1 − erf, the t's goes through a
 * continued fraction that stops at 3e-7, log-gamma is good to ~1e-10), so p-values below ~1e-8 lose
 * all precision there. jstat's quantiles are used as starting points and polished here with Newton
 * steps on the accurate CDFs.
 */
import jStat from 'jstat';

const HALF_LOG_2PI = 0.9189385332046727417803297;
const EPS = 2.220446049250313e-16;
const TINY = 1e-300;

/** Stirling series remainder lgamma(x) − [(x−½)ln x − x + ½ln 2π], for x ≥ 10 (error < 1e-17). */
function stirlingCorrection(x: number): number {
  const r = 1 / x;
  const r2 = r * r;
  return (
    r *
    (1 / 12 +
      r2 * (-1 / 360 + r2 * (1 / 1260 + r2 * (-1 / 1680 + r2 * (1 / 1188 + r2 * (-691 / 360360 + r2 * (1 / 156 + r2 * (-3617 / 122400))))))))
  );
}

/** ln Γ(x) for x > 0 (absolute error ~1e-15 for moderate x, relative ~1e-16 for large x). */
export function lgamma(x: number): number {
  if (!(x > 0)) return x === 0 ? Infinity : NaN;
  if (x === Infinity) return Infinity;
  if (x >= 10) return (x - 0.5) * Math.log(x) - x + HALF_LOG_2PI + stirlingCorrection(x);
  // Shift into the Stirling range: Γ(x) = Γ(x + k) / (x (x+1) … (x+k−1)).
  let product = 1;
  let y = x;
  while (y < 10) {
    product *= y;
    y += 1;
  }
  return (y - 0.5) * Math.log(y) - y + HALF_LOG_2PI + stirlingCorrection(y) - Math.log(product);
}

/** ln B(a, b), arranged so that large arguments do not cancel catastrophically. */
export function lbeta(a: number, b: number): number {
  const big = Math.max(a, b);
  const small = Math.min(a, b);
  if (big < 10) return lgamma(a) + lgamma(b) - lgamma(a + b);
  const s = a + b;
  if (small < 10) return lgamma(small) - lgammaDelta(big, small);
  // Both large: ½ln 2π + (a−½)ln(a/s) + (b−½)ln(b/s) − ½ln s + corrections.
  const lnAs = a >= b ? Math.log1p(-b / s) : Math.log(a / s);
  const lnBs = b > a ? Math.log1p(-a / s) : Math.log(b / s);
  return (
    HALF_LOG_2PI + (a - 0.5) * lnAs + (b - 0.5) * lnBs - 0.5 * Math.log(s) + stirlingCorrection(a) + stirlingCorrection(b) - stirlingCorrection(s)
  );
}

/** log1p(d) − d, accurate for small |d|. */
function log1pmx(d: number): number {
  if (Math.abs(d) > 0.3) return Math.log1p(d) - d;
  // −d²/2 + d³/3 − d⁴/4 + …
  let term = d;
  let sum = 0;
  for (let k = 2; k < 200; k++) {
    term *= -d;
    const add = term / k;
    sum += add;
    if (Math.abs(add) <= EPS * Math.abs(sum)) break;
  }
  return sum;
}

/** ln(x^a e^−x / Γ(a)), the common factor of both incomplete gamma tails. */
function gammaPrefixLog(a: number, x: number): number {
  if (a < 10) return a * Math.log(x) - x - lgamma(a);
  // a ln x − x − lgamma(a) = a·(log1p(d) − d) + ½ln a − ½ln 2π − corr(a), d = (x − a)/a.
  const d = (x - a) / a;
  return a * log1pmx(d) + 0.5 * Math.log(a) - HALF_LOG_2PI - stirlingCorrection(a);
}

const MAX_ITER = 1_000_000;

/** Both tails of the regularized incomplete gamma function: lower P(a, x) and upper Q(a, x). */
export function gammaTails(a: number, x: number): { lower: number; upper: number } {
  if (Number.isNaN(a) || Number.isNaN(x) || a <= 0) return { lower: NaN, upper: NaN };
  if (x <= 0) return { lower: 0, upper: 1 };
  if (x === Infinity) return { lower: 1, upper: 0 };
  const logPrefix = gammaPrefixLog(a, x);
  if (x < a + 1) {
    // Series: P = prefix/a · Σ xⁿ / ((a+1)…(a+n)).
    let term = 1 / a;
    let sum = term;
    for (let n = 1; n < MAX_ITER; n++) {
      term *= x / (a + n);
      sum += term;
      if (term < sum * EPS) break;
    }
    const lower = Math.exp(logPrefix) * sum;
    return { lower, upper: 1 - lower };
  }
  // Continued fraction for Q (modified Lentz).
  let b = x + 1 - a;
  let c = 1 / TINY;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < MAX_ITER; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < TINY) d = TINY;
    c = b + an / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < EPS) break;
  }
  const upper = Math.exp(logPrefix) * h;
  return { lower: 1 - upper, upper };
}

/** Continued fraction of the incomplete beta function (modified Lentz), for x < (a+1)/(a+b+2). */
function betaContinuedFraction(x: number, a: number, b: number): number {
  const qab = a + b;
  const qap = a + 1;
  const qam = a - 1;
  let c = 1;
  let d = 1 - (qab * x) / qap;
  if (Math.abs(d) < TINY) d = TINY;
  d = 1 / d;
  let h = d;
  for (let m = 1; m < MAX_ITER; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < EPS) break;
  }
  return h;
}

/** ln Γ(a + b) − ln Γ(a) for b small relative to a (a ≥ 10), without cancellation. */
function lgammaDelta(a: number, b: number): number {
  const s = a + b;
  return (a - 0.5) * Math.log1p(b / a) + b * Math.log(s) - b + stirlingCorrection(s) - stirlingCorrection(a);
}

/**
 * I_x(a, b) for a ≥ 15, b ≤ 1 and x close to 1 (y = 1 − x small): the asymptotic expansion of
 * DiDonato & Morris (1992, ACM TOMS 708, routine BGRAT), written in terms of y so that x's rounding
 * near 1 does not enter. The continued fraction in x loses about ε/y relative precision there.
 */
function betaLargeASmallB(a: number, b: number, y: number): number {
  const lx = Math.log1p(-y);
  const t = a + (b - 1) / 2;
  const u = -t * lx;
  // h = u^b e^−u / Γ(b); prefix = h · Γ(a+b) / (Γ(a) t^b).
  const logH = b * Math.log(u) - u - lgamma(b);
  const prefix = Math.exp(logH + lgammaDelta(a, b) - b * Math.log(t));
  if (prefix === 0) return 0;
  let j = gammaTails(b, u).upper / Math.exp(logH);
  let sum = prefix * j;
  const p = [1];
  const lx2 = (lx / 2) ** 2;
  let lxp = 1;
  const t4 = 4 * t * t;
  let b2n = b;
  const factorial = (k: number): number => {
    let f = 1;
    for (let i = 2; i <= k; i++) f *= i;
    return f;
  };
  for (let n = 1; n < 30; n++) {
    let pn = 0;
    for (let m = 1; m < n; m++) pn += ((m * b - n) * p[n - m]) / factorial(2 * m + 1);
    pn = pn / n + (b - 1) / factorial(2 * n + 1);
    p.push(pn);
    j = (b2n * (b2n + 1) * j + (u + b2n + 1) * lxp) / t4;
    lxp *= lx2;
    b2n += 2;
    const r = prefix * pn * j;
    sum += r;
    if (Math.abs(r) <= EPS * Math.abs(sum)) break;
  }
  return sum;
}

/**
 * Both tails of the regularized incomplete beta function: lower I_x(a, b) and upper 1 − I_x(a, b).
 * Pass y = 1 − x when it is known more precisely than 1 − x (e.g. t²/(df + t²)).
 */
export function betaTails(x: number, a: number, b: number, y = 1 - x): { lower: number; upper: number } {
  if (Number.isNaN(x) || Number.isNaN(a) || Number.isNaN(b) || a <= 0 || b <= 0 || x < 0 || x > 1) return { lower: NaN, upper: NaN };
  if (x === 0) return { lower: 0, upper: 1 };
  if (y === 0) return { lower: 1, upper: 0 };
  const lnX = x < 0.5 ? Math.log(x) : Math.log1p(-y);
  const lnY = y < 0.5 ? Math.log(y) : Math.log1p(-x);
  const logPrefix = a * lnX + b * lnY - lbeta(a, b);
  if (x < (a + 1) / (a + b + 2)) {
    if (a >= 15 && b <= 1 && y < 0.3) {
      const lower = betaLargeASmallB(a, b, y);
      return { lower, upper: 1 - lower };
    }
    const lower = (Math.exp(logPrefix) * betaContinuedFraction(x, a, b)) / a;
    return { lower, upper: 1 - lower };
  }
  const upper = (Math.exp(logPrefix) * betaContinuedFraction(y, b, a)) / b;
  return { lower: 1 - upper, upper };
}

// ---------------------------------------------------------------------------------------------
// Normal

/** Standard normal survival function P(Z > z), accurate in the far tail (to ~1e-300). */
export function normalSf(z: number): number {
  if (Number.isNaN(z)) return NaN;
  if (z === 0) return 0.5;
  const { lower, upper } = gammaTails(0.5, (z * z) / 2);
  return z > 0 ? 0.5 * upper : 0.5 + 0.5 * lower;
}

/** Standard normal CDF P(Z ≤ z). */
export function normalCdf(z: number): number {
  return normalSf(-z);
}

/** Standard normal density. */
export function normalPdf(z: number): number {
  return Math.exp(-0.5 * z * z - HALF_LOG_2PI);
}

/** Standard normal quantile: jstat's erfc-based inverse, polished with Newton steps on normalCdf. */
export function normalPpf(p: number): number {
  if (Number.isNaN(p) || p < 0 || p > 1) return NaN;
  if (p === 0) return -Infinity;
  if (p === 1) return Infinity;
  if (p > 0.5) return -normalPpf(1 - p);
  if (p === 0.5) return 0;
  let x = jStat.normal.inv(p, 0, 1);
  if (!Number.isFinite(x) || x >= 0) x = -Math.sqrt(-2 * Math.log(p));
  for (let i = 0; i < 8; i++) {
    const step = (normalCdf(x) - p) / normalPdf(x);
    if (!Number.isFinite(step)) break;
    x -= step;
    if (Math.abs(step) <= 4 * EPS * Math.abs(x)) break;
  }
  return x;
}

// ---------------------------------------------------------------------------------------------
// Student t

/** Two-sided tail P(|T| > |t|) for Student's t with (possibly fractional) df. */
export function tTwoSided(t: number, df: number): number {
  if (Number.isNaN(t) || Number.isNaN(df) || df <= 0) return NaN;
  if (df === Infinity) return 2 * normalSf(Math.abs(t));
  const t2 = t * t;
  if (t2 === Infinity) return 0;
  if (t2 === 0) return 1;
  const denom = df + t2;
  return betaTails(df / denom, df / 2, 0.5, t2 / denom).lower;
}

/** Student t survival function P(T > t). */
export function tSf(t: number, df: number): number {
  if (Number.isNaN(t) || Number.isNaN(df) || df <= 0) return NaN;
  if (t === 0) return 0.5;
  const half = 0.5 * tTwoSided(t, df);
  return t > 0 ? half : 1 - half;
}

/** Student t CDF P(T ≤ t). */
export function tCdf(t: number, df: number): number {
  return tSf(-t, df);
}

/** Student t density. */
export function tPdf(t: number, df: number): number {
  if (df === Infinity) return normalPdf(t);
  return Math.exp(-lbeta(0.5, df / 2) - 0.5 * Math.log(df) - ((df + 1) / 2) * Math.log1p((t * t) / df));
}

/** Student t quantile: jstat's inverse as a start, then safeguarded Newton steps on tCdf. */
export function tPpf(p: number, df: number): number {
  if (Number.isNaN(p) || Number.isNaN(df) || p < 0 || p > 1 || df <= 0) return NaN;
  if (p === 0) return -Infinity;
  if (p === 1) return Infinity;
  if (p > 0.5) return -tPpf(1 - p, df);
  if (p === 0.5) return 0;
  if (df === Infinity) return normalPpf(p);
  let x = jStat.studentt.inv(p, df);
  if (!Number.isFinite(x) || x >= 0) x = normalPpf(p);
  // Bracket [lo, hi] with tCdf(lo) < p < tCdf(hi) (hi = 0 since p < ½).
  let lo = -Infinity;
  let hi = 0;
  for (let i = 0; i < 200; i++) {
    const f = tCdf(x, df) - p;
    if (f === 0) return x;
    if (f < 0) lo = x;
    else hi = x;
    let next = x - f / tPdf(x, df);
    if (!(next > lo && next < hi) || !Number.isFinite(next)) {
      next = lo === -Infinity ? Math.min(2 * x, x - 1) : (lo + hi) / 2;
    }
    if (Math.abs(next - x) <= 4 * EPS * Math.abs(next)) return next;
    x = next;
  }
  return x;
}

// ---------------------------------------------------------------------------------------------
// Chi-square

/** Chi-square survival function P(X > x) with k degrees of freedom. */
export function chi2Sf(x: number, k: number): number {
  if (Number.isNaN(x) || Number.isNaN(k) || k <= 0) return NaN;
  if (x <= 0) return 1;
  return gammaTails(k / 2, x / 2).upper;
}

/** Chi-square CDF P(X ≤ x) with k degrees of freedom. */
export function chi2Cdf(x: number, k: number): number {
  if (Number.isNaN(x) || Number.isNaN(k) || k <= 0) return NaN;
  if (x <= 0) return 0;
  return gammaTails(k / 2, x / 2).lower;
}
