import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { readNumberFile, statsCommand } from '../../server/src/cli/commands/stats';
import { UsageError } from '../../server/src/cli/usage';
import {
  benjaminiHochberg,
  bonferroni,
  categoryCounts,
  chi2Sf,
  chiSquareContingency,
  confidenceSequence,
  jensenShannon,
  kolmogorovSf,
  ks2samp,
  meanDiffInterval,
  meanMde,
  meanPower,
  meanSampleSize,
  normalPpf,
  normalSf,
  normedWasserstein,
  proportionDiffInterval,
  proportionMde,
  proportionPower,
  proportionSampleSize,
  proportionSummary,
  psi,
  relativeLiftInterval,
  sampleRatioMismatch,
  sequentialDecision,
  sequentialMeanDiff,
  SequentialMonitor,
  sequentialProportionDiff,
  sequentialSamplesNeeded,
  smirnovSf,
  sortFloat64,
  StatsError,
  student,
  summarize,
  tPpf,
  tSf,
  twoProportionZ,
  wasserstein,
  welch,
  welchFromSummary,
  zTestBinary,
  type Summary,
} from '../../server/src/stats/index';
import { REPO, SHARED_FIXTURES } from '../helpers/paths';
import { seededRandom } from '../../server/src/util/random';

// ---------------------------------------------------------------------------------------------
// Reference values from scipy

/** The Python that imports scipy: /usr/bin/python3 (Debian's python3-scipy) first, then python3 on PATH. */
function findScipyPython(): string {
  for (const candidate of ['/usr/bin/python3', 'python3']) {
    const r = spawnSync(candidate, ['-c', 'import scipy'], { encoding: 'utf8' });
    if (r.status === 0) return candidate;
  }
  throw new Error('no Python with scipy found (tried /usr/bin/python3 and python3): apt-get install python3-scipy');
}


function normals(seed: number, n: number, mean = 0, sd = 1): number[] {
  const u = seededRandom(seed);
  const out: number[] = [];
  while (out.length < n) {
    const r = Math.sqrt(-2 * Math.log(1 - u()));
    const th = 2 * Math.PI * u();
    out.push(mean + sd * r * Math.cos(th));
    if (out.length < n) out.push(mean + sd * r * Math.sin(th));
  }
  return out;
}

/** Telco churn fixture: MonthlyCharges by churn, and a few categorical columns. */
function telco(): { charges: { churn: number[]; stay: number[] }; rows: Record<string, string>[] } {
  const text = readFileSync(join(SHARED_FIXTURES, 'data', 'telco-churn.csv'), 'utf8').trim();
  const [header, ...lines] = text.split(/\r?\n/);
  const cols = header.split(',');
  const rows = lines.map((l) => Object.fromEntries(l.split(',').map((v, i) => [cols[i], v])));
  const churn = rows.filter((r) => r.Churn === 'Yes').map((r) => Number(r.MonthlyCharges));
  const stay = rows.filter((r) => r.Churn === 'No').map((r) => Number(r.MonthlyCharges));
  return { charges: { churn, stay }, rows };
}

type Value = number | number[];
type Kind = 'stat' | 'p' | 'exact';

interface Case {
  id: string;
  fn: string;
  args: Record<string, unknown>;
  ours: () => Record<string, Value>;
  /** Tolerance class per key; default: keys named pvalue (and probabilities of the distribution checks) are 'p', the rest 'stat'. */
  kinds?: Record<string, Kind>;
}

const cases: Case[] = [];
function add(id: string, fn: string, args: Record<string, unknown>, ours: () => Record<string, Value>, kinds?: Record<string, Kind>): void {
  cases.push({ id, fn, args, ours, kinds });
}

const PROBABILITY_FNS = new Set(['norm_sf', 't_sf', 'chi2_sf', 'kstwo_sf', 'smirnov']);
const STAT_RTOL = 1e-9;
const P_RTOL = 1e-6;

/** Largest error seen per function and tolerance class, relative to the tolerance's scale. */
const maxErrors = new Map<string, { stat: number; p: number }>();

function toNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (v === 'NaN') return NaN;
  if (v === 'Infinity') return Infinity;
  if (v === '-Infinity') return -Infinity;
  throw new Error(`not a number from scipy: ${JSON.stringify(v)}`);
}

function compareValue(c: Case, key: string, ours: number, theirs: number): void {
  const kind: Kind = c.kinds?.[key] ?? (key === 'pvalue' || PROBABILITY_FNS.has(c.fn) ? 'p' : 'stat');
  const where = `${c.id}: ${key}: ours ${ours}, scipy ${theirs}`;
  if (Number.isNaN(theirs) || !Number.isFinite(theirs)) {
    assert.ok(Object.is(ours, theirs), where);
    return;
  }
  if (kind === 'exact') {
    assert.equal(ours, theirs, where);
    return;
  }
  const scale = Math.max(Math.abs(ours), Math.abs(theirs));
  const diff = Math.abs(ours - theirs);
  let rel: number;
  if (kind === 'p') {
    rel = scale < 1e-300 ? 0 : diff / scale;
    assert.ok(scale < 1e-300 ? diff <= 1e-300 : rel <= P_RTOL, `${where} (relative error ${rel.toExponential(2)} > ${P_RTOL})`);
  } else {
    rel = scale === 0 ? 0 : diff / scale;
    // A statistic that is 0 in exact arithmetic comes out as ±1e-16-ish rounding noise.
    assert.ok(rel <= STAT_RTOL || diff <= 1e-14, `${where} (relative error ${rel.toExponential(2)} > ${STAT_RTOL})`);
  }
  const m = maxErrors.get(c.fn) ?? { stat: 0, p: 0 };
  if (kind === 'p') m.p = Math.max(m.p, rel);
  else m.stat = Math.max(m.stat, rel);
  maxErrors.set(c.fn, m);
}

let truthCache: Record<string, Record<string, unknown>> | undefined;
let scipyVersion = '';
function truth(): Record<string, Record<string, unknown>> {
  if (truthCache) return truthCache;
  const python = findScipyPython();
  const dir = mkdtempSync(join(tmpdir(), 'mlops-stats-truth-'));
  try {
    const file = join(dir, 'cases.json');
    writeFileSync(file, JSON.stringify(cases.map((c) => ({ id: c.id, fn: c.fn, ...c.args }))));
    const out = execFileSync(python, [join(REPO, 'test', 'helpers', 'scipy_truth.py'), file], { encoding: 'utf8', maxBuffer: 256 << 20 });
    const parsed = JSON.parse(out) as { scipy: string; results: Record<string, Record<string, unknown>> };
    scipyVersion = parsed.scipy;
    truthCache = parsed.results;
    return truthCache;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function check(fn: string | string[]): void {
  const fns = Array.isArray(fn) ? fn : [fn];
  const selected = cases.filter((c) => fns.includes(c.fn));
  assert.ok(selected.length > 0, `no cases for ${fns.join(', ')}`);
  const results = truth();
  for (const c of selected) {
    const expected = results[c.id];
    assert.ok(expected, `${c.id}: no result from scipy`);
    assert.ok(!('error' in expected), `${c.id}: scipy failed: ${String(expected.error)}`);
    const ours = c.ours();
    for (const [key, value] of Object.entries(expected)) {
      assert.ok(key in ours, `${c.id}: we return no ${key}`);
      const mine = ours[key];
      if (Array.isArray(value)) {
        assert.ok(Array.isArray(mine) && mine.length === value.length, `${c.id}: ${key} length`);
        value.forEach((v, i) => compareValue(c, `${key}[${i}]`, (mine as number[])[i], toNumber(v)));
      } else {
        compareValue(c, key, mine as number, toNumber(value));
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Cases

const T = telco();
const pick = <K extends string>(r: Record<K, number>, ...keys: K[]): Record<string, number> => Object.fromEntries(keys.map((k) => [k, r[k]]));

// t-tests
const tSets: [string, number[], number[]][] = [
  ['telco MonthlyCharges churn vs stay', T.charges.churn, T.charges.stay],
  ['normal 30 vs 45', normals(1, 30, 0.2, 1), normals(2, 45, 0, 2.5)],
  ['n=2 vs n=2', [1.5, 2.25], [0.5, 4]],
  ['n=2 vs n=50', [10, 11], normals(3, 50, 9, 3)],
  ['fractional df, 5 vs 7', normals(4, 5, 1, 0.3), normals(5, 7, 0, 4)],
  ['extreme tail (p < 1e-20)', normals(6, 300, 1, 1), normals(7, 250, 0, 1)],
  ['underflow tail (p < 1e-300)', normals(8, 4000, 1, 1), normals(9, 4000, 0, 1)],
  ['identical samples', normals(10, 40), normals(10, 40)],
  ['large offset', normals(11, 100, 1e6, 1e-3), normals(12, 120, 1e6 + 1e-4, 1e-3)],
  ['ties, integers', normals(13, 60, 3, 2).map(Math.round), normals(14, 70, 3.5, 2).map(Math.round)],
];
for (const [name, a, b] of tSets) {
  add(`welch: ${name}`, 'welch', { a, b }, () => pick(welch(a, b), 'statistic', 'pvalue', 'df'));
  add(`student: ${name}`, 'student', { a, b }, () => pick(student(a, b), 'statistic', 'pvalue', 'df'));
}

// two-proportion z-test
const churned = T.rows.filter((r) => r.Churn === 'Yes').length;
const seniors = T.rows.filter((r) => r.SeniorCitizen === '1');
const juniors = T.rows.filter((r) => r.SeniorCitizen === '0');
const zSets: [string, number, number, number, number][] = [
  ['telco churn vs 300/1000', churned, T.rows.length, 300, 1000],
  [
    'telco churn, seniors vs others',
    seniors.filter((r) => r.Churn === 'Yes').length,
    seniors.length,
    juniors.filter((r) => r.Churn === 'Yes').length,
    juniors.length,
  ],
  ['equal rates', 50, 500, 100, 1000],
  ['extreme tail', 100, 1000, 900, 1000],
  ['small', 1, 7, 5, 9],
  ['all zero', 0, 10, 0, 20],
];
for (const [name, x1, n1, x2, n2] of zSets) {
  add(`ztest: ${name}`, 'ztest', { x1, n1, x2, n2 }, () => pick(twoProportionZ(x1, n1, x2, n2), 'statistic', 'pvalue'));
}

// chi-square contingency
function crosstab(column: string): { a: number[]; b: number[] } {
  const churn = T.rows.filter((r) => r.Churn === 'Yes').map((r) => r[column]);
  const stay = T.rows.filter((r) => r.Churn === 'No').map((r) => r[column]);
  return categoryCounts(churn, stay);
}
const chiSets: [string, number[], number[]][] = [
  ['telco churn × Contract', crosstab('Contract').a, crosstab('Contract').b],
  ['telco churn × PaymentMethod', crosstab('PaymentMethod').a, crosstab('PaymentMethod').b],
  ['telco churn × gender (2×2)', crosstab('gender').a, crosstab('gender').b],
  ['issue example', [500, 300, 150, 50], [480, 310, 160, 50]],
  ['category only in one row', [10, 20, 0, 5], [12, 18, 7, 4]],
  ['2×2, category only in one row', [10, 0], [5, 5]],
  ['2×2, |o−e| < 0.5', [10, 11], [11, 10]],
  ['extreme tail', [5000, 100, 30], [100, 5000, 40]],
  ['single column (dof 0)', [7], [9]],
  ['fractional counts', [2.5, 7.25, 1], [3, 1.5, 6]],
];
for (const [name, a, b] of chiSets) {
  for (const yates of [false, true]) {
    add(`chisq${yates ? ' yates' : ''}: ${name}`, 'chisq', { a, b, yates }, () => pick(chiSquareContingency(a, b, { yates }), 'statistic', 'pvalue', 'dof'), {
      dof: 'exact',
    });
  }
}

// sample-ratio mismatch
const srmSets: [string, number[], number[] | undefined][] = [
  ['5000/5100 equal', [5000, 5100], undefined],
  ['5000/5100 weights 50,50', [5000, 5100], [50, 50]],
  ['three arms', [1000, 1200, 980], [1, 1, 1]],
  ['90/10 split', [9000, 1000], [90, 10]],
  ['90/10 split, mismatched', [9100, 900], [90, 10]],
  ['extreme', [5000, 6000], undefined],
];
for (const [name, counts, weights] of srmSets) {
  add(`srm: ${name}`, 'srm', { counts, weights: weights ?? null }, () => pick(sampleRatioMismatch(counts, weights), 'statistic', 'pvalue', 'dof'), { dof: 'exact' });
}

// Kolmogorov–Smirnov
const ints = (seed: number, n: number, mean: number, sd: number) => normals(seed, n, mean, sd).map((v) => Math.round(v));
const ksSets: [string, number[], number[], ('auto' | 'exact' | 'asymp')[]][] = [
  ['exact 8 vs 10 with ties', ints(20, 8, 3, 2), ints(21, 10, 4, 2), ['auto', 'exact', 'asymp']],
  ['exact 15 vs 15 with ties', ints(22, 15, 0, 1.5), ints(23, 15, 0.8, 1.5), ['auto', 'asymp']],
  ['exact 20 vs 33', normals(24, 20), normals(25, 33, 0.6), ['auto', 'asymp']],
  ['n=2 vs 3', [0.5, 1.5], [1, 2, 3], ['auto', 'asymp']],
  ['n=1 vs 1', [0], [1], ['auto']],
  ['identical samples', normals(26, 25), normals(26, 25), ['auto', 'asymp']],
  ['exact 500 vs 700', normals(27, 500), normals(28, 700, 0.1), ['auto', 'asymp']],
  ['exact 1000 vs 1000', normals(29, 1000), normals(30, 1000, 0.05, 1.1), ['auto', 'asymp']],
  ['asymp 50 vs 60 (Pomeranz/Durbin range)', normals(31, 50), normals(32, 60, 0.3), ['asymp', 'auto']],
  ['asymp 200 vs 300', normals(33, 200), normals(34, 300, 0.15), ['asymp']],
  ['extreme tail, exact 300 vs 400', normals(35, 300), normals(36, 400, 1.5), ['auto', 'asymp']],
  ['exact 3000 vs 7000', normals(37, 3000), normals(38, 7000, 0.04), ['exact']],
  ['asymp 15000 vs 12000 (auto)', normals(39, 15000), normals(40, 12000, 0.02), ['auto']],
  ['asymp extreme 20000 vs 20000', normals(41, 20000), normals(42, 20000, 0.2), ['auto']],
  ['telco MonthlyCharges churn vs stay', T.charges.churn, T.charges.stay, ['auto', 'asymp']],
  ['many ties, 3000 vs 2500 (large-sample statistic, exact p)', ints(45, 3000, 0, 1), ints(46, 2500, 0.05, 1), ['auto', 'asymp']],
  ['many ties, 400 vs 450', ints(43, 400, 0, 0.7), ints(44, 450, 0.1, 0.7), ['auto', 'asymp']],
];
for (const [name, a, b, methods] of ksSets) {
  for (const method of methods) {
    add(`ks ${method}: ${name}`, 'ks', { a, b, method }, () => pick(ks2samp(a, b, method), 'statistic', 'pvalue'));
  }
}
const kstwoPoints: [number, number][] = [
  [10, 0.04], [10, 0.08], [10, 0.95], [10, 0.6], [100, 0.05], [100, 0.15], [100, 0.3], [140, 0.1],
  [1000, 0.03], [1000, 0.01], [1000, 0.06], [150, 0.003], [200, 0.004], [50000, 0.0005], [50000, 0.009],
  [500000, 0.001], [500000, 0.0022], [500000, 0.004], [2000000, 0.001], [2000000, 0.0012], [3, 0.5], [7, 0.3],
];
for (const [n, x] of kstwoPoints) add(`kstwo.sf n=${n} x=${x}`, 'kstwo_sf', { n, x }, () => ({ value: kolmogorovSf(n, x) }));
const smirnovPoints: [number, number][] = [[10, 0.05], [10, 0.3], [7, 1 / 7], [100, 0.1], [1000, 0.05], [1012, 0.02], [1013, 0.02], [500000, 0.002], [2000000, 0.001], [2000000, 0.0001]];
for (const [n, x] of smirnovPoints) add(`smirnov n=${n} x=${x}`, 'smirnov', { n, x }, () => ({ value: smirnovSf(n, x) }));

// Wasserstein, Jensen–Shannon, PSI, binary z-test
const wSets: [string, number[], number[]][] = [
  ['normal 100 vs 150', normals(50, 100), normals(51, 150, 0.3, 1.4)],
  ['integers with ties', ints(52, 80, 2, 3), ints(53, 90, 2.5, 3)],
  ['telco MonthlyCharges', T.charges.churn, T.charges.stay],
  ['identical', normals(54, 30), normals(54, 30)],
  ['single values', [1], [3.5]],
  ['100000 vs 120000', normals(55, 100000), normals(56, 120000, 0.01, 1.02)],
];
for (const [name, a, b] of wSets) {
  add(`wasserstein: ${name}`, 'wasserstein', { a, b }, () => ({ distance: wasserstein(a, b) }));
}
add('normed wasserstein: normal', 'normed_wasserstein', { a: wSets[0][1], b: wSets[0][2] }, () => ({ distance: normedWasserstein(wSets[0][1], wSets[0][2]) }));
add('normed wasserstein: constant reference', 'normed_wasserstein', { a: [2, 2, 2], b: [2, 3] }, () => ({ distance: normedWasserstein([2, 2, 2], [2, 3]) }));
const jsSets: [string, number[], number[]][] = [
  ['probabilities', [0.1, 0.2, 0.7], [0.3, 0.3, 0.4]],
  ['counts with zeros', [10, 0, 5], [3, 7, 0]],
  ['identical', [1, 2, 3], [2, 4, 6]],
  ['disjoint', [1, 0], [0, 1]],
  ['telco Contract by churn', crosstab('Contract').a, crosstab('Contract').b],
];
for (const [name, p, q] of jsSets) add(`jensenshannon: ${name}`, 'jensenshannon', { p, q }, () => ({ distance: jensenShannon(p, q) }));
const psiSets: [string, number[], number[], number][] = [
  ['normal shift, 10 bins', normals(60, 1000), normals(61, 800, 0.25), 10],
  ['integers, tied edges', ints(62, 500, 1, 1), ints(63, 600, 1.3, 1), 10],
  ['1 bin', normals(64, 50), normals(65, 60), 1],
  ['20 bins, current outside reference range', normals(66, 2000), normals(67, 500, 3), 20],
  ['identical', normals(68, 300), normals(68, 300), 10],
  ['telco MonthlyCharges', T.charges.stay, T.charges.churn, 10],
];
for (const [name, a, b, bins] of psiSets) add(`psi: ${name}`, 'psi', { a, b, bins }, () => ({ psi: psi(a, b, bins) }));
const u = seededRandom(70);
const binA = Array.from({ length: 400 }, () => (u() < 0.3 ? 1 : 0));
const binB = Array.from({ length: 350 }, () => (u() < 0.38 ? 1 : 0));
add('ztest binary', 'ztest_binary', { a: binA, b: binB }, () => pick(zTestBinary(binA, binB), 'statistic', 'pvalue'));

// Intervals, power, sample size
const sumChurn = summarize(T.charges.churn);
const sumStay = summarize(T.charges.stay);
const smallA: Summary = { n: 12, mean: 3.1, variance: 0.8 };
const smallB: Summary = { n: 9, mean: 2.4, variance: 2.2 };
for (const [name, a, b] of [
  ['telco MonthlyCharges', sumChurn, sumStay],
  ['small samples', smallA, smallB],
] as const) {
  for (const alpha of [0.05, 0.01]) {
    add(`mean diff CI (${name}, α=${alpha})`, 'mean_diff_ci', { a, b, alpha }, () => pick(meanDiffInterval(a, b, { alpha }), 'estimate', 'lower', 'upper', 'se', 'df'));
    add(`mean diff CI pooled (${name}, α=${alpha})`, 'mean_diff_ci', { a, b, alpha, equal_var: true }, () =>
      pick(meanDiffInterval(a, b, { alpha, equalVariance: true }), 'estimate', 'lower', 'upper', 'se', 'df'),
    );
    add(`lift CI (${name}, α=${alpha})`, 'lift_ci', { a, b, alpha }, () => pick(relativeLiftInterval(a, b, { alpha }), 'estimate', 'lower', 'upper', 'se', 'df'));
    add(`lift CI normal (${name}, α=${alpha})`, 'lift_ci', { a, b, alpha, normal: true }, () =>
      pick(relativeLiftInterval(a, b, { alpha, normal: true }), 'estimate', 'lower', 'upper', 'se', 'df'),
    );
  }
}
for (const [x1, n1, x2, n2] of [
  [churned, T.rows.length, 300, 1000],
  [3, 20, 9, 25],
]) {
  add(`proportion diff CI ${x1}/${n1} vs ${x2}/${n2}`, 'prop_diff_ci', { x1, n1, x2, n2, alpha: 0.05 }, () =>
    pick(proportionDiffInterval(x1, n1, x2, n2), 'estimate', 'lower', 'upper', 'se', 'df'),
  );
}
const liftProp = [proportionSummary(330, 3000), proportionSummary(300, 3000)] as const;
add('lift CI proportions', 'lift_ci', { a: liftProp[0], b: liftProp[1], alpha: 0.05, normal: true }, () =>
  pick(relativeLiftInterval(liftProp[0], liftProp[1], { normal: true }), 'estimate', 'lower', 'upper', 'se', 'df'),
);
for (const [p1, p2, n1, n2, alpha] of [
  [0.1, 0.12, 3000, 3000, 0.05],
  [0.265, 0.3, 1000, 500, 0.01],
  [0.5, 0.45, 200, 200, 0.05],
]) {
  add(`proportion power ${p1}→${p2}`, 'prop_power', { p1, p2, n1, n2, alpha }, () => ({ power: proportionPower(p1, p2, n1, n2, { alpha }) }));
}
for (const [delta, sd1, sd2, n1, n2, alpha] of [
  [0.5, 2, 2, 100, 100, 0.05],
  [-1.2, 3, 5, 40, 80, 0.01],
]) {
  add(`mean power Δ=${delta}`, 'mean_power', { delta, sd1, sd2, n1, n2, alpha }, () => ({ power: meanPower(delta, sd1, sd2, n1, n2, { alpha }) }));
}
for (const [p1, p2, alpha, power, ratio] of [
  [0.1, 0.12, 0.05, 0.8, 1],
  [0.265, 0.22, 0.01, 0.9, 2],
  [0.5, 0.6, 0.05, 0.8, 0.5],
]) {
  add(`proportion sample size ${p1}→${p2} r=${ratio}`, 'prop_sample_size', { p1, p2, alpha, power, ratio }, () => ({ ...proportionSampleSize(p1, p2, { alpha, power, ratio }) }), {
    n1: 'exact',
    n2: 'exact',
  });
}
for (const [delta, sd1, sd2, alpha, power, ratio] of [
  [0.5, 2, 2, 0.05, 0.8, 1],
  [3, 10, 14, 0.01, 0.95, 1.5],
]) {
  add(`mean sample size Δ=${delta}`, 'mean_sample_size', { delta, sd1, sd2, alpha, power, ratio }, () => ({ ...meanSampleSize(delta, sd1, sd2, { alpha, power, ratio }) }), {
    n1: 'exact',
    n2: 'exact',
  });
}
for (const [p1, n1, n2, direction] of [
  [0.1, 5000, 5000, 'up'],
  [0.265, 1869, 5174, 'down'],
] as const) {
  add(`proportion MDE p1=${p1} ${direction}`, 'prop_mde', { p1, n1, n2, alpha: 0.05, power: 0.8, direction }, () => ({ mde: proportionMde(p1, n1, n2, { direction }) }));
}
add('mean MDE', 'mean_mde', { sd1: 30, sd2: 31, n1: 1869, n2: 5174, alpha: 0.05, power: 0.8 }, () => ({ mde: meanMde(30, 31, 1869, 5174) }));

// Sequential, multiple testing, distributions
for (const [estimate, se, n, alpha, tuning] of [
  [0.02, 0.01, 4000, 0.05, 5000],
  [-0.3, 0.05, 200, 0.05, 5000],
  [1.5, 0.2, 100000, 0.01, 5000],
  [0, 0.1, 50, 0.05, 1000],
]) {
  add(`confidence sequence est=${estimate} n=${n}`, 'seq', { estimate, se, n, alpha, tuning }, () => {
    const r = confidenceSequence(estimate, se, n, { alpha, tuning });
    return { rho: Math.sqrt((-2 * Math.log(alpha) + Math.log(1 - 2 * Math.log(alpha))) / tuning), halfwidth: r.halfwidth, lower: r.lower, upper: r.upper, pvalue: r.pvalue };
  });
}
const ps = [0.01, 0.04, 0.03, 0.2, 0.04, 0.5, 0.001, 0.9, 0.049];
add('bonferroni', 'bonferroni', { p: ps }, () => ({ adjusted: bonferroni(ps).adjusted }));
add('benjamini-hochberg', 'bh', { p: ps }, () => ({ adjusted: benjaminiHochberg(ps).adjusted }));
for (const x of [-3, 0.5, 5, 20, 37.5, 38.5]) add(`norm.sf(${x})`, 'norm_sf', { x }, () => ({ value: normalSf(x) }));
for (const p of [1e-300, 1e-20, 1e-10, 0.001, 0.025, 0.5, 0.8, 0.975, 1 - 1e-12]) add(`norm.ppf(${p})`, 'norm_ppf', { p }, () => ({ value: normalPpf(p) }));
for (const [x, df] of [
  [2.5, 3.7], [50, 2.5], [-2, 0.7], [10, 1e6], [0.3, 0.7], [40, 123.4], [3, 1e9], [1e5, 12],
  [0.3, 1e8], [2, 5e7], [38, 5e6], [1, 100], [5, 31], [0.01, 1e11],
]) {
  add(`t.sf(${x}, ${df})`, 't_sf', { x, df }, () => ({ value: tSf(x, df) }));
}
for (const [p, df] of [
  [0.975, 3.7], [1e-10, 12.3], [0.975, 1e6], [0.01, 0.8], [0.995, 1], [0.9, 2],
]) {
  add(`t.ppf(${p}, ${df})`, 't_ppf', { p, df }, () => ({ value: tPpf(p, df) }));
}
for (const [x, df] of [
  [3, 1], [100, 3], [10500, 10000], [0.5, 2], [1500, 2], [2000, 1], [50, 60.5],
]) {
  add(`chi2.sf(${x}, ${df})`, 'chi2_sf', { x, df }, () => ({ value: chi2Sf(x, df) }));
}

// ---------------------------------------------------------------------------------------------
// Tests against scipy

test('t-tests (Welch, Student) match scipy.stats.ttest_ind', () => check(['welch', 'student']));
test('two-proportion z-test matches the pooled formula (and the 2×2 chi-square)', () => check(['ztest', 'ztest_binary']));
test('chi-square contingency matches scipy.stats.chi2_contingency, with and without Yates', () => check('chisq'));
test('sample-ratio mismatch matches scipy.stats.chisquare', () => check('srm'));
test('two-sample KS matches scipy.stats.ks_2samp (exact with ties, asymptotic, tails)', () => check('ks'));
test('Kolmogorov distributions match scipy.stats.kstwo and scipy.special.smirnov', () => check(['kstwo_sf', 'smirnov']));
test('Wasserstein, Jensen–Shannon and PSI match scipy / NumPy', () => check(['wasserstein', 'normed_wasserstein', 'jensenshannon', 'psi']));
test('confidence intervals match scipy quantiles', () => check(['mean_diff_ci', 'prop_diff_ci', 'lift_ci']));
test('power, sample size and MDE match scipy', () => check(['prop_power', 'mean_power', 'prop_sample_size', 'mean_sample_size', 'prop_mde', 'mean_mde']));
test('confidence sequence matches the GrowthBook / Waudby-Smith formulas', () => check('seq'));
test('Bonferroni and Benjamini–Hochberg', () => check(['bonferroni', 'bh']));
test('normal, t and chi-square tails match scipy', () => check(['norm_sf', 'norm_ppf', 't_sf', 't_ppf', 'chi2_sf']));

after(() => {
  if (maxErrors.size === 0) return;
  const lines = [...maxErrors.entries()].map(([fn, m]) => `  ${fn.padEnd(18)} statistics ${m.stat.toExponential(1).padStart(8)}   p-values ${m.p.toExponential(1).padStart(8)}`);
  console.log(`max relative error vs scipy ${scipyVersion} (${cases.length} cases):\n${lines.join('\n')}`);
});

// ---------------------------------------------------------------------------------------------
// Behaviour

test('edge cases: identical samples, n = 2, extreme tails', () => {
  const a = normals(80, 40);
  assert.deepEqual(pick(welch(a, a), 'statistic', 'pvalue'), { statistic: 0, pvalue: 1 });
  assert.deepEqual(pick(ks2samp(a, a), 'statistic', 'pvalue'), { statistic: 0, pvalue: 1 });
  assert.equal(wasserstein(a, a), 0);
  assert.equal(jensenShannon([1, 2], [1, 2]), 0);
  const tail = welch(normals(6, 300, 1, 1), normals(7, 250, 0, 1));
  assert.ok(tail.pvalue < 1e-20 && tail.pvalue > 0, `p = ${tail.pvalue}`);
  const twos = welch([1, 2], [3, 5]);
  assert.ok(Number.isFinite(twos.statistic) && twos.df > 1);
  // Zero variance in both samples, as scipy: df 1, statistic ±Infinity.
  const constant = welch([2, 2, 2], [1, 1]);
  assert.equal(constant.statistic, Infinity);
  assert.equal(constant.pvalue, 0);
  assert.ok(Number.isNaN(welch([2, 2], [2, 2]).statistic));
});

test('bad input is rejected with a clear StatsError', () => {
  assert.throws(() => welch([], [1, 2]), (e: unknown) => e instanceof StatsError && /sample a is empty/.test(e.message));
  assert.throws(() => welch([1], [1, 2]), /sample a needs at least 2 values, has 1/);
  assert.throws(() => welch([1, NaN, 3], [1, 2]), /sample a has NaN at index 1/);
  assert.throws(() => ks2samp([1, 2], [Infinity]), /sample b has Infinity at index 0/);
  assert.throws(() => ks2samp(new Float64Array(0), [1]), /sample a is empty/);
  assert.throws(() => wasserstein([1], [NaN]), /sample b has NaN/);
  assert.throws(() => psi([1, 2], [3], 0), /bins must be a positive integer/);
  assert.throws(() => twoProportionZ(11, 10, 1, 10), /successes \(11\) exceed trials \(10\)/);
  assert.throws(() => twoProportionZ(1.5, 10, 1, 10), /must be a non-negative integer/);
  assert.throws(() => chiSquareContingency([1, 0, 2], [3, 0, 1]), /column 2 is zero in both rows/);
  assert.throws(() => chiSquareContingency([1, 2], [3]), /different lengths/);
  assert.throws(() => chiSquareContingency([1, -2], [3, 4]), /must be a finite number ≥ 0/);
  assert.throws(() => sampleRatioMismatch([10]), /at least 2 variants/);
  assert.throws(() => sampleRatioMismatch([10, 12], [1, 0]), /weight 2 must be a positive number/);
  assert.throws(() => jensenShannon([0, 0], [1, 1]), /p sums to 0/);
  assert.throws(() => zTestBinary([0, 1, 2], [1]), /must be 0 or 1/);
  assert.throws(() => ks2samp([1], [2], 'fast' as 'auto'), /unknown method/);
  assert.throws(() => benjaminiHochberg([0.1, 1.2]), /p-value 2 must be between 0 and 1/);
});

test("quantiles invert the CDFs to ~1e-13 (scipy's stdtrit stops near 1e-10, hence CI differences of that order)", () => {
  for (const [p, df] of [
    [0.975, 3.7], [1e-10, 12.3], [0.975, 1e6], [0.01, 0.8], [0.995, 1], [0.9, 2], [0.975, 13.2], [0.995, 2500],
  ]) {
    const q = tPpf(p, df);
    // The smaller tail, compared relatively: P(T > q) = 1 − p above the median, P(T ≤ q) = p below.
    const [tail, target] = p > 0.5 ? [tSf(q, df), 1 - p] : [tSf(-q, df), p];
    assert.ok(Math.abs(tail - target) <= 1e-13 * target, `t.ppf(${p}, ${df}) = ${q}: tail ${tail} vs ${target}`);
  }
  for (const p of [1e-300, 1e-20, 0.001, 0.025, 0.3]) {
    const z = normalPpf(p);
    assert.ok(Math.abs(normalSf(-z) - p) <= 1e-13 * p, `norm.ppf(${p}) = ${z}`);
  }
});

test('SRM flags at p < 0.001 only', () => {
  assert.equal(sampleRatioMismatch([5000, 5100]).flagged, false);
  assert.equal(sampleRatioMismatch([5000, 5400]).flagged, true);
  assert.equal(sampleRatioMismatch([9000, 1000], [90, 10]).flagged, false);
});

test('sample sizes are the smallest that reach the power, and MDE inverts power', () => {
  const { n1, n2 } = proportionSampleSize(0.1, 0.12, { power: 0.8 });
  assert.ok(proportionPower(0.1, 0.12, n1, n2) >= 0.8);
  assert.ok(proportionPower(0.1, 0.12, n1 - 1, n2 - 1) < 0.8);
  const mde = proportionMde(0.1, n1, n2);
  assert.ok(Math.abs(proportionPower(0.1, 0.1 + mde, n1, n2) - 0.8) < 1e-9);
  assert.ok(mde <= 0.02 + 1e-12, `mde ${mde}`);
  const m = meanSampleSize(0.5, 2, 2);
  assert.ok(Math.abs(meanMde(2, 2, m.n1, m.n2) - 0.5) < 0.01);
});

test('a-minus-b sign convention and the pooled z-test squared is the 2×2 chi-square', () => {
  assert.ok(welch([5, 6, 7], [1, 2, 3]).statistic > 0);
  assert.ok(twoProportionZ(30, 100, 10, 100).statistic > 0);
  assert.ok(meanDiffInterval(summarize([5, 6, 7]), summarize([1, 2, 3])).lower > 0);
  const z = twoProportionZ(40, 200, 25, 210).statistic;
  const chi = chiSquareContingency([40, 160], [25, 185]).statistic;
  assert.ok(Math.abs(z * z - chi) < 1e-9 * chi);
});

test('radix sort orders like Array.prototype.sort, including ±0 and infinities', () => {
  const u2 = seededRandom(90);
  const n = 50_000;
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) values[i] = (u2() - 0.5) * Math.exp(u2() * 60 - 30) * (u2() < 0.1 ? 0 : 1);
  values[0] = -0;
  values[1] = Infinity;
  values[2] = -Infinity;
  values[3] = Number.MIN_VALUE;
  values[4] = -Number.MAX_VALUE;
  const expected = Float64Array.from(values).sort();
  sortFloat64(values);
  for (let i = 0; i < n; i++) assert.ok(Object.is(values[i], expected[i]), `index ${i}: ${values[i]} vs ${expected[i]}`);
});

test('the large-sample KS statistic equals a full sort-and-merge on awkward data', () => {
  const next = seededRandom(95);
  const generators: ((n: number) => Float64Array)[] = [
    (n) => Float64Array.from({ length: n }, () => Math.round(next() * 10)),
    (n) => Float64Array.from({ length: n }, () => 1 + next() * 1e-9),
    (n) => Float64Array.from({ length: n }, () => (next() < 0.3 ? -0 : next() < 0.5 ? 0 : next() - 0.5)),
    (n) => Float64Array.from({ length: n }, () => Math.exp(next() * 40 - 20) * (next() < 0.5 ? -1 : 1)),
    (n) => Float64Array.from({ length: n }, () => 5),
    (n) => Float64Array.from({ length: n }, () => (next() < 0.01 ? Number.MAX_VALUE : next() < 0.01 ? -Number.MAX_VALUE : next() < 0.01 ? Number.MIN_VALUE : next())),
    (n) => Float64Array.from(normals(Math.floor(next() * 1000), n)),
  ];
  for (let t = 0; t < 42; t++) {
    const x = generators[t % 7](3000 + Math.floor(next() * 20000));
    const y = generators[Math.floor(t / 6) % 7](2000 + Math.floor(next() * 20000));
    const full = ks2samp(sortFloat64(x.slice()), sortFloat64(y.slice()), 'asymp', { sorted: true });
    assert.equal(ks2samp(x, y, 'asymp').statistic, full.statistic, `case ${t}`);
  }
});

test('KS on 200,000 vs 200,000 values is fast and takes pre-sorted input', () => {
  const a = Float64Array.from(normals(91, 200_000));
  const b = Float64Array.from(normals(92, 200_000, 0.01));
  const t0 = process.hrtime.bigint();
  const r = ks2samp(a, b);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  assert.equal(r.method, 'asymp');
  assert.ok(ms < 2000, `took ${ms} ms`);
  sortFloat64(a);
  sortFloat64(b);
  assert.deepEqual(ks2samp(a, b, 'auto', { sorted: true }), r);
});

// ---------------------------------------------------------------------------------------------
// Sequential testing under continuous peeking

test('sequential mode: 200 A/A experiments with continuous peeking stay within α', () => {
  const alpha = 0.05;
  const experiments = 200;
  const perArm = 5000;
  const every = 50;
  const minSamples = 200;
  let sequentialFalse = 0;
  let naiveFalse = 0;
  const z = normalPpf(1 - alpha / 2);
  for (let e = 0; e < experiments; e++) {
    const next = seededRandom(1000 + e);
    const gauss = (): number => Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
    const monitor = new SequentialMonitor({ minSamples });
    let s1 = 0;
    let q1 = 0;
    let s2 = 0;
    let q2 = 0;
    let seqHit = false;
    let naiveHit = false;
    for (let n = 1; n <= perArm; n++) {
      // A conversion-like metric: a skewed, bounded outcome.
      const x1 = gauss() > 1 ? 1 : 0;
      const x2 = gauss() > 1 ? 1 : 0;
      s1 += x1;
      q1 += x1 * x1;
      s2 += x2;
      q2 += x2 * x2;
      if (n % every !== 0 || n < minSamples / 2) continue;
      const a: Summary = { n, mean: s1 / n, variance: (q1 - (s1 * s1) / n) / (n - 1) };
      const b: Summary = { n, mean: s2 / n, variance: (q2 - (s2 * s2) / n) / (n - 1) };
      if (a.variance === 0 || b.variance === 0) continue;
      const d = monitor.look(sequentialMeanDiff(a, b, { alpha }));
      if (d.verdict !== 'continue') seqHit = true;
      const se = Math.sqrt(a.variance / n + b.variance / n);
      if (Math.abs(a.mean - b.mean) / se > z) naiveHit = true;
    }
    if (seqHit) sequentialFalse++;
    if (naiveHit) naiveFalse++;
  }
  // Binomial(200, 0.05): mean 10, sd ≈ 3.1; allow three standard deviations.
  const tolerance = 3 * Math.sqrt(experiments * alpha * (1 - alpha));
  assert.ok(sequentialFalse <= experiments * alpha + tolerance, `sequential: ${sequentialFalse}/${experiments} false positives`);
  // Peeking at a fixed-horizon test is what the sequential mode protects against.
  assert.ok(naiveFalse > sequentialFalse && naiveFalse > experiments * alpha + tolerance, `naive peeking: ${naiveFalse}/${experiments}`);
  console.log(`A/A with peeking every ${every} per arm up to ${perArm}: sequential ${sequentialFalse}/${experiments}, naive ${naiveFalse}/${experiments}`);
});

test('sequential decision: a real difference is found, and "need N more samples" is consistent', () => {
  const r = sequentialProportionDiff(660, 6000, 600, 6000);
  const d = sequentialDecision(r);
  assert.equal(d.verdict, 'continue');
  assert.ok(d.moreSamples > 0 && Number.isFinite(d.moreSamples));
  const total = sequentialSamplesNeeded(r);
  const se2n = r.se * r.se * r.n;
  const later = confidenceSequence(r.estimate, Math.sqrt(se2n / total), total);
  assert.equal(later.significant, true);
  const before = confidenceSequence(r.estimate, Math.sqrt(se2n / (total - 1)), total - 1);
  assert.equal(before.significant, false);
  const big = sequentialProportionDiff(1300, 10000, 1000, 10000);
  assert.equal(sequentialDecision(big).verdict, 'a-better');
  assert.ok(big.pvalue <= 0.05);
  assert.equal(sequentialDecision(sequentialProportionDiff(1000, 10000, 1300, 10000)).verdict, 'b-better');
  // The sequence is wider than the fixed-horizon interval.
  const fixed = proportionDiffInterval(1300, 10000, 1000, 10000);
  assert.ok(big.halfwidth > fixed.upper - fixed.estimate);
  // Identical estimates need infinitely many samples.
  assert.equal(sequentialSamplesNeeded(sequentialMeanDiff({ n: 100, mean: 1, variance: 1 }, { n: 100, mean: 1, variance: 1 })), Infinity);
  assert.ok(welchFromSummary({ n: 100, mean: 1, variance: 1 }, { n: 100, mean: 1, variance: 1 }).pvalue === 1);
});

// ---------------------------------------------------------------------------------------------
// CLI

function capture(): { out: { stdout: (s: string) => void; stderr: (s: string) => void }; text: () => string } {
  let buffer = '';
  return { out: { stdout: (s) => (buffer += s), stderr: (s) => (buffer += s) }, text: () => buffer };
}

test('mlops stats: every test prints JSON that matches the library', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mlops-stats-cli-'));
  try {
    const fa = join(dir, 'a.txt');
    const fb = join(dir, 'b.txt');
    writeFileSync(fa, T.charges.churn.join('\n') + '\n');
    writeFileSync(fb, `${T.charges.stay.join('\r\n')}\r\n\r\n`);
    const run = (...args: string[]): Record<string, unknown> => {
      const c = capture();
      assert.equal(statsCommand([...args, '--json'], c.out), 0);
      return JSON.parse(c.text()) as Record<string, unknown>;
    };
    assert.deepEqual(run('welch', '--a', fa, '--b', fb), pick(welch(T.charges.churn, T.charges.stay), 'statistic', 'pvalue', 'df'));
    assert.deepEqual(run('student', '--a', fa, '--b', fb), pick(student(T.charges.churn, T.charges.stay), 'statistic', 'pvalue', 'df'));
    assert.deepEqual(run('ztest', '--a', '1869/7043', '--b', '300/1000'), pick(twoProportionZ(1869, 7043, 300, 1000), 'statistic', 'pvalue'));
    assert.deepEqual(run('chisq', '--a', '500,300,150,50', '--b', '480,310,160,50'), { ...pick(chiSquareContingency([500, 300, 150, 50], [480, 310, 160, 50]), 'statistic', 'pvalue'), dof: 3 });
    assert.deepEqual(run('chisq', '--a', '10,20', '--b', '15,12', '--yates'), { ...pick(chiSquareContingency([10, 20], [15, 12], { yates: true }), 'statistic', 'pvalue'), dof: 1 });
    assert.deepEqual(run('srm', '--counts', '5000,5100'), pick(sampleRatioMismatch([5000, 5100]), 'statistic', 'pvalue'));
    assert.deepEqual(run('srm', '--counts', '9000,1000', '--weights', '90,10'), pick(sampleRatioMismatch([9000, 1000], [90, 10]), 'statistic', 'pvalue'));
    assert.deepEqual(run('ks', '--a', fa, '--b', fb), pick(ks2samp(T.charges.churn, T.charges.stay), 'statistic', 'pvalue'));
    assert.deepEqual(run('ks', '--a', fa, '--b', fb, '--method', 'asymp'), pick(ks2samp(T.charges.churn, T.charges.stay, 'asymp'), 'statistic', 'pvalue'));
    assert.deepEqual(run('wasserstein', '--a', fa, '--b', fb), { distance: wasserstein(T.charges.churn, T.charges.stay) });
    assert.deepEqual(run('psi', '--a', fa, '--b', fb, '--bins', '5'), { psi: psi(T.charges.churn, T.charges.stay, 5) });
    // Text output and help.
    const c = capture();
    statsCommand(['ztest', '--a', '1869/7043', '--b', '300/1000'], c.out);
    assert.match(c.text(), /^statistic {2}-?\d.*\npvalue {5}\d/);
    const h = capture();
    assert.equal(statsCommand(['--help'], h.out), 0);
    assert.match(h.text(), /mlops stats <test>/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('mlops stats: bad input is a located usage error', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mlops-stats-cli-'));
  try {
    const bad = join(dir, 'bad.txt');
    const good = join(dir, 'good.txt');
    const empty = join(dir, 'empty.txt');
    writeFileSync(bad, '1.5\n2\n\nabc\n4\n');
    writeFileSync(good, '1\n2\n3\n');
    writeFileSync(empty, '\n\n');
    const fails = (args: string[], pattern: RegExp) =>
      assert.throws(() => statsCommand(args, capture().out), (e: unknown) => e instanceof UsageError && pattern.test(e.message));
    fails(['welch', '--a', bad, '--b', good], new RegExp(`^${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:4: not a number: "abc"$`));
    fails(['ks', '--a', good, '--b', join(dir, 'missing.txt')], /missing\.txt: no such file/);
    fails(['welch', '--a', empty, '--b', good], /empty\.txt: no numbers/);
    fails(['welch', '--a', good], /--b is required/);
    writeFileSync(join(dir, 'nan.txt'), '1\nNaN\n');
    fails(['wasserstein', '--a', join(dir, 'nan.txt'), '--b', good], /nan\.txt:2: not a number: "NaN"/);
    writeFileSync(join(dir, 'one.txt'), '1\n');
    fails(['welch', '--a', join(dir, 'one.txt'), '--b', good], /stats welch: sample a needs at least 2 values/);
    fails(['ztest', '--a', '1869', '--b', '300/1000'], /--a must be successes\/trials/);
    fails(['ztest', '--a', '20/10', '--b', '300/1000'], /exceed trials/);
    fails(['chisq', '--a', '1,x', '--b', '1,2'], /--a: item 2 is not a number/);
    fails(['ks', '--a', good, '--b', good, '--method', 'fast'], /--method must be auto, exact or asymp/);
    fails(['psi', '--a', good, '--b', good, '--bins', '2.5'], /--bins must be a positive integer/);
    fails(['srm', '--counts', '1,2', '--yates'], /--yates does not apply to stats srm/);
    fails(['bogus'], /unknown test "bogus"/);
    fails([], /stats needs a test/);
    assert.deepEqual(Array.from(readNumberFile(good)), [1, 2, 3]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
