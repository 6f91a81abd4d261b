import assert from 'node:assert/strict';
import { mkdirSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { readServingConfig, ServingConfigError } from '../../server/src/serving/config';
import { isInside, resolveLinks } from '../../server/src/workspace/links';
import { tempDir } from '../helpers/paths';

test('links are followed to where they lead, whether or not the target exists yet', () => {
  const root = realpathSync(tempDir('links'));
  const outside = realpathSync(tempDir('links-outside'));
  mkdirSync(join(root, 'models'));
  writeFileSync(join(root, 'models', 'real.onnx'), '');
  symlinkSync(join(outside, 'not-yet.onnx'), join(root, 'models', 'dangling-out.onnx'));
  symlinkSync('real.onnx', join(root, 'models', 'relative.onnx'));
  symlinkSync('relative.onnx', join(root, 'models', 'chain.onnx'));
  symlinkSync(outside, join(root, 'out-dir'));
  symlinkSync('loop-b', join(root, 'loop-a'));
  symlinkSync('loop-a', join(root, 'loop-b'));
  assert.equal(resolveLinks(join(root, 'models', 'dangling-out.onnx')), join(outside, 'not-yet.onnx'));
  assert.equal(resolveLinks(join(root, 'models', 'chain.onnx')), join(root, 'models', 'real.onnx'));
  assert.equal(resolveLinks(join(root, 'out-dir', 'later', 'm.onnx')), join(outside, 'later', 'm.onnx'));
  assert.equal(resolveLinks(join(root, 'missing', 'm.onnx')), join(root, 'missing', 'm.onnx'));
  assert.equal(resolveLinks(join(root, 'loop-a')), join(root, 'loop-a'), 'a loop ends');
  assert.ok(isInside(join(root, 'a'), root));
  assert.ok(!isInside(root, root));
  assert.ok(!isInside(join(root, '..', 'x'), root));
});

test('serving refuses a dangling link that points outside the workspace, at start as on reload', () => {
  const root = tempDir('links-serving');
  const outside = tempDir('links-serving-out');
  symlinkSync(join(outside, 'v2.onnx'), join(root, 'v2.onnx'));
  const doc = { models: { m: { versions: { '2': { path: 'v2.onnx' } } } }, serving: { endpoints: { e: { model: 'm' } } } };
  assert.throws(
    () => readServingConfig(doc, root, root),
    (error: unknown) => error instanceof ServingConfigError && error.problems.some((p) => /v2\.onnx links to .*v2\.onnx, outside the workspace/.test(p)),
  );
  // Once the target exists it is refused the same way.
  writeFileSync(join(outside, 'v2.onnx'), '');
  assert.throws(() => readServingConfig(doc, root, root), ServingConfigError);
});
