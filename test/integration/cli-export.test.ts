import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { loadCrds, validateResource } from '../helpers/openapi-schema';
import { CLI, REPO, tempDir } from '../helpers/paths';

const CRDS = readdirSync(join(REPO, 'test', 'fixtures', 'crds'))
  .filter((f) => f.endsWith('.yaml'))
  .flatMap((f) => loadCrds(join(REPO, 'test', 'fixtures', 'crds', f)));

function mlops(args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: REPO, encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, stdout: String(r.stdout), stderr: String(r.stderr) };
}

function validDocs(text: string): Record<string, unknown>[] {
  const docs = parseAllDocuments(text).map((d) => d.toJS() as Record<string, unknown>);
  for (const doc of docs) assert.deepEqual(validateResource(doc, CRDS), []);
  return docs;
}

test('mlops export seldon --out writes one valid file per resource and lists the uploads', () => {
  const out = tempDir('export-out');
  const r = mlops(['export', 'seldon', 'examples/churn', '--out', out, '--storage-uri', 'gs://acme-models/churn-svc', '--namespace', 'ml']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(readdirSync(out).sort(), ['churn-v1.model.yaml', 'churn-v2.model.yaml', 'churn.experiment.yaml']);
  const experiment = validDocs(readFileSync(join(out, 'churn.experiment.yaml'), 'utf8'))[0] as { metadata: { namespace: string }; spec: unknown };
  assert.equal(experiment.metadata.namespace, 'ml');
  assert.deepEqual(experiment.spec, {
    default: 'churn-v1',
    candidates: [
      { name: 'churn-v1', weight: 70 },
      { name: 'churn-v2', weight: 30 },
    ],
  });
  for (const f of ['churn-v1.model.yaml', 'churn-v2.model.yaml']) validDocs(readFileSync(join(out, f), 'utf8'));
  assert.match(r.stderr, /models\/churn-v2\.onnx -> gs:\/\/acme-models\/churn-svc\/churn\/2\/model\.onnx/);
  assert.doesNotMatch(r.stderr, /placeholder/);
  // Deterministic: a second run writes the same bytes.
  const again = tempDir('export-again');
  mlops(['export', 'seldon', 'examples/churn', '--out', again, '--storage-uri', 'gs://acme-models/churn-svc', '--namespace', 'ml']);
  for (const f of readdirSync(out)) assert.equal(readFileSync(join(again, f), 'utf8'), readFileSync(join(out, f), 'utf8'));
});

test('mlops export kserve to stdout: the stable step only, the canary step named on stderr', () => {
  const r = mlops(['export', 'kserve', 'examples/churn']);
  assert.equal(r.code, 0, r.stderr);
  const docs = validDocs(r.stdout);
  assert.equal(docs.length, 1);
  assert.match(r.stderr, /left out of the stream: churn\.canary\.inferenceservice\.yaml/);
  assert.match(r.stderr, /placeholder s3:\/\/your-bucket\/mlops-models/);
  const out = tempDir('export-kserve');
  assert.equal(mlops(['export', 'kserve', 'examples/churn', '--out', out]).code, 0);
  const canary = validDocs(readFileSync(join(out, 'churn.canary.inferenceservice.yaml'), 'utf8'))[0] as {
    spec: { predictor: { canaryTrafficPercent: number } };
  };
  assert.equal(canary.spec.predictor.canaryTrafficPercent, 30);
});

test('mlops export: bad usage exits 2, an unusable manifest exits 1', () => {
  for (const args of [
    ['export'],
    ['export', 'helm'],
    ['export', 'kserve', 'examples/churn', '--storage-uri', 'bucket/prefix'],
    ['export', 'seldon', 'no/such/folder'],
    ['export', 'kserve', 'examples/churn', '--namespace', 'Bad_NS'],
  ]) {
    const r = mlops(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /^mlops: /);
  }
  const broken = mlops(['export', 'kserve', 'examples/broken']);
  assert.equal(broken.code, 1, broken.stderr);
  assert.match(broken.stderr, /^mlops export: .*mlops\.yaml:\d+:\d+: /m);
});

test('mlops export: impossible deploy settings stop it, each at its place; deploy.storage_uri replaces the placeholder', () => {
  const dir = tempDir('export-deploy-cli');
  const manifest = (deploy: string) =>
    writeFileSync(join(dir, 'mlops.yaml'), `version: 1\nmodels:\n  m:\n    versions: { "1": { path: m.onnx } }\n    deploy:\n${deploy}`);
  manifest('      resources: { requests: { memory: 1 GB }, limits: { cpu: 500m } }\n      replicas: { min: 4, max: 2 }\n');
  const bad = mlops(['export', 'kserve', dir]);
  assert.equal(bad.code, 1, bad.stderr);
  assert.equal(bad.stdout, '');
  assert.match(bad.stderr, /mlops\.yaml:6:40: `1 GB` \(requests\.memory\) is not a Kubernetes quantity.*did you mean `1G` or `1Gi`\?/);
  assert.match(bad.stderr, /mlops\.yaml:7:17: Model `m` asks for at least 4 and at most 2 replicas/);

  manifest('      resources: { requests: { memory: 1Gi, cpu: 1 }, limits: { cpu: 500m } }\n');
  const below = mlops(['export', 'seldon', dir]);
  assert.equal(below.code, 1, below.stderr);
  assert.match(below.stderr, /mlops\.yaml:6:70: The cpu limit 500m of model `m` is below its request 1/);

  manifest('      resources: { requests: { memory: 256m } }\n      storage_uri: s3://acme/models\n');
  const ok = mlops(['export', 'seldon', dir]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stderr, /warning: .*mlops\.yaml:6:40: `256m` \(requests\.memory\) is 256 millibytes/);
  assert.doesNotMatch(ok.stderr, /placeholder/);
  assert.match(ok.stderr, /m\.onnx -> s3:\/\/acme\/models\/m\/1\/model\.onnx/);
  const [model] = validDocs(ok.stdout) as { spec: { memory: string } }[];
  assert.equal(model.spec.memory, '256m');
});
