import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseDocument } from 'yaml';
import type { WorkflowTemplate } from '@actions/workflow-parser';
import { readManifestModel } from '../../server/src/manifest/model';
import { parseManifest } from '../../server/src/manifest/parse';
import { generateWorkflow, isGithubCron, planWorkflowExport, type WorkflowOptions } from '../../server/src/pipeline';
import { parseGithubWorkflow, workflowParser, workflowSchemaErrors } from '../helpers/github-workflow';
import { REPO, tempDir } from '../helpers/paths';
import { seededRandom } from '../../server/src/util/random';

const CHURN_TEXT = readFileSync(join(REPO, 'examples', 'churn', 'mlops.yaml'), 'utf8');
const OPTIONS: WorkflowOptions = { manifestDir: 'examples/churn', manifestFile: 'mlops.yaml', npmDir: '.', nodeMajor: 20, target: 'kserve', branch: 'main' };

const DATA_SECTION = `
data:
  customers:
    path: data/reference.csv
    rows: { min: 100 }
`;

function generate(text: string, options: Partial<WorkflowOptions> = {}) {
  return generateWorkflow(readManifestModel(parseManifest(text)), { ...OPTIONS, ...options });
}

/** The churn manifest with some top-level keys (or monitoring's retrain) removed. */
function churnWithout(...keys: string[]): string {
  const doc = parseDocument(CHURN_TEXT);
  for (const key of keys) doc.deleteIn(key.split('.'));
  return doc.toString();
}

/** Parsed by GitHub's parser and valid against the workflow schema; the converted template. */
async function valid(text: string): Promise<WorkflowTemplate> {
  const { errors, template } = await parseGithubWorkflow(text);
  assert.deepEqual(errors, [], text);
  assert.deepEqual(workflowSchemaErrors(text), []);
  return template;
}

function jobs(template: WorkflowTemplate): Record<string, { needs: string[]; if: string }> {
  return Object.fromEntries(template.jobs.map((j) => [j.id.value, { needs: (j.needs ?? []).map((n) => n.value), if: j.if.expression }]));
}

test('the churn example: train → gate → export → deploy → smoke, on push, pull requests, manual runs and its weekly cron', async () => {
  const { text, jobs: ids, warnings } = generate(CHURN_TEXT);
  assert.deepEqual(warnings, []);
  assert.deepEqual(ids, ['train', 'gate', 'export', 'deploy', 'smoke']);
  const template = await valid(text);
  assert.deepEqual(Object.keys(template.events).sort(), ['pull_request', 'push', 'schedule', 'workflow_dispatch']);
  assert.deepEqual(template.events.push?.branches, ['main']);
  assert.deepEqual(template.events.schedule, [{ cron: '0 3 * * 1' }]);
  const j = jobs(template);
  assert.deepEqual(Object.keys(j), ['train', 'gate', 'export', 'deploy', 'smoke']);
  assert.deepEqual(j.train.needs, []);
  assert.deepEqual(j.gate.needs, ['train']);
  // export, deploy and smoke read train's artifact when it ran: the models the gate passed are the ones shipped and compared.
  assert.deepEqual(j.export.needs, ['train', 'gate']);
  assert.deepEqual(j.deploy.needs, ['train', 'export']);
  assert.deepEqual(j.smoke.needs, ['train', 'deploy']);
  // The parser adds the implicit success() where no status function is written.
  assert.equal(j.train.if, "success() && (github.event_name != 'pull_request')");
  assert.equal(j.gate.if, '!cancelled() && !failure()');
  assert.match(j.export.if, /needs\.gate\.result == 'success' && github\.event_name != 'pull_request'/);
  assert.match(j.deploy.if, /github\.ref == 'refs\/heads\/main'/);

  const job = (id: string) => template.jobs.find((x) => x.id.value === id) as Extract<WorkflowTemplate['jobs'][number], { type: 'job' }>;
  const deploy = job('deploy');
  assert.equal(deploy.environment?.toString(), 'production');
  const uses = (id: string) => job(id).steps.flatMap((s) => ('uses' in s ? [s.uses.value] : []));
  const runs = (id: string) => job(id).steps.flatMap((s) => ('run' in s ? [String(s.run.toString())] : []));
  assert.deepEqual(uses('train'), ['actions/checkout@v4', 'actions/setup-node@v4', 'actions/upload-artifact@v4']);
  assert.deepEqual(runs('train'), ['npm ci', 'npx mlops train .']);
  assert.ok(runs('gate').includes('npx mlops check examples/churn --format github'));
  assert.ok(uses('export').includes('actions/upload-artifact@v4'));
  for (const id of ['gate', 'export', 'deploy', 'smoke']) assert.ok(uses(id).includes('actions/download-artifact@v4'), `${id} uses what train produced`);
  assert.ok(uses('deploy').includes('actions/download-artifact@v4'));
  assert.match(runs('deploy').join('\n'), /kubectl apply -f "\$f"/);
  assert.match(runs('smoke').join('\n'), /npx mlops smoke "\$MLOPS_SMOKE_URL" examples\/churn --model churn --protocol v2 --format github/);
  assert.match(text, /MLOPS_SMOKE_URL: \$\{\{ vars\.MLOPS_SMOKE_URL \}\}/);
  assert.match(text, /node-version: "20"\n {10}cache: npm/);
});

test('with data: a validate-data job first, skipped on the schedule; the gate reads data only when it did not run', async () => {
  const { text, jobs: ids } = generate(CHURN_TEXT + DATA_SECTION);
  assert.deepEqual(ids, ['validate-data', 'train', 'gate', 'export', 'deploy', 'smoke']);
  const j = jobs(await valid(text));
  assert.equal(j['validate-data'].if, "success() && (github.event_name != 'schedule')");
  assert.deepEqual(j.train.needs, ['validate-data']);
  assert.match(j.train.if, /!cancelled\(\) && !failure\(\) && github\.event_name != 'pull_request'/);
  assert.deepEqual(j.gate.needs, ['validate-data', 'train']);
  assert.match(text, /npx mlops validate examples\/churn --format github/);
  assert.match(text, /npx mlops check examples\/churn --format github \$\{\{ needs\.validate-data\.result == 'success' && '--no-data' \|\| '' \}\}/);
});

test('no serving: no export, deploy or smoke; no retrain: no train and no schedule; still valid', async () => {
  const noServing = generate(churnWithout('serving', 'experiments'));
  assert.deepEqual(noServing.jobs, ['train', 'gate']);
  assert.deepEqual(Object.keys(jobs(await valid(noServing.text))), ['train', 'gate']);
  assert.doesNotMatch(noServing.text, /kubectl|mlops-export/);

  const noRetrain = generate(churnWithout('monitoring.churn.retrain') + DATA_SECTION);
  assert.deepEqual(noRetrain.jobs, ['validate-data', 'gate', 'export', 'deploy', 'smoke']);
  const template = await valid(noRetrain.text);
  assert.equal(template.events.schedule, undefined);
  const j = jobs(template);
  assert.deepEqual(j.gate.needs, ['validate-data']);
  assert.deepEqual(j.deploy.needs, ['export']);
  assert.doesNotMatch(noRetrain.text, /mlops-trained|needs\.train/);

  const bare = generate('version: 1\nmodels:\n  m:\n    versions:\n      "1": { path: m.onnx }\n', { manifestDir: '.' });
  assert.deepEqual(bare.jobs, ['gate']);
  const only = jobs(await valid(bare.text));
  assert.deepEqual(only, { gate: { needs: [], if: 'success()' } });
  assert.match(bare.text, /npx mlops check \. --format github\n/);
});

test('the same manifest gives the same bytes', () => {
  const a = generate(CHURN_TEXT + DATA_SECTION).text;
  assert.equal(generate(CHURN_TEXT + DATA_SECTION).text, a);
  assert.equal(generateWorkflow(readManifestModel(parseManifest(CHURN_TEXT + DATA_SECTION)), { ...OPTIONS }).text, a);
});

function monitoring(...retrains: [model: string, retrain: string][]): string {
  return `version: 1\nmonitoring:\n${retrains.map(([m, r]) => `  ${m}:\n    reference: ${m}.csv\n    retrain: ${r}\n`).join('')}`;
}

test('schedules: daily, weekly and monthly as cron; a zone as timezone; one entry per distinct schedule', async () => {
  const named = generate(
    monitoring(['a', '{ command: make a, schedule: daily }'], ['b', '{ command: make b, schedule: weekly }'], ['c', '{ command: make c, schedule: monthly }']),
  );
  assert.deepEqual(named.warnings, []);
  assert.deepEqual((await valid(named.text)).events.schedule, [{ cron: '0 0 * * *' }, { cron: '0 0 * * 1' }, { cron: '0 0 1 * *' }]);
  // Each retrain step runs on its own schedule (and on pushes), not on the others'.
  assert.match(named.text, /- name: Retrain b\n {8}if: github\.event_name != 'schedule' \|\| github\.event\.schedule == '0 0 \* \* 1'/);

  const zoned = generate(
    monitoring(
      ['a', '{ command: make a, schedule: "30 6 * * 1-5", timezone: Europe/Berlin }'],
      ['b', '{ command: make b, schedule: "30 6 * * 1-5", timezone: Europe/Berlin }'],
      ['c', '{ command: make c, schedule: "30 6 * * 1-5", timezone: UTC }'],
      ['d', '{ command: make d }'],
    ),
  );
  const template = await valid(zoned.text);
  assert.deepEqual(template.events.schedule, [{ cron: '30 6 * * 1-5', timezone: 'Europe/Berlin' }, { cron: '30 6 * * 1-5' }]);
  assert.match(zoned.text, /# retrain a, b \(Europe\/Berlin time\)/);
  assert.match(zoned.text, /- name: Retrain d\n {8}if: github\.event_name != 'schedule'\n/);

  const bad = generate(monitoring(['a', '{ command: make a, schedule: "0 25 * * *" }'], ['b', '{ command: make b, schedule: hourly }'], ['c', '{ command: make c, schedule: daily, timezone: Mars/Olympus }']));
  assert.equal(bad.warnings.length, 3);
  assert.match(bad.warnings[0], /monitoring\.a\.retrain\.schedule: "0 25 \* \* \*" is not/);
  assert.match(bad.warnings[2], /"Mars\/Olympus" is not an IANA time zone/);
  assert.equal((await valid(bad.text)).events.schedule, undefined);
});

test('the cron check agrees with GitHub parser\'s', async () => {
  const { isValidCron } = await workflowParser();
  const cases = ['0 3 * * 1', '*/15 * * * *', '0 0 1 jan,jul *', '0 9-17/2 * * mon-fri', '0 0 * * 7', '60 * * * *', '0 0 0 * *', '0 0 * * fri-mon', '1,,2 * * * *', '0 0 * *', '*/0 * * * *', '5-1 * * * *', '0 0 L * *', 'a b c d e'];
  assert.deepEqual(
    cases.map((c) => [c, isGithubCron(c)]),
    cases.map((c) => [c, isValidCron(c)]),
  );
  assert.ok(cases.some((c) => !isGithubCron(c)) && cases.some((c) => isGithubCron(c)));
});

test('fuzz: on 3,000 generated expressions the schedule parser and GitHub\'s cron check agree, and nothing throws', async () => {
  const { isValidCron } = await workflowParser();
  const random = seededRandom(21);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)];
  const ranges = [[0, 59], [0, 23], [1, 31], [1, 12], [0, 6]] as const;
  const names = [[], [], [], ['jan', 'jun', 'dec', 'JAN', 'foo'], ['mon', 'fri', 'sun', 'SAT', 'xyz']] as const;
  const atom = (f: number): string => {
    const [lo, hi] = ranges[f];
    const r = random();
    // Mostly in range, sometimes just outside it, sometimes a name.
    if (r < 0.15 && names[f].length > 0) return pick(names[f]);
    if (r < 0.25) return String(pick([lo - 1, hi + 1, hi + 7, 7]));
    return String(lo + Math.floor(random() * (hi - lo + 1)));
  };
  const field = (f: number): string => {
    const r = random();
    if (r < 0.2) return '*';
    if (r < 0.35) return `*/${pick(['0', '1', '5', '15', '60', '-1'])}`;
    if (r < 0.55) return `${atom(f)}-${atom(f)}`;
    if (r < 0.65) return `${atom(f)}-${atom(f)}/${pick(['2', '0', '3'])}`;
    if (r < 0.8) return `${atom(f)},${atom(f)}${random() < 0.3 ? `,${atom(f)}` : ''}`;
    if (r < 0.83) return pick(['L', '?', '1W', '5#2', ',', '1,,2', '1-', '-5', '1-2-3']);
    return atom(f);
  };
  let accepted = 0;
  const disagree: string[] = [];
  for (let i = 0; i < 3000; i++) {
    const cron = [0, 1, 2, 3, 4].map(field).join(' ');
    const ours = isGithubCron(cron);
    if (ours !== isValidCron(cron)) disagree.push(`${cron} ours=${ours}`);
    if (ours) accepted++;
  }
  assert.deepEqual(disagree.slice(0, 40), []);
  // Both sides of the grammar were exercised.
  assert.ok(accepted > 100 && accepted < 2900, `${accepted} accepted`);
});

test('negative controls: a needs to a missing job and a bad cron fail the parser; a bad schedule entry and a job without runs-on fail the schema', async () => {
  const good = generate(CHURN_TEXT).text;
  const missingNeed = good.replace('    needs: train\n', '    needs: training\n');
  assert.notEqual(missingNeed, good);
  assert.ok((await parseGithubWorkflow(missingNeed)).errors.some((e) => /training/.test(e)));

  const badCron = good.replace('- cron: "0 3 * * 1"', '- cron: "0 3 * * 8"');
  assert.notEqual(badCron, good);
  assert.ok((await parseGithubWorkflow(badCron)).errors.some((e) => /cron/i.test(e)));

  const badKey = good.replace('- cron: "0 3 * * 1"', '- cron: "0 3 * * 1"\n      tz: Europe/Berlin');
  assert.ok(workflowSchemaErrors(badKey).some((e) => /schedule\/0 must NOT have additional properties/.test(e)));
  assert.ok((await parseGithubWorkflow(badKey)).errors.length > 0);

  const noRunner = good.replace(/( {2}smoke:\n(?: {4}.*\n)*?) {4}runs-on: ubuntu-latest\n/, '$1');
  assert.notEqual(noRunner, good);
  assert.ok(workflowSchemaErrors(noRunner).some((e) => /\/jobs\/smoke/.test(e)));
});

/** A repository (a .git folder) with a manifest in app/. */
function repo(manifest: string, files: Record<string, string> = {}): { root: string; app: string; workflow: string } {
  const root = tempDir('pipeline-repo');
  mkdirSync(join(root, '.git'));
  mkdirSync(join(root, 'app'));
  writeFileSync(join(root, 'app', 'mlops.yaml'), manifest);
  writeFileSync(join(root, 'package.json'), JSON.stringify({ name: 'app', devDependencies: { 'mlops-workbench': '^0.1.0' } }));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(root, name), text);
  return { root, app: join(root, 'app'), workflow: join(root, '.github', 'workflows', 'mlops.yml') };
}

function write(path: string, text: string): void {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, text);
}

test('the plan: .github/workflows/mlops.yml at the repository root, the folder relative to it, Node from .nvmrc or engines', () => {
  const r = repo(CHURN_TEXT, { '.nvmrc': 'v22.11.0\n' });
  const plan = planWorkflowExport(r.app);
  assert.equal(plan.path, r.workflow);
  assert.equal(plan.existing, undefined);
  assert.equal(plan.conflict, undefined);
  assert.deepEqual(plan.warnings, []);
  assert.deepEqual(plan.options, { manifestDir: 'app', manifestFile: 'mlops.yaml', npmDir: '.', nodeMajor: 22, target: 'kserve', branch: 'main' });
  assert.match(plan.text, /node-version: "22"/);
  assert.match(plan.text, /npx mlops check app --format github/);

  const engines = repo(CHURN_TEXT, { 'package.json': JSON.stringify({ devDependencies: { 'mlops-workbench': '*' }, engines: { node: '>=18.17 <23' } }) });
  assert.equal(planWorkflowExport(engines.app, { target: 'seldon' }).options.nodeMajor, 18);
  assert.match(planWorkflowExport(engines.app, { target: 'seldon' }).text, /npx mlops export seldon app --out mlops-export/);

  const bare = repo(CHURN_TEXT, { 'package.json': '{"name": "x"}' });
  const p = planWorkflowExport(bare.app);
  assert.equal(p.options.nodeMajor, 20);
  assert.match(p.warnings.join('\n'), /does not list mlops-workbench/);
});

test('re-export keeps the lines outside the blocks (a step added, the deploy step completed) and rewrites the blocks', async () => {
  const r = repo(churnWithout('monitoring.churn.retrain.schedule'));
  const first = planWorkflowExport(r.app);
  write(r.workflow, first.text);
  assert.equal(planWorkflowExport(r.app).unchanged, true);

  // The user's own step after the gate block, their deploy command, and a line at the top.
  const mine = '      - name: Notify\n        run: echo gate passed\n';
  const edited = `# my team's pipeline\n${first.text}`
    .replace(/( {2}# <<< mlops-workbench generated: job:gate [0-9a-f]{12}\n)/, `$1${mine}`)
    .replace(/ {10}# The stable step first;[^]*?done\n/, '          kubectl apply -f mlops-export/ --server-side\n');
  assert.notEqual(edited, first.text);
  write(r.workflow, edited);
  assert.equal(planWorkflowExport(r.app).unchanged, true);

  // The manifest changes: data: and a schedule appear.
  writeFileSync(join(r.app, 'mlops.yaml'), CHURN_TEXT + DATA_SECTION);
  const again = planWorkflowExport(r.app);
  assert.equal(again.conflict, undefined);
  assert.equal(again.existing, edited);
  assert.deepEqual(again.jobs, ['validate-data', 'train', 'gate', 'export', 'deploy', 'smoke']);
  assert.ok(again.text.startsWith("# my team's pipeline\n"));
  assert.ok(again.text.includes(mine));
  assert.match(again.text, /kubectl apply -f mlops-export\/ --server-side\n/);
  assert.doesNotMatch(again.text, /The stable step first/);
  assert.match(again.text, /- cron: "0 3 \* \* 1"/);
  const template = await valid(again.text);
  const gate = template.jobs.find((j) => j.id.value === 'gate') as Extract<WorkflowTemplate['jobs'][number], { type: 'job' }>;
  assert.equal(gate.steps.at(-1)?.name?.toString(), 'Notify');
  // And once more: nothing left to change.
  write(r.workflow, again.text);
  assert.equal(planWorkflowExport(r.app).unchanged, true);
});

test('an edit inside a block, lines whose block is gone or a hand-written file: a conflict, unless forced', () => {
  const r = repo(CHURN_TEXT);
  const first = planWorkflowExport(r.app).text;

  write(r.workflow, first.replace('          node-version: "20"\n', '          node-version: "18"\n'));
  const inside = planWorkflowExport(r.app);
  assert.match(inside.conflict ?? '', /edits inside the generated block job:train would be replaced/);
  assert.equal(inside.text, first);
  const forced = planWorkflowExport(r.app, { force: true });
  assert.equal(forced.conflict, undefined);
  assert.equal(forced.text, first);

  // A step after the export block, then serving leaves the manifest: the export job and its lines go.
  write(r.workflow, first.replace(/( {2}# <<< mlops-workbench generated: job:export [0-9a-f]{12}\n)/, '$1      - run: echo exported\n'));
  writeFileSync(join(r.app, 'mlops.yaml'), churnWithout('serving', 'experiments'));
  const orphaned = planWorkflowExport(r.app);
  assert.match(orphaned.conflict ?? '', /the lines after block job:export \(1 non-blank\) have no place/);
  assert.doesNotMatch(orphaned.text, /echo exported|job:export/);
  assert.equal(planWorkflowExport(r.app, { force: true }).conflict, undefined);

  write(r.workflow, 'on: push\njobs: {}\n');
  assert.match(planWorkflowExport(r.app).conflict ?? '', /has no generated blocks/);
  write(r.workflow, first.replace(/# <<< mlops-workbench generated: job:gate [0-9a-f]{12}\n/, ''));
  assert.match(planWorkflowExport(r.app).conflict ?? '', /opens block "job:export" inside block "job:gate"/);
});

test('examples/github-actions/mlops.yml is the churn example\'s export, its own header kept', async () => {
  const example = join(REPO, 'examples', 'github-actions', 'mlops.yml');
  const plan = planWorkflowExport(join(REPO, 'examples', 'churn'), { out: example });
  assert.equal(plan.conflict, undefined);
  assert.equal(plan.unchanged, true, 'regenerate it: mlops export github-actions examples/churn --out examples/github-actions/mlops.yml');
  assert.match(plan.existing ?? '', /^# The churn example's pipeline, written by `mlops export github-actions/);
  await valid(plan.text);
});
