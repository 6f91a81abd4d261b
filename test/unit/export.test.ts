import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { dnsName, exportManifests, toYaml, type K8sResource } from '../../server/src/export/manifests';
import { loadServingConfig } from '../../server/src/serving/config';
import { loadCrds, validateResource, type CrdVersion } from '../helpers/openapi-schema';
import { REPO, tempDir } from '../helpers/paths';

const CRDS: CrdVersion[] = [
  'kserve-serving.kserve.io_inferenceservices.yaml',
  'seldon-mlops.seldon.io_models.yaml',
  'seldon-mlops.seldon.io_experiments.yaml',
].flatMap((f) => loadCrds(join(REPO, 'test', 'fixtures', 'crds', f)));

const CHURN = join(REPO, 'examples', 'churn');

function churn(target: 'kserve' | 'seldon') {
  return exportManifests(loadServingConfig(join(CHURN, 'mlops.yaml'), CHURN), { target, storageUri: 's3://models/prod/', workspaceRoot: CHURN });
}

/** Every resource, after a round trip through the YAML that is written, conforms to its CRD. */
function assertValid(resources: K8sResource[]): void {
  const docs = parseAllDocuments(toYaml(resources)).map((d) => d.toJS() as K8sResource);
  assert.deepEqual(docs, resources);
  for (const doc of docs) assert.deepEqual(validateResource(doc, CRDS), [], `${doc.kind} ${doc.metadata.name}`);
}

test('the CRDs load: InferenceService v1beta1, Model and Experiment v1alpha1', () => {
  assert.deepEqual(
    CRDS.map((c) => `${c.group}/${c.version} ${c.kind}`),
    ['serving.kserve.io/v1beta1 InferenceService', 'mlops.seldon.io/v1alpha1 Model', 'mlops.seldon.io/v1alpha1 Experiment'],
  );
});

const CHURN_RESOURCES = { requests: { cpu: '500m', memory: '512Mi' }, limits: { cpu: '1', memory: '1Gi' } };

test('KServe: the churn example is a stable InferenceService (production, v1) and a canary step with v2 at 30%, both sized by its deploy block', () => {
  const result = churn('kserve');
  assert.deepEqual(
    result.files.map((f) => f.name),
    ['churn.inferenceservice.yaml', 'churn.canary.inferenceservice.yaml'],
  );
  const [stable, canary] = result.files.map((f) => f.resources[0]);
  assert.equal(stable.apiVersion, 'serving.kserve.io/v1beta1');
  assert.equal(stable.metadata.name, 'churn');
  assert.deepEqual(stable.spec, {
    predictor: {
      minReplicas: 2,
      maxReplicas: 6,
      scaleMetric: 'concurrency',
      scaleTarget: 8,
      batcher: { maxBatchSize: 32, maxLatency: 2 },
      model: { modelFormat: { name: 'onnx' }, protocolVersion: 'v2', storageUri: 's3://models/prod/churn/1', resources: CHURN_RESOURCES },
    },
  });
  const predictor = canary.spec.predictor as { canaryTrafficPercent: number; minReplicas: number; model: { storageUri: string; resources: unknown } };
  assert.equal(predictor.canaryTrafficPercent, 30);
  assert.equal(predictor.model.storageUri, 's3://models/prod/churn/2');
  // The canary step updates the same InferenceService: it must not drop the sizing.
  assert.equal(predictor.minReplicas, 2);
  assert.deepEqual(predictor.model.resources, CHURN_RESOURCES);
  assert.match(result.files[1].note ?? '', /after churn\.inferenceservice\.yaml is Ready/);
  assert.deepEqual(result.uploads, [
    { file: join('models', 'churn-v1.onnx'), uri: 's3://models/prod/churn/1/model.onnx' },
    { file: join('models', 'churn-v2.onnx'), uri: 's3://models/prod/churn/2/model.onnx' },
  ]);
  assert.ok(result.warnings.some((w) => /sticky routing by x-user-id/.test(w)));
  assertValid(result.files.flatMap((f) => f.resources));
});

test('Seldon: a Model per version, sized by the deploy block, and an Experiment with the split as weights', () => {
  const result = churn('seldon');
  assert.deepEqual(
    result.files.map((f) => f.name),
    ['churn-v1.model.yaml', 'churn-v2.model.yaml', 'churn.experiment.yaml'],
  );
  const [v1, v2, experiment] = result.files.map((f) => f.resources[0]);
  const sized = { memory: '512Mi', replicas: 2, minReplicas: 2, maxReplicas: 6 };
  assert.deepEqual(
    [v1.kind, v1.apiVersion, v1.spec],
    ['Model', 'mlops.seldon.io/v1alpha1', { storageUri: 's3://models/prod/churn/1', requirements: ['onnx'], ...sized }],
  );
  assert.deepEqual(v2.spec, { storageUri: 's3://models/prod/churn/2', requirements: ['onnx'], ...sized });
  // What a Model cannot say is named, once for the endpoint.
  const sizing = result.warnings.filter((w) => /CPU|memory figure|autoscaling/.test(w));
  assert.deepEqual(sizing, [
    'endpoint churn: a Seldon Model has no CPU field; the CPU request 500m and limit 1 are left out (set them on the Seldon Server that hosts it)',
    'endpoint churn: a Seldon Model takes one memory figure, the request 512Mi; the limit 1Gi is left out',
    'endpoint churn: Seldon Core v2 scales a Model on its own between minReplicas and maxReplicas; autoscaling on concurrency (target 8) is left out',
  ]);
  assert.deepEqual(experiment.spec, {
    default: 'churn-v1',
    candidates: [
      { name: 'churn-v1', weight: 70 },
      { name: 'churn-v2', weight: 30 },
    ],
  });
  assertValid(result.files.flatMap((f) => f.resources));
});

test('output is deterministic: the same manifest gives the same bytes', () => {
  for (const target of ['kserve', 'seldon'] as const) {
    const a = churn(target)
      .files.map((f) => toYaml(f.resources))
      .join('');
    const b = churn(target)
      .files.map((f) => toYaml(f.resources))
      .join('');
    assert.equal(a, b);
  }
});

test('a mirror goes into the Seldon Experiment; KServe leaves it out and skips a three-way split, saying why', () => {
  const dir = tempDir('export');
  writeFileSync(
    join(dir, 'mlops.yaml'),
    `version: 1
models:
  Fraud_Detector:
    versions: { "1": { path: a.onnx }, "2": { path: b.onnx }, "3": { path: c.onnx } }
    aliases: { production: "2" }
serving:
  endpoints:
    main: { model: Fraud_Detector, traffic: { "2": 90, "3": 10 }, mirror: { version: "1", percent: 25 } }
    three: { model: Fraud_Detector, traffic: { "1": 20, "2": 50, "3": 30 } }
    single: { model: Fraud_Detector }
`,
  );
  const config = loadServingConfig(join(dir, 'mlops.yaml'), dir);
  const seldon = exportManifests(config, { target: 'seldon', storageUri: 'gs://b/p', namespace: 'ml', workspaceRoot: dir });
  const resources = seldon.files.flatMap((f) => f.resources);
  assert.deepEqual(
    resources.map((r) => `${r.kind}/${r.metadata.name}`),
    ['Model/fraud-detector-v1', 'Model/fraud-detector-v2', 'Model/fraud-detector-v3', 'Experiment/main', 'Experiment/three'],
  );
  assert.deepEqual(resources.find((r) => r.metadata.name === 'main')?.spec, {
    default: 'fraud-detector-v2',
    candidates: [
      { name: 'fraud-detector-v2', weight: 90 },
      { name: 'fraud-detector-v3', weight: 10 },
    ],
    mirror: { name: 'fraud-detector-v1', percent: 25 },
  });
  assert.ok(resources.every((r) => r.metadata.namespace === 'ml'));
  assertValid(resources);

  const kserve = exportManifests(config, { target: 'kserve', storageUri: 'gs://b/p', workspaceRoot: dir });
  assert.deepEqual(
    kserve.files.map((f) => f.name),
    ['main.inferenceservice.yaml', 'main.canary.inferenceservice.yaml', 'single.inferenceservice.yaml'],
  );
  assert.ok(kserve.warnings.some((w) => /main: KServe has no traffic mirroring/.test(w)));
  assert.ok(kserve.warnings.some((w) => /three: KServe splits traffic between two revisions only/.test(w)));
  assertValid(kserve.files.flatMap((f) => f.resources));
});

/** A temporary workspace with this manifest, read as the CLI reads it. */
function configOf(manifest: string) {
  const dir = tempDir('export-deploy');
  writeFileSync(join(dir, 'mlops.yaml'), manifest);
  return { dir, config: loadServingConfig(join(dir, 'mlops.yaml'), dir) };
}

const SIZED_MODEL = `version: 1
models:
  fraud:
    versions: { "1": { path: a.onnx }, "2": { path: b.onnx } }
    aliases: { production: "1" }
    deploy:
      resources:
        requests: { cpu: 250m, memory: 1e9 }
        limits: { memory: 2Gi }
      replicas: { min: 0, max: 3 }
      autoscaling: { metric: rps, target: 40 }
      storage_uri: gs://fraud-models/serving/
`;

test('only the model\'s deploy: every endpoint of the model is sized by it, storage_uri included', () => {
  const { dir, config } = configOf(`${SIZED_MODEL}serving:\n  endpoints:\n    scoring: { model: fraud }\n`);
  const kserve = exportManifests(config, { target: 'kserve', workspaceRoot: dir });
  assert.equal(kserve.placeholder, false);
  const [isvc] = kserve.files[0].resources;
  assert.deepEqual(isvc.spec.predictor, {
    minReplicas: 0,
    maxReplicas: 3,
    scaleMetric: 'rps',
    scaleTarget: 40,
    model: {
      modelFormat: { name: 'onnx' },
      protocolVersion: 'v2',
      storageUri: 'gs://fraud-models/serving/fraud/1',
      // A YAML number (1e9) is written as the string Kubernetes reads as the same quantity.
      resources: { requests: { cpu: '250m', memory: '1000000000' }, limits: { memory: '2Gi' } },
    },
  });
  assert.deepEqual(kserve.uploads, [{ file: 'a.onnx', uri: 'gs://fraud-models/serving/fraud/1/model.onnx' }]);
  assertValid(kserve.files.flatMap((f) => f.resources));

  const seldon = exportManifests(config, { target: 'seldon', workspaceRoot: dir });
  const [model] = seldon.files[0].resources;
  // min 0 lets Seldon scale the Model to zero, but it starts with one replica so it serves once loaded.
  assert.deepEqual(model.spec, { storageUri: 'gs://fraud-models/serving/fraud/1', requirements: ['onnx'], memory: '1000000000', replicas: 1, minReplicas: 0, maxReplicas: 3 });
  assert.ok(seldon.warnings.some((w) => w.includes('the CPU request 250m is left out')));
  assert.ok(seldon.warnings.some((w) => w.includes('the request 1000000000; the limit 2Gi is left out')));
  assert.ok(seldon.warnings.some((w) => w.includes('autoscaling on rps (target 40) is left out')));
  assertValid(seldon.files.flatMap((f) => f.resources));

  // --storage-uri wins over the manifest's.
  const given = exportManifests(config, { target: 'kserve', storageUri: 's3://elsewhere', workspaceRoot: dir });
  assert.equal((given.files[0].resources[0].spec.predictor as { model: { storageUri: string } }).model.storageUri, 's3://elsewhere/fraud/1');
});

test('an endpoint\'s deploy overrides its model\'s field by field; autoscaling as a whole', () => {
  const { dir, config } = configOf(`${SIZED_MODEL}serving:
  endpoints:
    live:
      model: fraud
      deploy:
        resources: { requests: { memory: 1536Mi }, limits: { cpu: "2" } }
        replicas: { min: 2 }
        autoscaling: { metric: cpu, target: 75 }
    shadow: { model: fraud, deploy: { storage_uri: s3://shadow-bucket } }
`);
  const kserve = exportManifests(config, { target: 'kserve', workspaceRoot: dir });
  const predictor = (name: string) => kserve.files.find((f) => f.name === `${name}.inferenceservice.yaml`)!.resources[0].spec.predictor as Record<string, unknown>;
  assert.deepEqual(predictor('live'), {
    minReplicas: 2,
    maxReplicas: 3,
    scaleMetric: 'cpu',
    scaleTarget: 75,
    model: {
      modelFormat: { name: 'onnx' },
      protocolVersion: 'v2',
      storageUri: 'gs://fraud-models/serving/fraud/1',
      resources: { requests: { cpu: '250m', memory: '1536Mi' }, limits: { cpu: '2', memory: '2Gi' } },
    },
  });
  assert.equal((predictor('shadow').model as { storageUri: string }).storageUri, 's3://shadow-bucket/fraud/1');
  assert.equal(predictor('shadow').scaleMetric, 'rps');
  assert.deepEqual(
    kserve.uploads.map((u) => u.uri),
    ['gs://fraud-models/serving/fraud/1/model.onnx', 's3://shadow-bucket/fraud/1/model.onnx'],
  );
  assertValid(kserve.files.flatMap((f) => f.resources));

  // Both endpoints serve version 1 through one Seldon Model: the first by name (live) sizes it, and the other is told.
  const seldon = exportManifests(config, { target: 'seldon', workspaceRoot: dir });
  assert.deepEqual(seldon.files.map((f) => f.name), ['fraud-v1.model.yaml']);
  assert.deepEqual(seldon.files[0].resources[0].spec, { storageUri: 'gs://fraud-models/serving/fraud/1', requirements: ['onnx'], memory: '1536Mi', replicas: 2, minReplicas: 2, maxReplicas: 3 });
  assert.ok(seldon.warnings.includes('endpoint shadow: Model fraud-v1 is also served by endpoint live, whose deploy settings and storage it keeps; this endpoint\'s differ and are left out'));
  assertValid(seldon.files.flatMap((f) => f.resources));
});

test('KServe: scaling on cpu or memory without a request of it is a warning', () => {
  const { dir, config } = configOf(`version: 1
models:
  m:
    versions: { "1": { path: a.onnx } }
    deploy: { autoscaling: { metric: memory, target: 80 }, resources: { requests: { cpu: "1" } } }
`);
  const result = exportManifests(config, { target: 'kserve', workspaceRoot: dir });
  assert.equal(result.placeholder, true);
  assert.deepEqual(result.warnings, ['endpoint m: scaling on memory aims at 80% of the memory request, and deploy sets no resources.requests.memory']);
  assertValid(result.files.flatMap((f) => f.resources));
});

test('the CRD nodes of the sizing fields are real: a bad scaleMetric, a quantity with a space, a fractional replica count fail', () => {
  const [stable] = churn('kserve').files[0].resources;
  const badMetric = structuredClone(stable);
  (badMetric.spec.predictor as Record<string, unknown>).scaleMetric = 'latency';
  assert.deepEqual(validateResource(badMetric, CRDS), ['.spec.predictor.scaleMetric: must be one of "cpu", "memory", "concurrency", "rps", not "latency"']);
  const badTarget = structuredClone(stable);
  (badTarget.spec.predictor as Record<string, unknown>).scaleTarget = 2.5;
  assert.deepEqual(validateResource(badTarget, CRDS), ['.spec.predictor.scaleTarget: must be an integer, not number 2.5']);
  const badMemory = structuredClone(stable);
  (badMemory.spec.predictor as { model: { resources: { limits: Record<string, unknown> } } }).model.resources.limits.memory = '1 GB';
  assert.equal(validateResource(badMemory, CRDS).length, 1);
  const [model] = churn('seldon').files[0].resources;
  assert.deepEqual(validateResource({ ...model, spec: { ...model.spec, minReplicas: 1.5 } }, CRDS), ['.spec.minReplicas: must be an integer, not number 1.5']);
});

test('the validator catches a wrong type, a missing required field, an unknown field and a bad enum', () => {
  const [stable] = churn('kserve').files[0].resources;
  const wrongType = structuredClone(stable);
  (wrongType.spec.predictor as Record<string, unknown>).canaryTrafficPercent = '30';
  assert.deepEqual(validateResource(wrongType, CRDS), ['.spec.predictor.canaryTrafficPercent: must be an integer, not string "30"']);

  const noPredictor = { ...structuredClone(stable), spec: {} };
  assert.deepEqual(validateResource(noPredictor, CRDS), ['.spec: missing required field "predictor"']);

  const typo = structuredClone(stable);
  const model = (typo.spec.predictor as { model: Record<string, unknown> }).model;
  model.storageURI = model.storageUri;
  delete model.storageUri;
  assert.deepEqual(validateResource(typo, CRDS), ['.spec.predictor.model.storageURI: unknown field']);

  const noFormatName = structuredClone(stable);
  (noFormatName.spec.predictor as { model: { modelFormat: Record<string, unknown> } }).model.modelFormat = {};
  assert.deepEqual(validateResource(noFormatName, CRDS), ['.spec.predictor.model.modelFormat: missing required field "name"']);

  const [model1] = churn('seldon').files[0].resources;
  assert.deepEqual(validateResource({ ...model1, spec: { requirements: ['onnx'] } }, CRDS), ['.spec: missing required field "storageUri"']);
  assert.deepEqual(validateResource({ ...model1, spec: { storageUri: 's3://x', requirements: 'onnx' } }, CRDS), [
    '.spec.requirements: must be an array, not string "onnx"',
  ]);
  assert.deepEqual(validateResource({ ...model1, spec: { storageUri: 's3://x', memory: '1 GB' } }, CRDS).length, 1);
  assert.deepEqual(validateResource({ ...model1, spec: { storageUri: 's3://x', memory: '1Gi', replicas: 2 ** 31 } }, CRDS), [
    '.spec.replicas: 2147483648 is out of int32 range',
  ]);

  const experiment = churn('seldon').files[2].resources[0];
  const badWeight = structuredClone(experiment);
  (badWeight.spec.candidates as { weight: unknown }[])[1].weight = 30.5;
  assert.deepEqual(validateResource(badWeight, CRDS), ['.spec.candidates[1].weight: must be an integer, not number 30.5']);

  const badLogger = structuredClone(stable);
  (badLogger.spec.predictor as Record<string, unknown>).logger = { mode: 'everything' };
  assert.deepEqual(validateResource(badLogger, CRDS), ['.spec.predictor.logger.mode: must be one of "all", "request", "response", not "everything"']);
  assert.deepEqual(validateResource({ apiVersion: 'serving.kserve.io/v1alpha1', kind: 'InferenceService' }, CRDS), [
    'no CRD for apiVersion serving.kserve.io/v1alpha1 kind InferenceService',
  ]);
});

test('names become DNS-1123 labels', () => {
  assert.equal(dnsName('Fraud_Detector-v1'), 'fraud-detector-v1');
  assert.equal(dnsName('1st model'), 'm-1st-model');
  assert.equal(dnsName('a'.repeat(80)).length, 63);
  assert.match(dnsName('--Ünïcode--'), /^[a-z]([-a-z0-9]*[a-z0-9])?$/);
});
