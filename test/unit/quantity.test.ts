// Kubernetes resource quantities: the grammar of k8s.io/apimachinery's resource.Quantity, exact
// comparisons, and the suggestions for spellings that are not quantities.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compareQuantities, parseQuantity, quantityValue, suggestQuantity } from '../../server/src/export/quantity';

/** The pattern the KServe and Seldon CRDs give quantities (apimachinery's generated schema). */
const CRD_PATTERN = /^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$/;

const VALID: [string | number, number][] = [
  ['500m', 0.5],
  ['0.5', 0.5],
  ['2', 2],
  ['1000m', 1],
  ['.5', 0.5],
  ['5.', 5],
  ['+1', 1],
  ['512Mi', 512 * 2 ** 20],
  ['1Gi', 2 ** 30],
  ['1.5Gi', 1.5 * 2 ** 30],
  ['128M', 128e6],
  ['1G', 1e9],
  ['1k', 1000],
  ['1Ki', 1024],
  ['2Ti', 2 * 2 ** 40],
  ['1Pi', 2 ** 50],
  ['1Ei', 2 ** 60],
  ['3T', 3e12],
  ['1P', 1e15],
  ['1E', 1e18],
  ['1e9', 1e9],
  ['1E3', 1000],
  ['12e-3', 0.012],
  ['1e+3', 1000],
  ['0', 0],
  ['1u', 1e-6],
  ['250n', 2.5e-7],
  [' 1Gi ', 2 ** 30],
  [2, 2],
  [0.25, 0.25],
  [1e9, 1e9],
  [1e21, 1e21],
];

const INVALID = ['', '1 GB', '1GB', '1gi', '1K', '1KB', '1 Gi', 'Gi', 'm', '1.2.3', '0,5', '1e', '1e1.5', '1Mb', '1mi', '1iB', 'one', '1_000', '0x10', '1e5000', '--1', '1U', '1N', 'Infinity', 'NaN'];

test('valid spellings parse, to the value they mean', () => {
  for (const [text, value] of VALID) {
    const q = parseQuantity(text);
    assert.ok(q, `${JSON.stringify(text)} should be a quantity`);
    const v = quantityValue(q);
    assert.ok(Math.abs(v - value) <= Math.abs(value) * 1e-12, `${JSON.stringify(text)} is ${v}, expected ${value}`);
  }
});

test('spellings that are not quantities are refused', () => {
  for (const text of INVALID) assert.equal(parseQuantity(text), undefined, JSON.stringify(text));
  assert.equal(parseQuantity(Number.POSITIVE_INFINITY), undefined);
  assert.equal(parseQuantity(Number.NaN), undefined);
});

test('what parses matches the CRDs\' pattern (the API server takes no fractional exponent, and nor does the parser)', () => {
  for (const [text] of VALID) assert.match(typeof text === 'number' ? String(text) : text.trim(), CRD_PATTERN);
  for (const text of INVALID.filter((t) => !['1e1.5', '1e5000'].includes(t))) assert.doesNotMatch(text, CRD_PATTERN, text);
});

test('a negative quantity parses as negative, a negative zero as zero', () => {
  assert.equal(parseQuantity('-1')?.negative, true);
  assert.equal(parseQuantity('-0')?.negative, false);
  assert.equal(parseQuantity('-500m')?.negative, true);
});

test('comparisons are exact across suffixes', () => {
  const cmp = (a: string | number, b: string | number) => compareQuantities(parseQuantity(a)!, parseQuantity(b)!);
  assert.equal(cmp('1Gi', '1G'), 1);
  assert.equal(cmp('1G', '1Gi'), -1);
  assert.equal(cmp('500m', '1'), -1);
  assert.equal(cmp('1000m', '1'), 0);
  assert.equal(cmp(1, '1000m'), 0);
  assert.equal(cmp('1Ki', '1k'), 1);
  assert.equal(cmp('1024', '1Ki'), 0);
  assert.equal(cmp('1e3', '1k'), 0);
  assert.equal(cmp('0.001', '1m'), 0);
  assert.equal(cmp('1073741824', '1Gi'), 0);
  assert.equal(cmp('1073741823', '1Gi'), -1);
  assert.equal(cmp('512Mi', '0.5Gi'), 0);
  assert.equal(cmp('1000Mi', '1Gi'), -1);
  assert.equal(cmp('1025Mi', '1Gi'), 1);
  assert.equal(cmp('0', '0m'), 0);
  assert.equal(cmp('-1', '0'), -1);
  assert.equal(cmp('-2', '-1'), -1);
  assert.equal(cmp('1e-900', '0'), 1);
  assert.equal(cmp('1e900', '1Ei'), 1);
  // Beyond double precision: 10^17 + 1 milli-units against 10^14, exact.
  assert.equal(cmp('100000000000000001m', '100000000000000'), 1);
  assert.equal(cmp('100000000000000000m', '100000000000000'), 0);
});

test('suggestions for what people write instead', () => {
  const cases: [string, 'cpu' | 'memory', string[]][] = [
    ['1 GB', 'memory', ['1G', '1Gi']],
    ['1GB', 'memory', ['1G', '1Gi']],
    ['512 MB', 'memory', ['512M', '512Mi']],
    ['512mb', 'memory', ['512M', '512Mi']],
    ['1KB', 'memory', ['1k', '1Ki']],
    ['1K', 'memory', ['1k', '1Ki']],
    ['2 GiB', 'memory', ['2Gi']],
    ['1gi', 'memory', ['1Gi']],
    ['1 Gi', 'memory', ['1Gi']],
    ['1,5Gi', 'memory', ['1.5Gi']],
    ['1000 bytes', 'memory', ['1000']],
    ['2 cores', 'cpu', ['2']],
    ['1 core', 'cpu', ['1']],
    ['0,5', 'cpu', ['0.5']],
    ['500 m', 'cpu', ['500m']],
    ['250 millicores', 'cpu', ['250m']],
    ['2vcpu', 'cpu', ['2']],
    ['lots', 'memory', []],
    ['1 GB', 'cpu', []],
    ['1XB', 'memory', []],
  ];
  for (const [text, resource, expected] of cases) {
    const got = suggestQuantity(text, resource);
    assert.deepEqual(got, expected, `${text} (${resource})`);
    for (const s of got) assert.ok(parseQuantity(s), `suggestion ${s} parses`);
  }
});
