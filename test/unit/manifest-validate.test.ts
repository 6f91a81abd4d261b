// Manifest validation: a table of broken manifests, each with its expected codes at exact ranges;
// ONNX checks on real models; fuzzing; and the time validation of a large manifest takes.
//
// In the table, «code:text» marks where a finding with that code must be: the marks are removed from
// the manifest and the range of `text` is the expected range. Marks may nest. Every finding must be
// marked, and every mark must be found.
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { checkManifestText } from '../../server/src/check/check';
import type { Finding, Range } from '../../server/src/contract';
import { parseManifest } from '../../server/src/manifest/parse';
import { validateManifest, type RunFacts, type RunLookup, type ValidationContext } from '../../server/src/manifest/validate';
import { inspectOnnx, peekOnnx } from '../../server/src/onnx/inspect';
import { largeManifest } from '../helpers/large-manifest';
import { REPO, SHARED_FIXTURES, tempDir } from '../helpers/paths';

const ONNX = join(SHARED_FIXTURES, 'onnx');
const FIXTURE = {
  rf: join(ONNX, 'rf_iris.onnx'),
  logreg: join(ONNX, 'logreg_iris.onnx'),
  softmax: join(ONNX, 'onnx-backend-tests/node/test_softmax_example/model.onnx'),
  matmul: join(ONNX, 'onnx-backend-tests/node/test_matmul_2d/model.onnx'),
  relu: join(ONNX, 'onnx-backend-tests/simple/test_single_relu_model/model.onnx'),
  gemmOpset6: join(ONNX, 'onnx-backend-tests/pytorch-converted/test_Linear/model.onnx'),
};

interface Case {
  name: string;
  /** The manifest, with «code:…» marks. */
  text: string;
  /** Files of the temporary workspace the manifest is written into: text, or `{ copy: fixture }`. */
  files?: Record<string, string | { copy: string } | { link: string } | { folder: true }>;
  runs?: Record<string, Partial<RunFacts> & { metrics: Record<string, number> }>;
  gates?: 'enforce';
  /** Check files even without `files` (an empty workspace). */
  workspace?: boolean;
}

const CHURN = `version: 1
models:
  churn:
    versions:
      "1": { path: a.onnx }
      "2": { path: b.onnx }
    aliases: { production: "1" }
`;

const CASES: Case[] = [
  // --- schema ---------------------------------------------------------------------------------
  { name: 'a quoted port is a string', text: 'version: 1\nserving:\n  port: «wrong-type:"8080"»\n' },
  { name: 'a run id YAML reads as a number', text: 'version: 1\nmodels:\n  m:\n    versions:\n      "1": { path: a.onnx, run: «wrong-type:12e4» }\n' },
  { name: 'models as a list', text: 'version: 1\nmodels: «wrong-type:[a, b]»\n' },
  { name: 'an empty section points at its key', text: 'version: 1\n«wrong-type:serving»:\n' },
  { name: 'sequential is not a boolean', text: `${CHURN}serving:\n  endpoints:\n    e: { model: churn, traffic: { "1": 50, "2": 50 } }\nexperiments:\n  x: { endpoint: e, control: "1", treatment: "2", metric: accuracy, sequential: «wrong-type:"yes"» }\n` },
  { name: 'version is required', text: '«missing-key:m»odels: {}\n' },
  { name: 'a version needs a path', text: 'version: 1\nmodels:\n  m:\n    versions:\n      «missing-key:"1"»: { run: abc }\n' },
  { name: 'an endpoint needs a model', text: 'version: 1\nserving:\n  endpoints:\n    «missing-key:web»: { sticky: header:x-user }\n' },
  { name: 'a gate needs min or max', text: 'version: 1\nmodels:\n  m:\n    gates:\n      «missing-key:accuracy»: {}\n' },
  { name: 'a mirror needs a version and a percent', text: `${CHURN}serving:\n  endpoints:\n    e:\n      model: churn\n      «missing-key:mirror»: { percent: 5 }\n` },
  { name: 'a misspelled model key', text: 'version: 1\nmodels:\n  m:\n    «unknown-key:verisons»: {}\n' },
  { name: 'a misspelled top-level key', text: 'version: 1\n«unknown-key:servng»: {}\n' },
  { name: 'an unknown batching key', text: 'version: 1\nserving:\n  endpoints:\n    e:\n      model: m\n      batching: { «unknown-key:max_batch_time»: 5 }\nmodels:\n  m: { versions: { "1": { path: a.onnx } } }\n' },
  { name: 'a misspelled task', text: 'version: 1\nmodels:\n  m:\n    task: «invalid-value:clasification»\n' },
  { name: 'version 2 does not exist', text: 'version: «invalid-value:2»\n' },
  { name: 'a version path that is not .onnx', text: 'version: 1\nmodels:\n  m:\n    versions:\n      "1": { path: «invalid-value:models/a.pkl» }\n' },
  { name: 'sticky needs header:', text: `${CHURN}serving:\n  endpoints:\n    e: { model: churn, sticky: «invalid-value:cookie:uid» }\n` },
  { name: 'an unknown statistical test', text: `${CHURN}serving:\n  endpoints:\n    e: { model: churn, traffic: { "1": 50, "2": 50 } }\nexperiments:\n  x: { endpoint: e, control: "1", treatment: "2", metric: accuracy, test: «invalid-value:t-test» }\n` },
  { name: 'an empty command', text: 'version: 1\nmodels:\n  m: {}\nmonitoring:\n  m:\n    retrain: { command: «invalid-value:""» }\n' },
  {
    name: 'drift settings for columns the reference does not have',
    text: 'version: 1\nmodels:\n  m: {}\nmonitoring:\n  m:\n    reference: ref.csv\n    drift:\n      exclude: [«unknown-feature:id»]\n      features:\n        «unknown-feature:tenur»: { method: ks }\n        charges: { method: psi }\n',
    files: { 'ref.csv': 'tenure,charges\n1,2\n' },
  },
  { name: 'a retrain that never fires', text: 'version: 1\nmodels:\n  m: {}\nmonitoring:\n  m:\n    «retrain-never:retrain»: { command: make }\n' },
  { name: 'a schedule with a minute out of range: the field is marked', text: 'version: 1\nmodels:\n  m: {}\nmonitoring:\n  m:\n    retrain: { command: make, schedule: "0 «schedule-invalid:25» * * *" }\n' },
  { name: 'a Quartz extension in a schedule: the character is marked', text: 'version: 1\nmodels:\n  m: {}\nmonitoring:\n  m:\n    retrain: { command: make, schedule: 0 0 «schedule-invalid:L» * * }\n' },
  { name: 'a schedule of six fields', text: 'version: 1\nmodels:\n  m: {}\nmonitoring:\n  m:\n    retrain: { command: make, schedule: "«schedule-invalid:0 0 3 * * 1»" }\n' },
  { name: 'Sunday as 7, which GitHub does not take', text: 'version: 1\nmodels:\n  m: {}\nmonitoring:\n  m:\n    retrain: { command: make, schedule: "0 3 * * «schedule-invalid:7»" }\n' },
  { name: 'a schedule that never runs', text: 'version: 1\nmodels:\n  m: {}\nmonitoring:\n  m:\n    retrain: { command: make, schedule: "«schedule-invalid:0 0 31 2 *»" }\n' },
  { name: 'a misspelt time zone', text: 'version: 1\nmodels:\n  m: {}\nmonitoring:\n  m:\n    retrain: { command: make, schedule: daily, timezone: «schedule-timezone:Europe/Berln» }\n' },
  {
    name: 'drift thresholds and methods that cannot apply',
    text: 'version: 1\nmodels:\n  m: {}\nmonitoring:\n  m:\n    drift:\n      features:\n        a: { method: ks, threshold: «drift-threshold:2» }\n        b: { method: «drift-method:z-test», type: numeric }\n        c: { method: «drift-method:wasserstein», type: categorical }\n',
  },
  { name: 'retrain on an unknown trigger', text: 'version: 1\nmodels:\n  m: {}\nmonitoring:\n  m:\n    retrain: { command: make, on: [drift, «invalid-value:schedule»] }\n' },
  { name: 'a port above 65535', text: 'version: 1\nserving:\n  port: «out-of-range:70000»\n' },
  { name: 'alpha of 1.5', text: `${CHURN}serving:\n  endpoints:\n    e: { model: churn, traffic: { "1": 50, "2": 50 } }\nexperiments:\n  x: { endpoint: e, control: "1", treatment: "2", metric: accuracy, alpha: «out-of-range:1.5», power: «out-of-range:1» }\n` },
  { name: 'negative traffic, no sum reported over it', text: `${CHURN}serving:\n  endpoints:\n    e: { model: churn, traffic: { "1": «out-of-range:-10», "2": «out-of-range:110» } }\n` },
  { name: 'drift_share above 1', text: 'version: 1\nmodels:\n  m: {}\nmonitoring:\n  m:\n    drift: { drift_share: «out-of-range:1.2» }\n' },
  { name: 'max_batch_size of 0', text: `${CHURN}serving:\n  endpoints:\n    e: { model: churn, batching: { max_batch_size: «out-of-range:0» } }\n` },
  { name: 'a duplicate key (the parser marks its first character)', text: 'version: 1\nmodels: {}\n«duplicate-key:m»odels: {}\n' },

  // --- references and traffic -----------------------------------------------------------------
  { name: 'traffic that sums to 90', text: `${CHURN}serving:\n  endpoints:\n    e:\n      model: churn\n      traffic: «traffic-sum:{ "1": 70, "2": 20 }»\n` },
  { name: 'block traffic that sums to 110', text: `${CHURN}serving:\n  endpoints:\n    e:\n      model: churn\n      traffic:\n        «traffic-sum:"1": 60\n        "2": 50»\n\n# trailing comment\n` },
  { name: 'empty traffic', text: `${CHURN}serving:\n  endpoints:\n    e: { model: churn, traffic: «traffic-sum:{}» }\n` },
  { name: 'fractional traffic that sums to 100 is fine', text: `${CHURN}serving:\n  endpoints:\n    e: { model: churn, traffic: { "1": 33.3, "2": 66.7 } }\n` },
  { name: 'traffic to a version that does not exist', text: `${CHURN}serving:\n  endpoints:\n    e: { model: churn, traffic: { «unknown-version:"3"»: 30, "1": 70 } }\n` },
  { name: 'an alias to a missing version', text: 'version: 1\nmodels:\n  m:\n    versions: { "1": { path: a.onnx } }\n    aliases: { production: "1", staging: «unknown-version:"2"» }\n' },
  { name: 'an unquoted alias version is an id too', text: 'version: 1\nmodels:\n  m:\n    versions: { "1": { path: a.onnx } }\n    aliases: { production: 1, staging: «unknown-version:3» }\n' },
  { name: 'aliases of a model without versions', text: 'version: 1\nmodels:\n  m:\n    aliases: { production: «unknown-version:"1"» }\n' },
  { name: 'a mirror to a missing version', text: `${CHURN}serving:\n  endpoints:\n    e: { model: churn, traffic: { "1": 100 }, mirror: { version: «unknown-version:"9"», percent: 10 } }\n` },
  { name: 'experiment arms that do not exist', text: `${CHURN}serving:\n  endpoints:\n    e: { model: churn, traffic: { "1": 50, "2": 50 } }\nexperiments:\n  x: { endpoint: e, control: «unknown-version:"0"», treatment: «unknown-version:"3"», metric: accuracy }\n` },
  { name: 'traffic, mirror and experiment arms may name aliases', text: `${CHURN}    aliases: { production: "1", staging: "2" }\nserving:\n  endpoints:\n    e: { model: churn, traffic: { production: 90, staging: 10 }, mirror: { version: staging, percent: 5 } }\nexperiments:\n  x: { endpoint: e, control: production, treatment: «experiment-same-version:"1"», metric: accuracy }\n`.replace('    aliases: { production: "1" }\n', '') },
  { name: 'an alias that is not declared', text: `${CHURN}serving:\n  endpoints:\n    e: { model: churn, traffic: { production: 90, «unknown-version:canary»: 10 } }\n` },
  { name: 'an alias may not name another alias', text: 'version: 1\nmodels:\n  m:\n    versions: { "1": { path: a.onnx } }\n    aliases: { production: "1", stable: «unknown-version:production» }\n' },
  { name: 'an endpoint serving a missing model', text: `${CHURN}serving:\n  endpoints:\n    e: { model: «unknown-model:chrun», traffic: { "1": 100 } }\n` },
  { name: 'monitoring a missing model', text: `${CHURN}monitoring:\n  «unknown-model:fraud»:\n    drift: { method: auto }\n` },
  { name: 'an experiment on a missing endpoint', text: `${CHURN}serving:\n  endpoints:\n    web: { model: churn, traffic: { "1": 50, "2": 50 } }\nexperiments:\n  x: { endpoint: «unknown-endpoint:wbe», control: "1", treatment: "2", metric: accuracy }\n` },
  { name: 'an experiment comparing a version with itself', text: `${CHURN}serving:\n  endpoints:\n    e: { model: churn, traffic: { "1": 50, "2": 50 } }\nexperiments:\n  x: { endpoint: e, control: "1", treatment: «experiment-same-version:"1"», metric: accuracy }\n` },
  { name: 'an experiment arm without traffic', text: `${CHURN}serving:\n  endpoints:\n    e: { model: churn, traffic: { "1": 100, "2": 0 } }\nexperiments:\n  x: { endpoint: e, control: "1", treatment: «experiment-no-traffic:"2"», metric: accuracy }\n` },
  { name: 'a canary guard that bounds nothing', text: `${CHURN}serving:\n  endpoints:\n    e:\n      model: churn\n      traffic: { "1": 90, "2": 10 }\n      «guard-empty:guard»: { min_requests: 500 }\n` },
  { name: 'a canary guard tripped by one error', text: `${CHURN}serving:\n  endpoints:\n    e:\n      model: churn\n      traffic: { "1": 90, "2": 10 }\n      guard: { max_error_rate_increase: 0.01, max_p95_latency_ratio: 1.5, min_requests: «guard-bounds:50» }\n` },
  { name: 'a canary guard with no canary to judge', text: `${CHURN}serving:\n  endpoints:\n    e: { model: churn, traffic: { "1": 100 }, «guard-idle:guard»: { max_p95_latency_ratio: 2 } }\n` },
  { name: 'canary guard bounds out of range', text: `${CHURN}serving:\n  endpoints:\n    e: { model: churn, traffic: { "1": 90, "2": 10 }, guard: { max_error_rate_increase: «out-of-range:-0.1», max_p95_latency_ratio: «out-of-range:0.9», min_requests: «wrong-type:2.5» } }\n` },
  { name: 'an endpoint with nothing to route to', text: 'version: 1\nmodels:\n  m:\n    versions: { "1": { path: a.onnx }, "2": { path: b.onnx } }\nserving:\n  endpoints:\n    «traffic-missing:web»: { model: m }\n' },
  { name: 'an endpoint without traffic serves production', text: `${CHURN}serving:\n  endpoints:\n    web: { model: churn }\n` },

  // --- thresholds and serving -----------------------------------------------------------------
  { name: 'an accuracy gate above 1', text: 'version: 1\nmodels:\n  m:\n    gates: { accuracy: { min: «threshold-range:1.5» } }\n' },
  { name: 'a latency gate of 0', text: 'version: 1\nmodels:\n  m:\n    gates: { p95_latency_ms: { max: «threshold-range:0» }, val_f1_score: { min: «threshold-range:-0.1» }, roc_auc: { max: «threshold-range:2» } }\n' },
  { name: 'a gate whose min is above its max', text: 'version: 1\nmodels:\n  m:\n    gates:\n      rmse: «threshold-order:{ min: 3, max: 2 }»\n' },
  { name: 'a server bound to every interface without a token', text: 'version: 1\nserving:\n  host: «host-exposed:0.0.0.0»\n' },
  { name: 'a server bound to every interface with a token', text: 'version: 1\nserving:\n  host: 0.0.0.0\n  token_env: MLOPS_TOKEN\n' },
  { name: 'loopback needs no token', text: 'version: 1\nserving:\n  host: 127.0.0.1\n' },
  { name: 'a tracking server over ftp', text: 'version: 1\ntracking: [«tracking-url:ftp://files.example.com/mlruns»]\n' },
  { name: 'credentials in a tracking server URL', text: 'version: 1\ntracking:\n  - «tracking-url:https://user:pw@mlflow.example.com»\n' },
  { name: 'plain http to another machine', text: 'version: 1\ntracking: [mlruns/, «tracking-plain-http:http://mlflow.example.com:5000»]\n' },
  { name: 'plain http on this machine, https elsewhere', text: 'version: 1\ntracking: [http://127.0.0.1:5000, http://localhost:5000/mlflow, https://mlflow.example.com]\n' },

  // --- runs -----------------------------------------------------------------------------------
  {
    name: 'a version whose run is not indexed',
    text: 'version: 1\nmodels:\n  m:\n    versions:\n      "1": { path: a.onnx, run: «unknown-run:deadbeef» }\n',
    runs: { abc123: { metrics: { accuracy: 0.9 } } },
  },
  {
    name: 'a misspelled gate metric',
    text: 'version: 1\nmodels:\n  m:\n    gates:\n      «unknown-metric:acuracy»: { min: 0.8 }\n      p99_latency_ms: { max: 80 }\n      error_rate: { max: 0.01 }\n',
    runs: { abc123: { metrics: { accuracy: 0.9, f1_score: 0.8 } } },
  },
  {
    name: 'a misspelled experiment metric',
    text: `${CHURN}serving:\n  endpoints:\n    e: { model: churn, traffic: { "1": 50, "2": 50 } }\nexperiments:\n  x: { endpoint: e, control: "1", treatment: "2", metric: «unknown-metric:f1_scor» }\n`,
    runs: { abc123: { metrics: { accuracy: 0.9, f1_score: 0.8 } } },
  },
  {
    name: 'a gate the run fails (editor: warning)',
    text: 'version: 1\nmodels:\n  m:\n    versions:\n      "1": { path: a.onnx, run: «gate-failed:r1» }\n      "2": { path: b.onnx, run: r2 }\n    gates: { accuracy: { min: 0.85 }, p95_latency_ms: { max: 50 } }\n',
    runs: { r1: { metrics: { accuracy: 0.81 } }, r2: { metrics: { accuracy: 0.9 } } },
  },
  {
    name: 'gates enforced: a failed gate, a run without the metric, a version without a run',
    text: 'version: 1\nmodels:\n  m:\n    versions:\n      "1": { path: a.onnx, run: «gate-failed:«gate-unverified:r1»» }\n      «gate-unverified:"2"»: { path: b.onnx }\n    gates: { accuracy: { min: 0.85 }, «unknown-metric:f1_score»: { min: 0.5 }, p95_latency_ms: { max: 50 } }\n',
    runs: { r1: { metrics: { accuracy: 0.81 } } },
    gates: 'enforce',
  },
  {
    name: 'a degradation baseline that is not indexed',
    text: 'version: 1\nmodels:\n  m: {}\nmonitoring:\n  m:\n    degradation: { baseline: «unknown-run:run:0000», tolerance: 0.05 }\n',
    runs: { abc: { metrics: { accuracy: 0.9 } } },
  },
  {
    name: 'no runs indexed: metric names are not judged',
    text: 'version: 1\nmodels:\n  m:\n    gates: { anything_goes: { min: 1 } }\n',
    runs: {},
  },

  // --- files ----------------------------------------------------------------------------------
  { name: 'a missing ONNX file', text: 'version: 1\nmodels:\n  m:\n    versions: { "1": { path: «file-missing:models/m.onnx» } }\n', workspace: true },
  { name: 'an ONNX file outside the workspace', text: 'version: 1\nmodels:\n  m:\n    versions: { "1": { path: «path-outside-workspace:../elsewhere/m.onnx» } }\n', workspace: true },
  {
    name: 'an ONNX file that links out of the workspace',
    text: 'version: 1\nmodels:\n  m:\n    versions: { "1": { path: «path-outside-workspace:models/m.onnx» } }\n',
    files: { 'models/m.onnx': { link: FIXTURE.relu } },
  },
  { name: 'a folder named like an ONNX file', text: 'version: 1\nmodels:\n  m:\n    versions: { "1": { path: «file-missing:m.onnx» } }\n', files: { 'm.onnx': { folder: true } } },
  {
    name: 'ONNX files that do not load',
    text: 'version: 1\nmodels:\n  m:\n    versions:\n      "1": { path: «onnx-load-failed:old.onnx» }\n      "2": { path: «onnx-load-failed:junk.onnx» }\n',
    files: { 'old.onnx': { copy: FIXTURE.gemmOpset6 }, 'junk.onnx': 'not a model' },
  },
  {
    name: 'a ZipMap output',
    text: 'version: 1\nmodels:\n  iris:\n    versions: { "1": { path: «onnx-non-tensor-output:rf.onnx» } }\n',
    files: { 'rf.onnx': { copy: FIXTURE.rf } },
  },
  {
    name: 'an endpoint splitting between models with different inputs',
    text: 'version: 1\nmodels:\n  m:\n    versions:\n      "1": { path: relu.onnx }\n      "2": { path: softmax.onnx }\n      "3": { path: matmul.onnx }\nserving:\n  endpoints:\n    e: { model: m, traffic: { "1": 50, «onnx-signature-mismatch:"2"»: 25, «onnx-signature-mismatch:"3"»: 25 } }\n',
    files: { 'relu.onnx': { copy: FIXTURE.relu }, 'softmax.onnx': { copy: FIXTURE.softmax }, 'matmul.onnx': { copy: FIXTURE.matmul } },
  },
  {
    name: 'a mirror with different inputs',
    text: 'version: 1\nmodels:\n  m:\n    versions:\n      "1": { path: «onnx-non-tensor-output:rf.onnx» }\n      "2": { path: softmax.onnx }\nserving:\n  endpoints:\n    e: { model: m, traffic: { "1": 100 }, mirror: { version: «onnx-signature-mismatch:"2"», percent: 5 } }\n',
    files: { 'rf.onnx': { copy: FIXTURE.rf }, 'softmax.onnx': { copy: FIXTURE.softmax } },
  },
  {
    name: 'models with the same inputs (an unknown batch dimension) agree',
    text: 'version: 1\nmodels:\n  iris:\n    versions:\n      "1": { path: «onnx-non-tensor-output:rf.onnx» }\n      "2": { path: «onnx-non-tensor-output:lr.onnx» }\nserving:\n  endpoints:\n    e: { model: iris, traffic: { "1": 50, "2": 50 } }\n',
    files: { 'rf.onnx': { copy: FIXTURE.rf }, 'lr.onnx': { copy: FIXTURE.logreg } },
  },
  {
    name: 'an experiment between versions with different inputs',
    text: 'version: 1\nmodels:\n  m:\n    versions:\n      "1": { path: relu.onnx }\n      "2": { path: softmax.onnx }\nserving:\n  endpoints:\n    e: { model: m, traffic: { "1": 100 } }\nexperiments:\n  x: { endpoint: e, control: "1", treatment: «onnx-signature-mismatch:«experiment-no-traffic:"2"»», metric: accuracy }\n',
    files: { 'relu.onnx': { copy: FIXTURE.relu }, 'softmax.onnx': { copy: FIXTURE.softmax } },
  },
  { name: 'a missing reference file', text: 'version: 1\nmodels:\n  m: {}\nmonitoring:\n  m:\n    reference: «file-missing:data/ref.csv»\n', workspace: true },
  { name: 'a reference outside the workspace', text: 'version: 1\nmodels:\n  m: {}\nmonitoring:\n  m:\n    reference: «path-outside-workspace:/etc/passwd»\n', workspace: true },
  {
    name: 'a reference with too few columns for a [N, 4] input',
    text: 'version: 1\nmodels:\n  iris:\n    versions: { "1": { path: «onnx-non-tensor-output:rf.onnx» } }\nmonitoring:\n  iris:\n    reference: «reference-columns:ref.csv»\n',
    files: { 'rf.onnx': { copy: FIXTURE.rf }, 'ref.csv': 'sepal_length,sepal_width,petal_length\n5.1,3.5,1.4\n' },
  },
  {
    name: 'a reference with 4 features and a label fits a [N, 4] input',
    text: 'version: 1\nmodels:\n  iris:\n    versions: { "1": { path: «onnx-non-tensor-output:rf.onnx» } }\nmonitoring:\n  iris:\n    reference: ref.csv\n',
    files: { 'rf.onnx': { copy: FIXTURE.rf }, 'ref.csv': '\uFEFF"sepal length",sepal_width,petal_length,petal_width,species\r\n5.1,3.5,1.4,0.2,setosa\r\n' },
  },
  {
    name: 'a reference without a column for a named input',
    text: 'version: 1\nmodels:\n  m:\n    versions: { "1": { path: mm.onnx } }\n    aliases: { production: "1" }\nmonitoring:\n  m:\n    reference: «reference-columns:ref.csv»\n',
    files: { 'mm.onnx': { copy: FIXTURE.matmul }, 'ref.csv': 'a,c\n1,2\n' },
  },
  { name: 'an empty reference file', text: 'version: 1\nmodels:\n  m:\n    versions: { "1": { path: mm.onnx } }\nmonitoring:\n  m:\n    reference: «reference-columns:ref.csv»\n', files: { 'mm.onnx': { copy: FIXTURE.matmul }, 'ref.csv': '' } },
  { name: 'a tracking folder outside the workspace', text: 'version: 1\ntracking: [runs/, «path-outside-workspace:../../mlruns»]\n', workspace: true },

  // --- Kubernetes sizing (deploy) ---------------------------------------------------------------
  {
    name: 'quantities that are not Kubernetes quantities, a negative one and memory in millibytes',
    text: `${CHURN}    deploy:\n      resources:\n        requests: { cpu: «deploy-quantity:2 cores», memory: «deploy-quantity:1 GB» }\n        limits: { cpu: «deploy-quantity:-1», memory: «deploy-quantity:512m» }\n`,
  },
  { name: 'a quantity of the wrong type is the schema\'s', text: `${CHURN}    deploy:\n      resources: { requests: { memory: «wrong-type:[1, Gi]» } }\n` },
  { name: 'replicas whose min is above their max', text: `${CHURN}serving:\n  endpoints:\n    e:\n      model: churn\n      deploy:\n        replicas: «deploy-replicas-order:{ min: 5, max: 2 }»\n` },
  {
    name: 'limits below requests (1G is less than 1Gi; 999m less than 1)',
    text: `${CHURN}    deploy:\n      resources:\n        requests: { cpu: 1, memory: 1Gi }\n        limits: { cpu: «deploy-limit-below-request:999m», memory: «deploy-limit-below-request:1G» }\n`,
  },
  {
    name: 'an endpoint override that breaks what the model allows, reported on the override',
    text: `${CHURN}    deploy:\n      resources: { limits: { memory: 1Gi } }\n      replicas: { max: 3 }\nserving:\n  endpoints:\n    e:\n      model: churn\n      deploy:\n        resources: { requests: { memory: «deploy-limit-below-request:1536Mi» } }\n        replicas: { min: «deploy-replicas-order:4» }\n`,
  },
  {
    name: 'a fault endpoints inherit is reported once, at the model',
    text: `${CHURN}    deploy:\n      replicas: «deploy-replicas-order:{ min: 3, max: 1 }»\n      resources: { requests: { cpu: 2 }, limits: { cpu: «deploy-limit-below-request:1500m» } }\nserving:\n  endpoints:\n    a: { model: churn }\n    b: { model: churn, deploy: { storage_uri: gs://other/models } }\n`,
  },
  {
    name: 'deploy settings that hold: equal request and limit in other spellings, an override that fixes the model\'s',
    text: `${CHURN}    deploy:\n      resources:\n        requests: { cpu: 500m, memory: 1e9 }\n        limits: { cpu: "0.5", memory: 1G }\n      replicas: { min: 0, max: 4 }\n      autoscaling: { metric: concurrency, target: 8 }\n      storage_uri: s3://models/prod\nserving:\n  endpoints:\n    e:\n      model: churn\n      deploy: { replicas: { min: 2 }, resources: { limits: { memory: 2Gi } } }\n`,
  },
  { name: 'a fractional replica count is the schema\'s alone', text: `${CHURN}    deploy:\n      replicas: { min: «wrong-type:2.5», max: 2 }\n` },
  {
    name: 'deploy keys and values the schema refuses',
    text: `${CHURN}    deploy:\n      «unknown-key:replica»: { min: 1 }\n      «missing-key:autoscaling»: { metric: «invalid-value:latency» }\n      storage_uri: «invalid-value:bucket/prefix»\nserving:\n  endpoints:\n    e: { model: churn, deploy: { replicas: { min: «out-of-range:-1», max: «out-of-range:0» } } }\n`,
  },

  // --- data sets and their expectations -----------------------------------------------------
  {
    name: 'expectations that cannot hold or cannot be checked',
    text: 'version: 1\ndata:\n  d:\n    path: x.csv\n    columns:\n      a: «expectation-order:{ type: integer, min: 10, max: 5 }»\n      b: { type: string, pattern: «expectation-invalid:"([0-9"» }\n      c: { type: date, format: «expectation-invalid:"YYYY-QQ"» }\n      e: { type: number, «expectation-type:format»: YYYY }\n      f: { type: category, min: «expectation-type:1» }\n    rows: «expectation-order:{ min: 10, max: 2 }»\n',
  },
  { name: 'a date bound not in the column\'s format', text: 'version: 1\ndata:\n  d:\n    path: x.csv\n    columns:\n      day: { type: date, format: M/D/YY, min: «expectation-type:"2021-01-01"» }\n' },
  { name: 'a long-form expectation with a bad severity', text: 'version: 1\ndata:\n  d:\n    path: x.csv\n    columns:\n      a: { max_null_share: { value: 0.1, severity: «invalid-value:fatal» } }\n' },
  {
    name: 'columns the data file does not have, a missing file and one outside',
    text: 'version: 1\ndata:\n  d:\n    path: data.csv\n    columns:\n      «data-column-missing:tenur»: { type: integer }\n      tenure: { type: integer }\n  gone:\n    path: «file-missing:nowhere.csv»\n  away:\n    path: «path-outside-workspace:../../x.csv»\n  later:\n    path: «file-missing:logs/*.jsonl»\n',
    files: { 'data.csv': 'tenure,charges\n1,2\n' },
  },
  { name: 'an endpoint that validates requests against no data set', text: `${CHURN}serving:\n  endpoints:\n    e: { model: churn, traffic: { "1": 50, "2": 50 }, validate: «validate-no-dataset:reject» }\n` },
  { name: 'a model input that names no data set', text: 'version: 1\nmodels:\n  m:\n    input: «unknown-dataset:custmers»\ndata:\n  customers: { path: c.csv }\n' },
  {
    name: 'an input data set without a column for a named input, and a text column for a float input',
    text: 'version: 1\nmodels:\n  m:\n    versions: { "1": { path: mm.onnx } }\n    input: «input-columns:d»\ndata:\n  d:\n    path: d.csv\n    columns:\n      a: { type: «input-dtype:string» }\n',
    files: { 'mm.onnx': { copy: FIXTURE.matmul }, 'd.csv': 'a,c\n1,2\n' },
  },
  {
    name: 'an input data set with too few columns for a [N, 4] input',
    text: 'version: 1\nmodels:\n  iris:\n    versions: { "1": { path: «onnx-non-tensor-output:rf.onnx» } }\n    input: «input-columns:flowers»\ndata:\n  flowers: { path: f.csv }\n',
    files: { 'rf.onnx': { copy: FIXTURE.rf }, 'f.csv': 'sepal_length,sepal_width,petal_length\n5.1,3.5,1.4\n' },
  },
  {
    name: 'a data set whose expectations all can hold',
    text: 'version: 1\ndata:\n  d:\n    path: data.csv\n    columns:\n      tenure: { type: integer, min: 0, max: { value: 100, severity: warn }, unique: true }\n      charges: { type: number, max_null_share: 0.01, severity: warn }\n    rows: { min: 1 }\n    extra_columns: error\n',
    files: { 'data.csv': 'tenure,charges\n1,2\n' },
  },
];

/** Strip «code:…» marks; the expected findings are [code, range] in the stripped text. */
function unmark(marked: string): { text: string; expected: { code: string; range: Range }[] } {
  let text = '';
  const open: { code: string; at: number }[] = [];
  const spans: { code: string; from: number; to: number }[] = [];
  for (let i = 0; i < marked.length; i++) {
    if (marked[i] === '«') {
      const colon = marked.indexOf(':', i);
      open.push({ code: marked.slice(i + 1, colon), at: text.length });
      i = colon;
    } else if (marked[i] === '»') {
      const o = open.pop()!;
      spans.push({ code: o.code, from: o.at, to: text.length });
    } else text += marked[i];
  }
  return { text, expected: spans.map((s) => ({ code: s.code, range: { start: pos(text, s.from), end: pos(text, s.to) } })) };
}

function pos(text: string, offset: number): { line: number; character: number } {
  const before = text.slice(0, offset).split('\n');
  return { line: before.length - 1, character: before[before.length - 1].length };
}

const show = (f: { code: string; range: Range }) => `${f.code} ${f.range.start.line}:${f.range.start.character}-${f.range.end.line}:${f.range.end.character}`;

function lookup(runs: NonNullable<Case['runs']>): RunLookup {
  return {
    get: (id) => (runs[id] ? { name: '', params: {}, ...runs[id] } : undefined),
    metricNames: () => new Set(Object.values(runs).flatMap((r) => Object.keys(r.metrics))),
  };
}

/** A workspace with the case's files; ONNX files are inspected before validation (as the CLI does). */
async function workspaceFor(c: Case, text: string): Promise<ValidationContext> {
  const root = tempDir('validate');
  const manifestPath = join(root, 'mlops.yaml');
  writeFileSync(manifestPath, text);
  for (const [rel, content] of Object.entries(c.files ?? {})) {
    const path = join(root, rel);
    mkdirSync(dirname(path), { recursive: true });
    if (typeof content === 'string') writeFileSync(path, content);
    else if ('copy' in content) copyFileSync(content.copy, path);
    else if ('link' in content) symlinkSync(content.link, path);
    else mkdirSync(path);
  }
  const wanted: string[] = [];
  validateManifest(parseManifest(text), { manifestPath, workspaceRoot: root, onnx: (p) => void wanted.push(p) });
  for (const p of wanted) await inspectOnnx(p);
  return { manifestPath, workspaceRoot: root, onnx: peekOnnx };
}

test('the table covers at least 40 broken manifests and every code', () => {
  const broken = CASES.filter((c) => c.text.includes('«'));
  assert.ok(broken.length >= 40, `${broken.length} broken manifests`);
  const covered = new Set(CASES.flatMap((c) => unmark(c.text).expected.map((e) => e.code)));
  const documented = [...readFileSync(join(REPO, 'docs', 'diagnostics.md'), 'utf8').matchAll(/^### `([a-z-]+)`/gm)].map((m) => m[1]);
  const manifestCodes = documented.filter((c) => !['yaml-syntax', 'manifest-empty', 'manifest-not-mapping', 'manifest-too-large', 'manifest-binary', 'unreadable', 'scan-truncated'].includes(c));
  assert.deepEqual(manifestCodes.filter((c) => !covered.has(c)), [], 'documented codes without a case');
  assert.deepEqual([...covered].filter((c) => !documented.includes(c)), [], 'codes without documentation');
});

for (const c of CASES) {
  test(`table: ${c.name}`, async () => {
    const { text, expected } = unmark(c.text);
    const ctx: ValidationContext = c.files || c.workspace ? await workspaceFor(c, text) : {};
    if (c.runs) ctx.runs = lookup(c.runs);
    if (c.gates) ctx.gates = c.gates;
    const findings = checkManifestText(text, ctx);
    assert.deepEqual(findings.map(show).sort(), expected.map(show).sort(), findings.map((f) => `${show(f)}: ${f.message}`).join('\n'));
    for (const f of findings) assert.ok(f.message.length > 10 && !/undefined|\[object/.test(f.message), f.message);
  });
}

test('messages carry the values a user needs', async () => {
  const message = (marked: string, ctx: ValidationContext = {}) => checkManifestText(unmark(marked).text, ctx)[0]?.message ?? '';
  assert.match(message(CASES.find((c) => c.name === 'a misspelled model key')!.text), /did you mean `versions`\?/);
  assert.match(message(`${CHURN}serving:\n  endpoints:\n    e: { model: churn, traffic: { "1": 70, "2": 20 } }\n`), /sums to 90/);
  const gate = CASES.find((c) => c.name === 'a gate the run fails (editor: warning)')!;
  const failed = checkManifestText(unmark(gate.text).text, { runs: lookup(gate.runs!) });
  assert.equal(failed[0].severity, 'warning');
  assert.match(failed[0].message, /`accuracy` is 0\.81 .*needs ≥ 0\.85/);
  const zipmap = CASES.find((c) => c.name === 'a ZipMap output')!;
  const ctx = await workspaceFor(zipmap, unmark(zipmap.text).text);
  assert.match(message(zipmap.text, ctx), /`output_probability` is not a tensor.*only `output_label`.*\{'zipmap': False\}/);
  const mismatch = CASES.find((c) => c.name === 'a mirror with different inputs')!;
  const mctx = await workspaceFor(mismatch, unmark(mismatch.text).text);
  const m = checkManifestText(unmark(mismatch.text).text, mctx).find((f) => f.code === 'onnx-signature-mismatch')!;
  assert.match(m.message, /`float_input` of "1" is missing from "2"/);
});

const SCHEMA_CODES = new Set(['wrong-type', 'missing-key', 'unknown-key', 'invalid-value', 'out-of-range']);

/** ajv, the reference JSON Schema validator, over our schema; undefined when it is not installed. */
function referenceValidator(): ((data: unknown) => boolean) | undefined {
  try {
    // ajv comes with the packaging tools, not as a dependency of ours: used only to cross-check here.
    const Ajv = (require('ajv') as { default: new (options: object) => { compile: (schema: object) => (data: unknown) => boolean } }).default;
    return new Ajv({ strict: false }).compile(JSON.parse(readFileSync(join(REPO, 'schemas', 'mlops.schema.json'), 'utf8')) as object);
  } catch {
    return undefined;
  }
}

test('the schema check agrees with a reference JSON Schema validator (ajv) on every table manifest', (t) => {
  const ajv = referenceValidator();
  if (!ajv) return t.skip('ajv is not installed');
  for (const c of CASES) {
    const { text } = unmark(c.text);
    const parsed = parseManifest(text);
    if (parsed.document?.errors.length) continue;
    const ours = validateManifest(parsed).filter((f) => SCHEMA_CODES.has(f.code));
    assert.equal(ajv(parsed.document?.toJS()), ours.length === 0, `${c.name}: ours ${ours.map(show).join(', ')}`);
  }
});

test('quick fixes: suggestions travel as replacements', () => {
  const parsed = parseManifest('version: 1\nmodels:\n  m:\n    verisons: {}\n    task: regresion\nserving:\n  port: "8080"\n');
  const replacements = validateManifest(parsed).map((f) => [f.code, f.data?.replacement]);
  assert.deepEqual(replacements, [
    ['unknown-key', 'versions'],
    ['invalid-value', 'regression'],
    ['wrong-type', '8080'],
  ]);
});

test('the example manifest is clean as text', () => {
  assert.deepEqual(checkManifestText(readFileSync(join(REPO, 'examples', 'churn', 'mlops.yaml'), 'utf8')), []);
});

// --- fuzzing ------------------------------------------------------------------------------------

function assertInside(text: string, findings: Finding[], label: string): void {
  const lines = text.split(/\r?\n/);
  for (const f of findings) {
    const { start, end } = f.range;
    const ok =
      start.line >= 0 &&
      start.character >= 0 &&
      end.line < lines.length &&
      start.line <= end.line &&
      (start.line < end.line || start.character < end.character) &&
      start.character <= lines[start.line].length &&
      end.character <= lines[end.line].length + 1;
    assert.ok(ok, `${label}: ${show(f)} is outside the document or empty (${JSON.stringify(text.slice(0, 80))})`);
  }
}

const FUZZ_RUNS = lookup({ r1: { metrics: { accuracy: 0.7, f1_score: 0.4 } } });

test('fuzz: every prefix of the example validates without throwing, ranges inside the document', () => {
  const manifestPath = join(REPO, 'examples', 'churn', 'mlops.yaml');
  const text = readFileSync(manifestPath, 'utf8').replace('"1": { path: models/churn-v1.onnx }', '"1": { path: models/churn-v1.onnx, run: r1 }');
  const ctx: ValidationContext = { manifestPath, workspaceRoot: dirname(manifestPath), runs: FUZZ_RUNS, gates: 'enforce' };
  for (let i = 0; i <= text.length; i++) assertInside(text.slice(0, i), checkManifestText(text.slice(0, i), ctx), `prefix ${i}`);
});

test('fuzz: random edits of the example never throw, and the schema verdict matches ajv', () => {
  const manifestPath = join(REPO, 'examples', 'churn', 'mlops.yaml');
  const original = readFileSync(manifestPath, 'utf8');
  const ctx: ValidationContext = { manifestPath, workspaceRoot: dirname(manifestPath), runs: FUZZ_RUNS };
  const ajv = referenceValidator();
  const alphabet = ' \n:{}[],"\'-#&*!|>?%@`0123456789abcxyz._/\t~';
  let seed = 7;
  const next = (n: number) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n);
  for (let round = 0; round < 400; round++) {
    let text = original;
    for (let edits = 1 + next(4); edits > 0; edits--) {
      const at = next(text.length + 1);
      const op = next(3);
      if (op === 0) text = text.slice(0, at) + text.slice(at + 1 + next(12));
      else if (op === 1) text = text.slice(0, at) + alphabet[next(alphabet.length)] + text.slice(at);
      else text = text.slice(0, at) + text.slice(next(text.length + 1)).slice(0, next(40)) + text.slice(at); // paste a fragment
    }
    assertInside(text, checkManifestText(text, ctx), `round ${round}`);
    const parsed = parseManifest(text);
    if (!ajv || !parsed.document || parsed.document.errors.length > 0) continue;
    const ours = validateManifest(parsed).filter((f) => SCHEMA_CODES.has(f.code));
    // An empty key (`: x`) is a finding of ours; JSON has no such key and ajv sees "".
    if (ours.some((f) => /^A key in .* is empty/.test(f.message))) continue;
    assert.equal(ajv(parsed.document.toJS()), ours.length === 0, `round ${round}: ${ours.map(show).join(', ')}\n${text}`);
  }
});

// --- timing ----------------------------------------------------------------------------------

test('timing: validation of a 2,000-line manifest with 200 models (median, printed)', (t) => {
  const text = largeManifest();
  const runs = new Map(Array.from({ length: 400 }, (_, i) => [`run-${i >> 1}-${i % 2 ? 'b' : 'a'}`, { name: '', params: {}, metrics: { accuracy: 0.85 } }]));
  const ctx: ValidationContext = { runs: { get: (id) => runs.get(id), metricNames: () => ['accuracy'] } };
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1].toFixed(1);
  const parseTimes: number[] = [];
  let parsed = parseManifest(text);
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    parsed = parseManifest(text);
    parseTimes.push(performance.now() - t0);
  }
  assert.deepEqual(validateManifest(parsed, ctx), []);
  for (let i = 0; i < 10; i++) validateManifest(parsed, ctx); // warm up the JIT, as in a long-running server
  const times: number[] = [];
  const cpu = process.cpuUsage();
  for (let i = 0; i < 25; i++) {
    const t0 = performance.now();
    validateManifest(parsed, ctx);
    times.push(performance.now() - t0);
  }
  const { user, system } = process.cpuUsage(cpu);
  t.diagnostic(
    `${text.split('\n').length - 1} lines, 200 models: validation median ${median(times)} ms (CPU ${((user + system) / 1000 / times.length).toFixed(1)} ms per run); ` +
      `the YAML parse before it, median ${median(parseTimes)} ms`,
  );
});
