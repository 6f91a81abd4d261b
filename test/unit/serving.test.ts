import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ServingConfigError, readServingConfig, type EndpointConfig } from '../../server/src/serving/config';
import { decodeValues, encodeFlat, encodeNested, float32TextForTest, floatToHalf, halfToFloat } from '../../server/src/serving/dtypes';
import { RequestError } from '../../server/src/serving/errors';
import { Metrics } from '../../server/src/serving/metrics';
import { parseCsv } from '../../server/src/serving/protocol-mlflow';
import { fmix32, fnv1a32, mirrorTarget, pickShare, routeRequest, stickyPosition } from '../../server/src/serving/router';
import { flattenNested } from '../../server/src/serving/tensors';
import { tempDir } from '../helpers/paths';
import { parsePrometheus } from '../helpers/serving';

test('FP16: known encodings, round to nearest even, every half survives a round trip', () => {
  const known: [number, number][] = [
    [1, 0x3c00], [-2, 0xc000], [65504, 0x7bff], [65519.99, 0x7bff], [65520, 0x7c00], [Infinity, 0x7c00], [-Infinity, 0xfc00],
    [2 ** -24, 0x0001], [2 ** -25, 0x0000], [3 * 2 ** -25, 0x0002], [2 ** -14, 0x0400], [0.1, 0x2e66], [-0, 0x8000], [NaN, 0x7e00],
    [1 + 2 ** -11, 0x3c00], [1 + 3 * 2 ** -11, 0x3c02],
  ];
  for (const [value, bits] of known) assert.equal(floatToHalf(value), bits, `${value}`);
  for (let bits = 0; bits < 0x10000; bits++) {
    const v = halfToFloat(bits);
    if (!Number.isNaN(v)) assert.equal(floatToHalf(v), bits, `bits ${bits.toString(16)}`);
  }
});

test('decodeValues refuses anything that would change value', () => {
  const refused: [Parameters<typeof decodeValues>[0], unknown][] = [
    ['INT8', 128], ['UINT8', -1], ['INT32', 1.5], ['UINT32', 2 ** 32], ['INT64', 2 ** 53], ['INT64', '9223372036854775808'],
    ['UINT64', '-1'], ['UINT64', '18446744073709551616'], ['BOOL', 1], ['BYTES', 1], ['FP32', null], ['FP32', '1.5'], ['FP64', 'nan'], ['INT64', '1e3'],
  ];
  for (const [datatype, value] of refused) {
    assert.throws(() => decodeValues(datatype, [value], 'input x'), (e: unknown) => e instanceof RequestError && e.status === 400 && /input x \(/.test(e.message), `${datatype} ${value}`);
  }
  assert.deepEqual([...(decodeValues('INT64', ['-9223372036854775808', 5], 'x') as BigInt64Array)], [-(2n ** 63n), 5n]);
  assert.deepEqual([...(decodeValues('UINT64', ['18446744073709551615'], 'x') as BigUint64Array)], [2n ** 64n - 1n]);
});

test('encoding: exact integers, shortest floats per dtype, non-finite as strings, nested rows', () => {
  assert.equal(encodeFlat('INT64', BigInt64Array.from([2n ** 63n - 1n, -(2n ** 63n)])), '[9223372036854775807,-9223372036854775808]');
  assert.equal(encodeFlat('UINT64', BigUint64Array.from([2n ** 64n - 1n])), '[18446744073709551615]');
  assert.equal(encodeFlat('FP32', Float32Array.from([0.1, 1 / 3, NaN, -Infinity, -0])), '[0.1,0.33333334,"NaN","-Infinity",-0]');
  assert.equal(encodeFlat('FP64', Float64Array.from([0.1, Infinity])), '[0.1,"Infinity"]');
  assert.equal(encodeFlat('FP16', Uint16Array.from([0x2e66, 0x7e00])), '[0.1,"NaN"]');
  assert.equal(encodeFlat('BOOL', Uint8Array.from([1, 0])), '[true,false]');
  assert.equal(encodeFlat('BYTES', ['a"b', 'é']), '["a\\"b","é"]');
  assert.equal(encodeNested('INT32', Int32Array.from([1, 2, 3, 4, 5, 6]), [2, 3]), '[[1,2,3],[4,5,6]]');
  assert.equal(encodeNested('INT32', Int32Array.from([1, 2, 3, 4, 5, 6]), [3], 3), '[4,5,6]');
  assert.equal(encodeNested('INT32', Int32Array.from([7]), []), '7');
  // Float32 outputs read back to the very same float32, and no shorter decimal would.
  for (let i = 0; i < 5000; i++) {
    const v = Math.fround((Math.random() - 0.5) * 10 ** Math.floor(Math.random() * 20 - 10));
    const read = JSON.parse(encodeFlat('FP32', Float32Array.from([v])))[0] as number;
    assert.equal(Math.fround(read), v);
    const digits = read.toExponential().split('e')[0].replace(/[-.]/g, '').length;
    const fewer = digits > 1 ? Number(v.toPrecision(digits - 1)) : undefined;
    if (fewer !== undefined && String(fewer).length < String(read).length) assert.notEqual(Math.fround(fewer), v, `${v} printed as ${read}: ${fewer} reads back too`);
  }
});

test('float32 text: the scaled fast path gives exactly what the digit search gives, for every kind of value', () => {
  const { scaled, searched } = float32TextForTest;
  const bits = new Uint32Array(1);
  const f = new Float32Array(bits.buffer);
  let fast = 0;
  const check = (v: number) => {
    if (v === 0 || !Number.isFinite(v)) return;
    // What every path must print: short double text as it is, else the digit search's answer.
    const expected = String(v).length <= 8 ? String(v) : searched(v);
    assert.equal(encodeFlat('FP32', Float32Array.of(v)), `[${expected}]`, `float32 ${v} (bits ${bits[0].toString(16)})`);
    const quick = scaled(v);
    if (quick === undefined || String(v).length <= 8) return;
    fast++;
    assert.equal(quick, expected, `float32 ${v} (bits ${bits[0].toString(16)})`);
  };
  // Random bit patterns cover every exponent; pixels k/255 and sums like 0.1 + 0.2 are what clients send.
  let seed = 12345;
  for (let i = 0; i < 300_000; i++) {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    bits[0] = seed;
    check(f[0]);
  }
  for (let k = 0; k < 256; k++) check(Math.fround(k / 255));
  // Binary fractions sit exactly on decimal ties at some digit counts.
  for (let k = 0; k < 65_536; k++) check(Math.fround(k / 65_536));
  for (let i = 1; i < 20_000; i++) check(Math.fround(i * 0.1 + 0.2));
  // Around every power of ten, where log10 can be one off.
  for (let e = -20; e <= 20; e++) {
    f[0] = 10 ** e;
    const at = bits[0];
    for (let d = -50; d <= 50; d++) {
      bits[0] = at + d;
      check(f[0]);
    }
  }
  assert.ok(fast > 150_000, `the fast path answered only ${fast} values`);
});

test('flattenNested: shapes from nesting, ragged data and absurd depth refused', () => {
  assert.deepEqual(flattenNested([[1, 2], [3, 4]], 'x'), { shape: [2, 2], values: [1, 2, 3, 4] });
  assert.deepEqual(flattenNested(5, 'x'), { shape: [], values: [5] });
  assert.deepEqual(flattenNested([], 'x'), { shape: [0], values: [] });
  assert.throws(() => flattenNested([[1, 2], [3]], 'x'), /ragged nested data at \[1\]: expected 2 elements, got 1 elements/);
  assert.throws(() => flattenNested([[1, 2], 3], 'x'), /ragged/);
  let deep: unknown = 1;
  for (let i = 0; i < 100; i++) deep = [deep];
  assert.throws(() => flattenNested(deep, 'x'), /nested deeper than 32 levels/);
});

test('FNV-1a reference values and the traffic layout', () => {
  assert.equal(fnv1a32(''), 0x811c9dc5);
  assert.equal(fnv1a32('a'), 0xe40c292c);
  assert.equal(fnv1a32('foobar'), 0xbf9cf968);
  const shares = [{ version: '1', percent: 70 }, { version: '2', percent: 30 }];
  assert.equal(pickShare(shares, 0), '1');
  assert.equal(pickShare(shares, 0.6999), '1');
  assert.equal(pickShare(shares, 0.7), '2');
  assert.equal(pickShare(shares, 0.999999), '2');
  assert.equal(pickShare([{ version: '1', percent: 0 }, { version: '2', percent: 100 }], 0), '2');
  const endpoint: EndpointConfig = { name: 'e', model: 'm', traffic: shares, stickyHeader: 'x-user-id', mirror: { version: '2', percent: 100 } };
  const a = routeRequest(endpoint, { 'x-user-id': 'alice' }, () => 0);
  assert.deepEqual(routeRequest(endpoint, { 'x-user-id': 'alice' }, () => 0.99), a);
  assert.equal(routeRequest(endpoint, {}, () => 0.99).version, '2');
  assert.equal(mirrorTarget(endpoint, '1', () => 0.5), '2');
  assert.equal(mirrorTarget(endpoint, '2', () => 0.5), undefined);
});

test('sticky routing: sequential ids split as the traffic says', () => {
  // MurmurHash3 fmix32 reference values (the finalizer of MurmurHash3_x86_32).
  assert.equal(fmix32(0), 0);
  assert.equal(fmix32(1), 0x514e28b7);
  const shares = [{ version: '1', percent: 70 }, { version: '2', percent: 30 }];
  for (const [users, tolerance] of [[40, 0.15], [1000, 0.04], [100_000, 0.005]] as const) {
    let first = 0;
    for (let i = 0; i < users; i++) if (pickShare(shares, stickyPosition('churn', `user-${i}`)) === '1') first++;
    // Binomial: the share within a few standard deviations of 0.7 (sd 0.072 at 40 users).
    assert.ok(Math.abs(first / users - 0.7) < tolerance, `${users} users: ${first} on version 1`);
  }
});

test('serving config: defaults, aliases in traffic, and every problem located', () => {
  const root = tempDir('serving-config');
  const models = { m: { versions: { '1': { path: 'a.onnx' }, '2': { path: 'b.onnx' } }, aliases: { production: 2 } } };
  const config = readServingConfig({ models }, root, root);
  assert.deepEqual(config.endpoints, [{ name: 'm', model: 'm', traffic: [{ version: '2', percent: 100 }] }]);
  assert.equal(config.models.get('m')?.versions.get('1')?.path, join(root, 'a.onnx'));
  const split = readServingConfig({ models, serving: { endpoints: { e: { model: 'm', traffic: { production: 60, '1': 40 }, batching: {} } } } }, root, root);
  assert.deepEqual(split.endpoints[0].traffic, [{ version: '1', percent: 40 }, { version: '2', percent: 60 }]);
  assert.deepEqual(split.endpoints[0].batching, { maxBatchSize: 32, maxDelayMs: 2 });

  mkdirSync(join(root, 'inside'));
  writeFileSync(join(tempDir('outside'), 'x.onnx'), '');
  symlinkSync('/etc/hostname', join(root, 'inside', 'link.onnx'));
  const bad = {
    models: { m: { versions: { '1': { path: '../escape.onnx' }, '2': { path: 'inside/link.onnx' }, '3': { path: 'ok.onnx' } }, aliases: { prod: '9' } } },
    serving: {
      port: 70000,
      endpoints: {
        a: { model: 'm', traffic: { '3': 50, '4': 40 } },
        b: { model: 'nope' },
        c: { model: 'm', traffic: { '3': 90 }, sticky: 'cookie:x', mirror: { version: '3', percent: 200 }, batching: { max_batch_size: 0 } },
      },
    },
  };
  let problems: string[] = [];
  try {
    readServingConfig(bad, root, root);
  } catch (error) {
    assert.ok(error instanceof ServingConfigError);
    problems = error.problems;
  }
  const expected = [
    /models\.m\.versions\.1\.path: \.\.\/escape\.onnx is outside the workspace/,
    /models\.m\.versions\.2\.path: inside\/link\.onnx links to \/etc\/hostname, outside the workspace/,
    /models\.m\.aliases\.prod: version "9" is not declared/,
    /serving\.port: must be an integer from 0 to 65535, not 70000/,
    /serving\.endpoints\.a\.traffic\.4: "4" is neither a version nor an alias of model m/,
    /serving\.endpoints\.b\.model: "nope" is not a model declared under models \(declared: m\)/,
    /serving\.endpoints\.c\.traffic: percentages sum to 90, not 100/,
    /serving\.endpoints\.c\.sticky: must be header:<name>/,
    /serving\.endpoints\.c\.mirror\.percent: must be a percentage from 0 to 100, not 200/,
    /serving\.endpoints\.c\.batching\.max_batch_size: must be an integer ≥ 1, not 0/,
  ];
  for (const re of expected) assert.ok(problems.some((p) => re.test(p)), `${re} in\n${problems.join('\n')}`);
  assert.throws(() => readServingConfig({ models: { m: { versions: { '1': { path: 'a.onnx' }, '2': { path: 'b.onnx' } } } } }, root, root), /several versions and no production alias/);
  assert.throws(() => readServingConfig({}, root, root), /nothing to serve/);
});

test('CSV: quotes, escaped quotes, CRLF, blank lines', () => {
  assert.deepEqual(parseCsv('a,b\r\n"x,1","say ""hi"""\n\n2,\n'), [['a', 'b'], ['x,1', 'say "hi"'], ['2', '']]);
  assert.deepEqual(parseCsv('a\n1'), [['a'], ['1']]);
  assert.throws(() => parseCsv('a\n"open'), /ends inside a quoted field/);
});

test('metrics render as Prometheus text with escaped labels and sensible quantiles', () => {
  const m = new Metrics();
  for (let i = 1; i <= 100; i++) m.observe('e"p\\1', 'v\n1', i === 100 ? 500 : 200, i);
  const samples = parsePrometheus(m.render([{ name: 'mlops_x', type: 'gauge', help: 'x', labels: {}, value: 3 }]));
  const q = (quantile: string) => samples.find((s) => s.name === 'mlops_request_latency_seconds' && s.labels.quantile === quantile)?.value;
  assert.equal(q('0.5'), 0.05);
  assert.equal(q('0.99'), 0.099);
  assert.ok(samples.some((s) => s.labels.endpoint === 'e"p\\1' && s.labels.version === 'v\n1'));
  assert.equal(samples.find((s) => s.name === 'mlops_request_errors_total')?.value, 1);
  assert.equal(samples.find((s) => s.name === 'mlops_x')?.value, 3);
  const snap = m.snapshot()[0];
  assert.equal(snap.requests, 100);
  assert.equal(snap.p95, 95);
});
