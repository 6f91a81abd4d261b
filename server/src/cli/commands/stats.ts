import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import {
  chiSquareContingency,
  ks2samp,
  psi,
  sampleRatioMismatch,
  StatsError,
  student,
  twoProportionZ,
  wasserstein,
  welch,
  type KsMethod,
} from '../../stats/index';
import { EXIT_OK, UsageError, type Out } from '../usage';

export const STATS_HELP = `Usage: mlops stats <test> [options] [--json]

Prints one statistic so any number in an A/B or drift report can be checked by hand (the values
match scipy). Samples A and B are files with one number per line (blank lines are skipped);
differences are A minus B, as in scipy.

Tests:
  welch        --a A.txt --b B.txt              Welch's t-test            {statistic, pvalue, df}
  student      --a A.txt --b B.txt              Student's t-test (pooled) {statistic, pvalue, df}
  ztest        --a 1869/7043 --b 300/1000       two-proportion z-test (pooled) {statistic, pvalue}
  chisq        --a 500,300,150 --b 480,310,160 [--yates]
                                                chi-square on the 2×K table  {statistic, pvalue, dof}
  srm          --counts 5000,5100 [--weights 50,50]
                                                sample-ratio mismatch (flagged at p < 0.001)
                                                                          {statistic, pvalue}
  ks           --a A.txt --b B.txt [--method auto|exact|asymp]
                                                two-sample Kolmogorov–Smirnov {statistic, pvalue}
  wasserstein  --a A.txt --b B.txt              Wasserstein-1 distance    {distance}
  psi          --a A.txt --b B.txt [--bins 10]  population stability index of B against
                                                reference A, quantile bins of A  {psi}

Options:
  --json       print the result as JSON
  -h, --help   show this help

Exit codes: 0 success, 2 bad usage or bad input (a bad number is reported as file:line).
`;

const TESTS = ['welch', 'student', 'ztest', 'chisq', 'srm', 'ks', 'wasserstein', 'psi'] as const;
type TestName = (typeof TESTS)[number];

/** The options each test takes (besides --json and --help). */
const OPTIONS: Record<TestName, string[]> = {
  welch: ['a', 'b'],
  student: ['a', 'b'],
  ztest: ['a', 'b'],
  chisq: ['a', 'b', 'yates'],
  srm: ['counts', 'weights'],
  ks: ['a', 'b', 'method'],
  wasserstein: ['a', 'b'],
  psi: ['a', 'b', 'bins'],
};

/** Numbers from a file, one per line; a line that is not a number is a located usage error. */
export function readNumberFile(path: string): Float64Array {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(`${path}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a folder' : (error as Error).message}`);
  }
  const lines = text.split(/\r?\n/);
  const values = new Float64Array(lines.length);
  let n = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '') continue;
    const v = Number(line);
    if (!Number.isFinite(v) || !/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(line)) {
      throw new UsageError(`${path}:${i + 1}: not a number: "${line.length > 40 ? `${line.slice(0, 40)}…` : line}"`);
    }
    values[n++] = v;
  }
  if (n === 0) throw new UsageError(`${path}: no numbers (the file is empty)`);
  return values.subarray(0, n);
}

function numberList(text: string | undefined, option: string): number[] {
  if (text === undefined) throw new UsageError(`${option} is required`);
  const parts = text.split(',').map((s) => s.trim());
  const values = parts.map(Number);
  const bad = parts.findIndex((s, i) => s === '' || !Number.isFinite(values[i]));
  if (bad >= 0) throw new UsageError(`${option}: item ${bad + 1} is not a number: "${parts[bad]}"`);
  return values;
}

function proportion(text: string | undefined, option: string): [number, number] {
  if (text === undefined) throw new UsageError(`${option} is required`);
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  if (!m) throw new UsageError(`${option} must be successes/trials, e.g. 1869/7043, not "${text}"`);
  return [Number(m[1]), Number(m[2])];
}

function required(value: string | undefined, option: string): string {
  if (value === undefined || value === '') throw new UsageError(`${option} is required`);
  return value;
}

function format(result: Record<string, number>): string {
  const width = Math.max(...Object.keys(result).map((k) => k.length));
  return Object.entries(result)
    .map(([k, v]) => `${k.padEnd(width)}  ${String(v)}\n`)
    .join('');
}

function jsonNumber(v: number): number | string {
  return Number.isFinite(v) ? v : String(v);
}

function compute(test: TestName, values: Record<string, string | boolean | undefined>): Record<string, number> {
  const str = (k: string) => values[k] as string | undefined;
  switch (test) {
    case 'welch':
    case 'student': {
      const a = readNumberFile(required(str('a'), '--a'));
      const b = readNumberFile(required(str('b'), '--b'));
      const r = test === 'welch' ? welch(a, b) : student(a, b);
      return { statistic: r.statistic, pvalue: r.pvalue, df: r.df };
    }
    case 'ztest': {
      const [x1, n1] = proportion(str('a'), '--a');
      const [x2, n2] = proportion(str('b'), '--b');
      const r = twoProportionZ(x1, n1, x2, n2);
      return { statistic: r.statistic, pvalue: r.pvalue };
    }
    case 'chisq': {
      const r = chiSquareContingency(numberList(str('a'), '--a'), numberList(str('b'), '--b'), { yates: values.yates === true });
      return { statistic: r.statistic, pvalue: r.pvalue, dof: r.dof };
    }
    case 'srm': {
      const counts = numberList(str('counts'), '--counts');
      const weights = str('weights') === undefined ? undefined : numberList(str('weights'), '--weights');
      const r = sampleRatioMismatch(counts, weights);
      return { statistic: r.statistic, pvalue: r.pvalue };
    }
    case 'ks': {
      const method = (str('method') ?? 'auto') as KsMethod;
      if (!['auto', 'exact', 'asymp'].includes(method)) throw new UsageError(`--method must be auto, exact or asymp, not "${method}"`);
      const r = ks2samp(readNumberFile(required(str('a'), '--a')), readNumberFile(required(str('b'), '--b')), method, { inPlace: true });
      return { statistic: r.statistic, pvalue: r.pvalue };
    }
    case 'wasserstein':
      return { distance: wasserstein(readNumberFile(required(str('a'), '--a')), readNumberFile(required(str('b'), '--b')), { inPlace: true }) };
    case 'psi': {
      const binsText = str('bins') ?? '10';
      const bins = Number(binsText);
      if (!/^\d+$/.test(binsText) || bins < 1) throw new UsageError(`--bins must be a positive integer, not "${binsText}"`);
      return { psi: psi(readNumberFile(required(str('a'), '--a')), readNumberFile(required(str('b'), '--b')), bins) };
    }
  }
}

/** `mlops stats <test> …`: prints one statistic (text or --json). */
export function statsCommand(args: string[], out: Out): number {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      a: { type: 'string' },
      b: { type: 'string' },
      counts: { type: 'string' },
      weights: { type: 'string' },
      method: { type: 'string' },
      bins: { type: 'string' },
      yates: { type: 'boolean' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    out.stdout(STATS_HELP);
    return EXIT_OK;
  }
  if (positionals.length === 0) throw new UsageError(`stats needs a test: ${TESTS.join(', ')}`);
  if (positionals.length > 1) throw new UsageError(`stats takes one test, got ${positionals.join(' ')}`);
  const test = positionals[0] as TestName;
  if (!TESTS.includes(test)) throw new UsageError(`unknown test "${positionals[0]}"; one of ${TESTS.join(', ')}`);
  for (const [option, value] of Object.entries(values)) {
    if (value !== undefined && option !== 'json' && option !== 'help' && !OPTIONS[test].includes(option)) {
      throw new UsageError(`--${option} does not apply to stats ${test}`);
    }
  }
  let result: Record<string, number>;
  try {
    result = compute(test, values);
  } catch (error) {
    if (error instanceof StatsError) throw new UsageError(`stats ${test}: ${error.message}`);
    throw error;
  }
  if (values.json) {
    out.stdout(JSON.stringify(Object.fromEntries(Object.entries(result).map(([k, v]) => [k, jsonNumber(v)]))) + '\n');
  } else {
    out.stdout(format(result));
  }
  return EXIT_OK;
}
