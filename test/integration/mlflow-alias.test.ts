// Promotion into MLflow registries: `mlops promote … --mlflow-alias` and `mlops rollback --mlflow-alias`
// against copies of real MLflow stores (an MLflow 3 SQLite database, an MLflow 1.x one without
// aliases, an MLflow 2.4 file store), checked with Python's sqlite3 module and re-read through our
// own tracking readers.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { promoteCommand, rollbackCommand } from '../../server/src/cli/commands/promote';
import { Requests, type AuditEvent, type MlflowAliasChange, type PromotionChoices, type PromotionPlan } from '../../server/src/contract';
import { history } from '../../server/src/promotion/promotion';
import { openStore } from '../../server/src/store/store';
import { readFileStoreRegistry } from '../../server/src/tracking/mlflow-files';
import { readMlflowDatabase } from '../../server/src/tracking/mlflow-sqlite';
import { LspSession } from '../helpers/lsp';
import { SHARED_FIXTURES, tempDir } from '../helpers/paths';

async function cli(command: (args: string[], out: { stdout: (s: string) => void; stderr: (s: string) => void }) => number | Promise<number>, args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await command(args, { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s) });
  return { code, stdout, stderr };
}

/** Rows of a query, read by Python's sqlite3 module (not by our code). */
function python(db: string, sql: string): unknown[][] {
  const script = 'import json, sqlite3, sys\nc = sqlite3.connect(sys.argv[1])\nprint(json.dumps([list(r) for r in c.execute(sys.argv[2])]))';
  return JSON.parse(execFileSync('python3', ['-c', script, db, sql], { encoding: 'utf8' }));
}

const manifest = (tracking: string, model: string, versions: string[]) => `version: 1
tracking: [${tracking}]
models:
  ${model}:
    versions:
${versions.map((v) => `      "${v}": { path: models/v${v}.onnx }`).join('\n')}
    aliases: { production: "1" }
`;

test('MLflow 3 SQLite registry: aliases set after a backup, visible to Python and to our reader; rollback restores them', async () => {
  const dir = tempDir('mlflow-alias-db');
  const db = join(dir, 'mlflow.db');
  copyFileSync(join(SHARED_FIXTURES, 'mlflow-db', 'mlflow-3.x-2026.db'), db);
  writeFileSync(join(dir, 'mlops.yaml'), manifest('mlflow.db', 'ChurnPredictionModel', ['1', '2', '3']));
  const aliases = () => python(db, 'SELECT alias, version, name, workspace FROM registered_model_aliases ORDER BY alias');
  assert.deepEqual(aliases(), []);

  const champion = await cli(promoteCommand, ['ChurnPredictionModel', '2', dir, '--alias', 'champion', '--mlflow-alias']);
  assert.equal(champion.code, 0, champion.stdout + champion.stderr);
  assert.deepEqual(aliases(), [['champion', 2, 'ChurnPredictionModel', 'default']]);
  assert.match(champion.stdout, /MLflow ChurnPredictionModel: alias champion → version 2 in .*mlflow\.db; backup .*mlflow\.db\.bak-\d{8}T\d{6}Z/);
  // The backup is a complete database as it was before: no alias, every run.
  const backups = readdirSync(dir).filter((f) => /^mlflow\.db\.bak-\d{8}T\d{6}Z$/.test(f));
  assert.equal(backups.length, 1);
  const backup = join(dir, backups[0]);
  assert.deepEqual(python(backup, 'PRAGMA integrity_check'), [['ok']]);
  assert.deepEqual(python(backup, 'SELECT count(*) FROM registered_model_aliases'), [[0]]);
  assert.deepEqual(python(backup, 'SELECT count(*) FROM runs'), python(db, 'SELECT count(*) FROM runs'));

  const production = await cli(promoteCommand, ['ChurnPredictionModel', '3', dir, '--mlflow-alias']);
  assert.equal(production.code, 0, production.stdout + production.stderr);
  assert.deepEqual(aliases(), [
    ['champion', 2, 'ChurnPredictionModel', 'default'],
    ['production', 3, 'ChurnPredictionModel', 'default'],
  ]);
  // Our reader sees them as MLflow does: on the registered model and on each version.
  const model = readMlflowDatabase(db).registeredModels.find((m) => m.name === 'ChurnPredictionModel')!;
  assert.deepEqual(model.aliases, { champion: '2', production: '3' });
  assert.deepEqual(model.versions.map((v) => [v.version, v.aliases]), [['1', []], ['2', ['champion']], ['3', ['production']]]);

  // The audit log keeps what was changed in MLflow; a rollback puts the registry back as well.
  const store = openStore(dir);
  const [last] = history(store, 'ChurnPredictionModel');
  store.close();
  assert.deepEqual(last.evidence.mlflow?.map((c) => [c.alias, c.version, c.previous]), [['production', '3', null]]);
  const back = await cli(rollbackCommand, ['ChurnPredictionModel', dir, '--mlflow-alias']);
  assert.equal(back.code, 0, back.stdout + back.stderr);
  assert.deepEqual(aliases(), [
    ['champion', 2, 'ChurnPredictionModel', 'default'],
    ['production', 1, 'ChurnPredictionModel', 'default'],
  ]);
  assert.match(readFileSync(join(dir, 'mlops.yaml'), 'utf8'), /production: "1"/);
});

test('refused before anything changes: a version the registry lacks, a database older than aliases, no registry at all', async () => {
  const dir = tempDir('mlflow-alias-refused');
  copyFileSync(join(SHARED_FIXTURES, 'mlflow-db', 'mlflow-3.x-2026.db'), join(dir, 'mlflow.db'));
  writeFileSync(join(dir, 'mlops.yaml'), manifest('mlflow.db', 'ChurnPredictionModel', ['1', '9']));
  const before = readFileSync(join(dir, 'mlops.yaml'), 'utf8');
  const missing = await cli(promoteCommand, ['ChurnPredictionModel', '9', dir, '--mlflow-alias']);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /registered model "ChurnPredictionModel" in .*mlflow\.db has no version 9/);
  assert.equal(readFileSync(join(dir, 'mlops.yaml'), 'utf8'), before);
  assert.deepEqual(readdirSync(dir).filter((f) => f.includes('.bak-')), []);

  const old = tempDir('mlflow-alias-old');
  copyFileSync(join(SHARED_FIXTURES, 'mlflow-db', 'mlflow-1.x-2022.db'), join(old, 'mlflow.db'));
  writeFileSync(join(old, 'mlops.yaml'), manifest('mlflow.db', 'nyc-taxi-regressor', ['1', '2']));
  const refused = await cli(promoteCommand, ['nyc-taxi-regressor', '2', old, '--mlflow-alias']);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /predates MLflow's model aliases/);
  assert.match(readFileSync(join(old, 'mlops.yaml'), 'utf8'), /production: "1"/);

  const none = await cli(promoteCommand, ['other', '2', (writeFileSync(join(old, 'mlops.yaml'), manifest('mlflow.db', 'other', ['1', '2'])), old), '--mlflow-alias']);
  assert.equal(none.code, 1);
  assert.match(none.stderr, /no MLflow registry of this workspace .* has a registered model "other"/);
});

test('MLflow 2.4 file store: aliases/<alias> written as MLflow writes it, the folder backed up, re-read by our reader', async () => {
  const dir = tempDir('mlflow-alias-files');
  cpSync(join(SHARED_FIXTURES, 'mlruns', 'mlflow-2.4-registry', 'mlruns'), join(dir, 'mlruns'), { recursive: true });
  writeFileSync(join(dir, 'mlops.yaml'), manifest('mlruns/', 'my-sklearn-model', ['1', '2']));
  const modelDir = join(dir, 'mlruns', 'models', 'my-sklearn-model');
  assert.equal(existsSync(join(modelDir, 'aliases')), false);

  const promoted = await cli(promoteCommand, ['my-sklearn-model', '2', dir, '--alias', 'champion', '--mlflow-alias']);
  assert.equal(promoted.code, 0, promoted.stdout + promoted.stderr);
  assert.equal(readFileSync(join(modelDir, 'aliases', 'champion'), 'utf8'), '2');
  const backups = readdirSync(modelDir).filter((f) => /^aliases\.bak-\d{8}T\d{6}Z$/.test(f));
  assert.equal(backups.length, 1);
  assert.deepEqual(readdirSync(join(modelDir, backups[0])), [], 'there were no aliases before');

  const again = await cli(promoteCommand, ['my-sklearn-model', '2', dir, '--mlflow-alias']);
  assert.equal(again.code, 0, again.stderr);
  const registry = readFileStoreRegistry(join(dir, 'mlruns'));
  assert.deepEqual(registry.issues, []);
  const model = registry.models.find((m) => m.name === 'my-sklearn-model')!;
  assert.deepEqual(model.aliases, { champion: '2', production: '2' });
  assert.deepEqual(model.versions.map((v) => [v.version, v.stage, v.aliases]), [['1', 'Production', []], ['2', 'Staging', ['champion', 'production']]]);

  // Rolling the production promotion back points MLflow's production at version 1 again.
  assert.equal((await cli(rollbackCommand, ['my-sklearn-model', dir, '--mlflow-alias'])).code, 0);
  assert.equal(readFileSync(join(modelDir, 'aliases', 'production'), 'utf8'), '1');
});

test('over LSP: the pickers learn where the registry is, and setMlflowAliases sets what the plan moves', async () => {
  const dir = tempDir('mlflow-alias-lsp');
  copyFileSync(join(SHARED_FIXTURES, 'mlflow-db', 'mlflow-3.x-2026.db'), join(dir, 'mlflow.db'));
  const file = join(dir, 'mlops.yaml');
  writeFileSync(file, manifest('mlflow.db', 'ChurnPredictionModel', ['1', '2']));
  const lsp = new LspSession();
  try {
    await lsp.initialize(dir);
    const choices = await lsp.connection.sendRequest<PromotionChoices>(Requests.promotionChoices.method, {});
    assert.equal(choices.manifests[0].models[0].mlflowRegistry, join(dir, 'mlflow.db'));
    const plan = await lsp.connection.sendRequest<PromotionPlan>(Requests.planPromotion.method, { manifest: file, model: 'ChurnPredictionModel', version: '2' });
    const changes = await lsp.connection.sendRequest<MlflowAliasChange[]>(Requests.setMlflowAliases.method, { plan });
    assert.deepEqual(changes.map((c) => [c.alias, c.version, c.previous, c.kind]), [['production', '2', null, 'mlflow-sqlite']]);
    assert.deepEqual(python(join(dir, 'mlflow.db'), 'SELECT alias, version FROM registered_model_aliases'), [['production', 2]]);
    const event = await lsp.connection.sendRequest<AuditEvent>(Requests.recordPromotion.method, { plan: { ...plan, evidence: { ...plan.evidence, mlflow: changes } } });
    assert.equal(event.evidence.mlflow?.[0].backup, changes[0].backup);
    assert.ok(existsSync(changes[0].backup));
  } finally {
    await lsp.shutdown();
  }
});
