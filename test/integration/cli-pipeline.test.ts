import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseGithubWorkflow, workflowSchemaErrors } from '../helpers/github-workflow';
import { CLI, REPO, tempDir } from '../helpers/paths';

function mlops(args: string[], cwd = REPO) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, stdout: String(r.stdout), stderr: String(r.stderr) };
}

/** A repository with the churn manifest in app/ and mlops-workbench as a devDependency. */
function repo(): { root: string; workflow: string } {
  const root = tempDir('cli-pipeline');
  mkdirSync(join(root, '.git'));
  mkdirSync(join(root, 'app'));
  writeFileSync(join(root, 'app', 'mlops.yaml'), readFileSync(join(REPO, 'examples', 'churn', 'mlops.yaml')));
  writeFileSync(join(root, 'package.json'), JSON.stringify({ name: 'app', devDependencies: { 'mlops-workbench': '^0.1.0' } }));
  return { root, workflow: join(root, '.github', 'workflows', 'mlops.yml') };
}

test('mlops export github-actions writes .github/workflows/mlops.yml at the repository root; again: unchanged', async () => {
  const r = repo();
  const first = mlops(['export', 'github-actions', 'app'], r.root);
  assert.equal(first.code, 0, first.stderr);
  assert.equal(first.stdout, '.github/workflows/mlops.yml  jobs: train → gate → export → deploy → smoke\n');
  assert.equal(first.stderr, '');
  const text = readFileSync(r.workflow, 'utf8');
  assert.deepEqual((await parseGithubWorkflow(text)).errors, []);
  assert.deepEqual(workflowSchemaErrors(text), []);
  assert.match(text, /npx mlops check app --format github/);
  // The workflow is named like a manifest, but it is not one: mlops check reads app/mlops.yaml alone.
  const check = mlops(['check', '.', '--format', 'json', '--no-data'], r.root);
  const checked = new Set((JSON.parse(check.stdout) as { file: string }[]).map((f) => f.file));
  assert.equal([...checked].some((f) => f.includes('.github')), false, check.stdout);

  const again = mlops(['export', 'github-actions', 'app', '--json'], r.root);
  assert.equal(again.code, 0, again.stderr);
  const report = JSON.parse(again.stdout) as { path: string; written: boolean; unchanged: boolean; jobs: string[]; text: string };
  assert.deepEqual([report.path, report.written, report.unchanged, report.text], [r.workflow, false, true, text]);

  // --out - prints what a first export writes; the target changes the export job.
  const printed = mlops(['export', 'github-actions', join(r.root, 'app'), '--out', '-', '--target', 'seldon']);
  assert.equal(printed.code, 0, printed.stderr);
  assert.match(printed.stdout, /npx mlops export seldon app --out mlops-export/);
  assert.equal(readFileSync(r.workflow, 'utf8'), text);
});

test('an edit inside a generated block: exit 1 and nothing written; --force replaces it', () => {
  const r = repo();
  assert.equal(mlops(['export', 'github-actions', 'app'], r.root).code, 0);
  const text = readFileSync(r.workflow, 'utf8');
  const edited = text.replace('runs-on: ubuntu-latest', 'runs-on: self-hosted');
  writeFileSync(r.workflow, edited);

  const refused = mlops(['export', 'github-actions', 'app'], r.root);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /not written: .*edits inside the generated block job:train would be replaced; --force writes it anyway/);
  assert.equal(readFileSync(r.workflow, 'utf8'), edited);

  const json = mlops(['export', 'github-actions', 'app', '--json'], r.root);
  assert.equal(json.code, 1);
  assert.match((JSON.parse(json.stdout) as { conflict: string }).conflict, /job:train/);

  const forced = mlops(['export', 'github-actions', 'app', '--force'], r.root);
  assert.equal(forced.code, 0, forced.stderr);
  assert.equal(readFileSync(r.workflow, 'utf8'), text);
});

test('usage: options of the other targets, an unknown --target, a missing manifest', () => {
  const r = repo();
  assert.equal(mlops(['export', 'github-actions', 'app', '--namespace', 'ml'], r.root).code, 2);
  assert.match(mlops(['export', 'github-actions', 'app', '--target', 'helm'], r.root).stderr, /--target must be one of kserve, seldon/);
  assert.equal(mlops(['export', 'kserve', 'app', '--force'], r.root).code, 2);
  assert.equal(mlops(['export', 'github-actions', '.'], r.root).code, 2);
  assert.match(mlops(['export', 'github-actions', '--help']).stdout, /Usage: mlops export github-actions/);
  assert.match(mlops(['--help']).stdout, /export github-actions \[folder\]/);
});
