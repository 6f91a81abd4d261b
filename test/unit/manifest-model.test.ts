// The typed, located view of a manifest, and what is at a position.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Range } from '../../server/src/contract';
import { effectiveDeploy } from '../../server/src/manifest/deploy';
import { nodeAt, readManifestModel } from '../../server/src/manifest/model';
import { parseManifest } from '../../server/src/manifest/parse';

const TEXT = `version: 1
tracking: [runs/, mlruns/]
models:
  churn:
    task: classification
    versions:
      "1": { path: models/churn-v1.onnx, run: 6b2c0f }
      2:
        path: models/churn-v2.onnx

    aliases: { production: "1", staging: 2 }
    gates:
      accuracy: { min: 0.85 }
serving:
  host: 127.0.0.1
  port: 8080
  endpoints:
    web:
      model: churn
      traffic: { "1": 70, "2": 30 }
      mirror: { version: "2", percent: 10 }
experiments:
  ab: { endpoint: web, control: "1", treatment: 2, metric: accuracy, alpha: 0.05, sequential: true }
monitoring:
  churn:
    reference: data/ref.csv
    retrain: { command: make train, on: [drift] }
`;

const at = (line: number, character: number, endLine: number, endCharacter: number): Range => ({ start: { line, character }, end: { line: endLine, character: endCharacter } });

test('readManifestModel: typed values with their value and key ranges', () => {
  const model = readManifestModel(parseManifest(TEXT));
  const churn = model.models?.entries.get('churn');
  assert.ok(churn);
  assert.deepEqual(churn.keyRange, at(3, 2, 3, 7));
  assert.equal(churn.task?.value, 'classification');
  const v1 = churn.versions?.entries.get('1');
  assert.deepEqual([v1?.path?.value, v1?.path?.range, v1?.path?.keyRange], ['models/churn-v1.onnx', at(6, 19, 6, 39), at(6, 13, 6, 17)]);
  assert.deepEqual([v1?.run?.value, v1?.run?.range], ['6b2c0f', at(6, 46, 6, 52)]);
  // An unquoted version id is the same id; a block mapping's range stops at its last value, not the blank line after it.
  const v2 = churn.versions?.entries.get('2');
  assert.deepEqual([v2?.keyRange, v2?.range], [at(7, 6, 7, 7), at(8, 8, 8, 34)]);
  assert.deepEqual([...(churn.aliases?.entries ?? [])].map(([k, f]) => [k, f.value]), [['production', '1'], ['staging', '2']]);
  assert.equal(churn.gates?.entries.get('accuracy')?.min?.value, 0.85);
  assert.deepEqual(model.tracking?.items.map((i) => [i.value, i.range]), [['runs/', at(1, 11, 1, 16)], ['mlruns/', at(1, 18, 1, 25)]]);

  const web = model.serving?.endpoints?.entries.get('web');
  assert.deepEqual([model.serving?.host?.value, model.serving?.port?.value, web?.model?.value], ['127.0.0.1', 8080, 'churn']);
  assert.deepEqual([...(web?.traffic?.entries ?? [])].map(([k, f]) => [k, f.value]), [['1', 70], ['2', 30]]);
  assert.deepEqual(web?.traffic?.range, at(19, 15, 19, 35));
  assert.deepEqual([web?.mirror?.version?.value, web?.mirror?.percent?.value], ['2', 10]);
  const ab = model.experiments?.entries.get('ab');
  assert.deepEqual([ab?.endpoint?.value, ab?.control?.value, ab?.treatment?.value, ab?.alpha?.value, ab?.sequential?.value], ['web', '1', '2', 0.05, true]);
  const mon = model.monitoring?.entries.get('churn');
  assert.deepEqual([mon?.reference?.value, mon?.retrain?.command?.value, mon?.retrain?.on.map((o) => o.value)], ['data/ref.csv', 'make train', ['drift']]);
});

test('readManifestModel: values of the wrong type are absent, and any text can be read', () => {
  const model = readManifestModel(parseManifest('version: 1\nserving:\n  port: "80"\n  endpoints: [a]\nmodels:\n  m:\n    versions: { "1": { path: 3 } }\n'));
  assert.equal(model.serving?.port, undefined);
  assert.equal(model.serving?.endpoints, undefined);
  const v = model.models?.entries.get('m')?.versions?.entries.get('1');
  assert.ok(v && v.path === undefined);
  for (const text of ['', '- a', 'models: [', 'models:\n  a: *nope\n', 'a: &x {b: 1}\nmodels: *x\n', '? [a]\n: b\n']) {
    assert.doesNotThrow(() => readManifestModel(parseManifest(text)), text);
  }
});

test('readManifestModel: aliases (anchors) are followed', () => {
  const model = readManifestModel(parseManifest('version: 1\nmodels:\n  a: &base\n    versions: { "1": { path: a.onnx } }\n  b: *base\n'));
  assert.equal(model.models?.entries.get('b')?.versions?.entries.get('1')?.path?.value, 'a.onnx');
});

test('nodeAt: keys, values, blank lines, sequences', () => {
  const parsed = parseManifest(TEXT);
  const on = (line: number, character: number) => nodeAt(parsed, { line, character });
  assert.deepEqual(on(6, 15), { path: ['models', 'churn', 'versions', '1', 'path'], onKey: true, keyRange: at(6, 13, 6, 17), range: at(6, 19, 6, 39), kind: 'scalar', value: 'models/churn-v1.onnx' });
  assert.deepEqual(on(6, 25)?.path, ['models', 'churn', 'versions', '1', 'path']);
  assert.equal(on(6, 25)?.onKey, false);
  assert.deepEqual(on(19, 18)?.path, ['serving', 'endpoints', 'web', 'traffic', '1']);
  assert.deepEqual(on(1, 20)?.path, ['tracking', 1]);
  assert.deepEqual(on(1, 20)?.value, 'mlruns/');
  // The blank line inside `versions` belongs to it: where a new version id would be typed.
  assert.deepEqual(on(9, 6)?.path, ['models', 'churn', 'versions']);
  assert.deepEqual(on(0, 0)?.path, ['version']);
  assert.deepEqual(on(999, 0)?.path, []);
  assert.deepEqual(on(999, 4)?.path, ['monitoring', 'churn']);
});

test('nodeAt: an empty value runs to the end of its line', () => {
  const parsed = parseManifest('version: 1\nmodels:\n  m:\n    task: \n');
  const here = nodeAt(parsed, { line: 3, character: 10 });
  assert.deepEqual([here?.path, here?.onKey, here?.kind], [['models', 'm', 'task'], false, 'empty']);
});

test('effectiveDeploy: the endpoint\'s deploy over the model\'s, field by field, each setting traced to its block', () => {
  const text = `version: 1
models:
  churn:
    versions: { "1": { path: a.onnx } }
    deploy:
      resources:
        requests: { cpu: 500m, memory: 512Mi }
        limits: { memory: 1Gi }
      replicas: { min: 1, max: 4 }
      autoscaling: { metric: cpu, target: 70 }
      storage_uri: s3://models/prod
  plain:
    versions: { "1": { path: b.onnx } }
serving:
  endpoints:
    web:
      model: churn
      deploy:
        resources: { requests: { cpu: 2 } }
        replicas: { max: 8 }
        autoscaling: { metric: rps, target: 50 }
    batch: { model: churn }
    other: { model: plain }
`;
  const model = readManifestModel(parseManifest(text));
  const web = effectiveDeploy(model, 'web');
  assert.ok(web);
  const brief = (s: { value: unknown; from: string } | undefined) => s && `${String(s.value)} (${s.from})`;
  assert.deepEqual(
    {
      cpu: brief(web.requests.cpu),
      memory: brief(web.requests.memory),
      limit: brief(web.limits.memory),
      min: brief(web.replicas.min),
      max: brief(web.replicas.max),
      metric: brief(web.autoscaling?.metric),
      target: brief(web.autoscaling?.target),
      storage: brief(web.storageUri),
    },
    { cpu: '2 (endpoint)', memory: '512Mi (model)', limit: '1Gi (model)', min: '1 (model)', max: '8 (endpoint)', metric: 'rps (endpoint)', target: '50 (endpoint)', storage: 's3://models/prod (model)' },
  );
  assert.equal(web.limits.cpu, undefined);
  // Ranges point at the values as written: the endpoint's cpu on line 19, the model's memory on line 7 (1-based).
  assert.deepEqual(web.requests.cpu?.range, at(18, 38, 18, 39));
  assert.deepEqual(web.requests.memory?.range, at(6, 39, 6, 44));
  assert.deepEqual(effectiveDeploy(model, 'batch')?.autoscaling?.metric.value, 'cpu');
  assert.equal(effectiveDeploy(model, 'other'), undefined);
  assert.equal(effectiveDeploy(model, 'nowhere'), undefined);
  // Without serving.endpoints each model is served under its own name.
  const implicit = readManifestModel(parseManifest(text.slice(0, text.indexOf('serving:'))));
  assert.equal(effectiveDeploy(implicit, 'churn')?.replicas.max?.value, 4);
  assert.equal(effectiveDeploy(implicit, 'plain'), undefined);
});
