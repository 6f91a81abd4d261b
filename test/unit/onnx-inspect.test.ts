// ONNX signatures read with ONNX Runtime, cached by path, modification time and size.
import assert from 'node:assert/strict';
import { copyFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { inspectOnnx, onnxLookup, peekOnnx } from '../../server/src/onnx/inspect';
import { SHARED_FIXTURES, tempDir } from '../helpers/paths';

const ONNX = join(SHARED_FIXTURES, 'onnx');

test('an skl2onnx classifier: a [?, 4] float input, a label tensor and a ZipMap', async () => {
  assert.deepEqual(await inspectOnnx(join(ONNX, 'rf_iris.onnx')), {
    inputs: [{ name: 'float_input', isTensor: true, type: 'float32', shape: ['', 4] }],
    outputs: [
      { name: 'output_label', isTensor: true, type: 'int64', shape: [1] },
      { name: 'output_probability', isTensor: false },
    ],
  });
});

test('files that do not load give a reason, not an exception', async () => {
  const dir = tempDir('onnx');
  writeFileSync(join(dir, 'junk.onnx'), 'not a model');
  const junk = await inspectOnnx(join(dir, 'junk.onnx'));
  assert.ok('error' in junk && /protobuf/i.test(junk.error), JSON.stringify(junk));
  const old = await inspectOnnx(join(ONNX, 'onnx-backend-tests/pytorch-converted/test_Linear/model.onnx'));
  assert.ok('error' in old && /Gemm\(6\)/.test(old.error), JSON.stringify(old));
  const missing = await inspectOnnx(join(dir, 'missing.onnx'));
  assert.ok('error' in missing && /does not exist/.test(missing.error));
});

test('the cache answers until the file changes', async () => {
  const dir = tempDir('onnx');
  const path = join(dir, 'm.onnx');
  copyFileSync(join(ONNX, 'onnx-backend-tests/node/test_sigmoid/model.onnx'), path);
  assert.equal(peekOnnx(path), undefined);
  const first = inspectOnnx(path);
  assert.equal(inspectOnnx(path), first, 'one load for concurrent and repeated calls');
  await first;
  assert.deepEqual(peekOnnx(path), await first);
  copyFileSync(join(ONNX, 'onnx-backend-tests/node/test_softmax_example/model.onnx'), path);
  utimesSync(path, new Date(), new Date(Date.now() + 5000));
  assert.equal(peekOnnx(path), undefined, 'a changed file is not answered from the cache');
  const second = await inspectOnnx(path);
  assert.ok(!('error' in second) && second.inputs[0].shape?.join() === '1,3');
});

test('onnxLookup answers from the cache and calls back once a model is inspected', async () => {
  const dir = tempDir('onnx');
  const path = join(dir, 'm.onnx');
  copyFileSync(join(ONNX, 'logreg_iris.onnx'), path);
  const inspected = new Promise<string>((resolve) => {
    const lookup = onnxLookup(resolve);
    assert.equal(lookup(path), undefined);
    assert.equal(lookup(path), undefined, 'no second load while the first is pending');
  });
  assert.equal(await inspected, path);
  const lookup = onnxLookup(() => assert.fail('already known'));
  assert.ok(lookup(path) && !('error' in lookup(path)!));
});
