import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_STORAGE_URI, EXPORT_TARGETS, exportManifests, toYaml, type ExportTarget } from '../../export/manifests';
import { MANIFEST_FILE_NAMES } from '../../manifest/parse';
import { deployFindings } from '../../export/faults';
import { DEFAULT_WORKFLOW_PATH, PipelineExportError, planWorkflowExport } from '../../pipeline';
import { loadServingConfig, ServingConfigError } from '../../serving/config';
import { EXIT_FINDINGS, EXIT_OK, UsageError, type Out } from '../usage';

export const EXPORT_HELP = `Usage: mlops export kserve|seldon [folder] [--out DIR] [--storage-uri URI] [--namespace NS]
       mlops export github-actions [folder] [--out FILE] [--target kserve|seldon] [--force] [--json]

Writes Kubernetes manifests for the serving endpoints of folder/mlops.yaml (default: the
current folder):

  kserve   an InferenceService (serving.kserve.io/v1beta1, model format onnx) per endpoint; a
           two-version split becomes the stable service and a second file for the canary step
           (canaryTrafficPercent), to apply once the first is Ready (--out only: on stdout the
           two steps would be applied at once)
  seldon   a Seldon Core v2 Model (mlops.seldon.io/v1alpha1, requirements [onnx]) per version,
           and an Experiment per endpoint with its traffic split as candidate weights and its
           mirror

A deploy: block on an endpoint (over its model's, field by field) sizes what is written:
resources (requests/limits of cpu and memory), replicas (min, max), autoscaling (metric
concurrency, rps, cpu or memory, and target) and storage_uri. KServe gets minReplicas,
maxReplicas, scaleMetric, scaleTarget and the model's resources; a Seldon Model gets replicas
(min, at least 1), minReplicas, maxReplicas and memory (the request, else the limit). Sizes
that cannot hold (min above max, a limit below its request, 1 GB for 1G) stop the export
with the place in mlops.yaml, as mlops check reports them.

Each version's storageUri is <URI>/<model>/<version>; the list of which .onnx file to upload
where (as model.onnx) goes to stderr. What the target cannot express (a mirror on KServe,
sticky routing, CPU and the autoscaling target on Seldon) is left out with a warning. The
output is the same for the same manifest.

Options:
  --out DIR          write one YAML file per resource into DIR (created if missing);
                     without it, one multi-document YAML stream goes to stdout
  --storage-uri URI  where the model files live, for every endpoint (default: each one's
                     deploy.storage_uri, else ${DEFAULT_STORAGE_URI}, a placeholder)
  --namespace NS     set metadata.namespace on every resource

Exit codes: 0 written, 1 the manifest has no usable serving configuration or impossible
deploy settings, 2 bad usage.

github-actions writes the manifest's CI/CD pipeline as a GitHub Actions workflow: see
mlops export github-actions --help.
`;

export const PIPELINE_HELP = `Usage: mlops export github-actions [folder] [--out FILE] [--target kserve|seldon] [--force] [--json]

Writes the GitHub Actions workflow of folder/mlops.yaml (default: the current folder) to
${DEFAULT_WORKFLOW_PATH} under the folder's git repository root (the folder itself outside a
repository). Its jobs, each only when the manifest has what it needs:

  validate-data  mlops validate (the manifest has data:)
  train          each model's monitoring.<model>.retrain.command (on push, manual runs and each
                 retrain.schedule, written as on.schedule cron with its timezone)
  gate           mlops check --format github: schema, ONNX files, every version's gates
  export         mlops export kserve|seldon, uploaded as the artifact mlops-export (serving:)
  deploy         the kubectl apply of those files, yours to complete; only from main, in the
                 environment production
  smoke          mlops smoke against the URL in the repository variable MLOPS_SMOKE_URL

Pushes to main run them all; pull requests validate-data and the gate; the schedule train and
what follows. Node is the major of .nvmrc or package.json engines.node, else 20; the CLI comes
from npm ci (mlops-workbench as a devDependency). Details: docs/pipeline.md.

Re-export rewrites only the blocks between "# >>> mlops-workbench generated" and "# <<<" lines;
lines outside them are yours and are kept where they are. When the file has an edit inside a
block, lines whose block is no longer generated, or no blocks at all, nothing is written
(exit 1) unless --force is given. The output is the same for the same manifest.

Options:
  --out FILE      the workflow file (default ${DEFAULT_WORKFLOW_PATH} at the repository root);
                  --out - prints it, as a first export writes it, to stdout instead
  --target T      what the export job writes: kserve (default) or seldon
  --force         write even when that replaces edits inside blocks
  --json          print {path, written, unchanged, conflict?, jobs, warnings, text}

Exit codes: 0 written or unchanged, 1 not written (conflict) or the manifest does not parse,
2 bad usage.
`;

export async function exportCommand(args: string[], out: Out): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      out: { type: 'string' },
      'storage-uri': { type: 'string' },
      namespace: { type: 'string' },
      target: { type: 'string' },
      force: { type: 'boolean' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [target, folderArg, ...extra] = positionals;
  if (values.help) {
    out.stdout(target === 'github-actions' ? PIPELINE_HELP : EXPORT_HELP);
    return EXIT_OK;
  }
  if (target === 'github-actions') {
    for (const k of ['storage-uri', 'namespace'] as const)
      if (values[k] !== undefined) throw new UsageError(`--${k} is an option of export kserve|seldon; the workflow reads it from vars.MLOPS_${k === 'namespace' ? 'NAMESPACE' : 'STORAGE_URI'}`);
    if (extra.length > 0) throw new UsageError('export github-actions takes at most one folder');
    return pipelineExport(folderArg, values, out);
  }
  for (const k of ['target', 'force', 'json'] as const) if (values[k] !== undefined) throw new UsageError(`--${k} is an option of export github-actions`);
  if (!target) throw new UsageError('export needs a target: kserve, seldon or github-actions');
  if (!(EXPORT_TARGETS as readonly string[]).includes(target))
    throw new UsageError(`export target must be one of ${[...EXPORT_TARGETS, 'github-actions'].join(', ')}, not "${target}"`);
  if (extra.length > 0) throw new UsageError('export takes a target and at most one folder');
  const storageUri = values['storage-uri'];
  if (storageUri !== undefined && !/^[a-z][a-z0-9+.-]*:\/\/\S+$/i.test(storageUri))
    throw new UsageError(`--storage-uri must be a URI such as s3://bucket/prefix, gs://bucket/prefix or pvc://claim/path, not "${storageUri}"`);
  const namespace = values.namespace;
  if (namespace !== undefined && !/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(namespace))
    throw new UsageError(`--namespace must be a Kubernetes namespace name (lower-case letters, digits, '-'), not "${namespace}"`);

  const folder = resolve(folderArg ?? '.');
  if (!statSync(folder, { throwIfNoEntry: false })?.isDirectory()) throw new UsageError(`${folderArg} is not a folder`);
  const manifestPath = MANIFEST_FILE_NAMES.map((n) => join(folder, n)).find((p) => existsSync(p));
  if (!manifestPath) throw new UsageError(`no mlops.yaml in ${folder}: declare models and serving endpoints there first`);

  let config;
  try {
    config = loadServingConfig(manifestPath, folder);
  } catch (error) {
    if (!(error instanceof ServingConfigError)) throw error;
    for (const problem of error.problems) out.stderr(`mlops export: ${problem}\n`);
    return EXIT_FINDINGS;
  }
  // Sizes that cannot be right (min above max, a limit below its request, `1 GB`) would be written as given.
  const faults = deployFindings(manifestPath);
  for (const f of faults) out.stderr(`mlops export: ${f.severity === 'error' ? '' : 'warning: '}${manifestPath}:${f.range.start.line + 1}:${f.range.start.character + 1}: ${f.message}\n`);
  if (faults.some((f) => f.severity === 'error')) return EXIT_FINDINGS;
  const result = exportManifests(config, { target: target as ExportTarget, storageUri, namespace, workspaceRoot: folder });
  for (const warning of result.warnings) out.stderr(`mlops export: warning: ${warning}\n`);
  if (result.files.length === 0) {
    out.stderr('mlops export: nothing to export\n');
    return EXIT_FINDINGS;
  }
  if (values.out !== undefined) {
    const dir = resolve(values.out);
    mkdirSync(dir, { recursive: true });
    for (const file of result.files) {
      writeFileSync(join(dir, file.name), toYaml(file.resources));
      out.stdout(`${join(values.out, file.name)}${file.note ? `  (${file.note})` : ''}\n`);
    }
  } else {
    // One stream is applied at once; a later step of the same resource would overtake the first.
    out.stdout(
      result.files
        .filter((f) => !f.later)
        .map((f) => toYaml(f.resources))
        .join(''),
    );
    for (const f of result.files.filter((f) => f.later))
      out.stderr(`mlops export: left out of the stream: ${f.name}, the next step (${f.note}); write it with --out DIR\n`);
  }
  if (result.placeholder)
    out.stderr(`mlops export: storageUri uses the placeholder ${DEFAULT_STORAGE_URI}; pass --storage-uri or set deploy.storage_uri with your bucket\n`);
  out.stderr('mlops export: upload the model files before applying:\n');
  for (const u of result.uploads) out.stderr(`  ${u.file} -> ${u.uri}\n`);
  return EXIT_OK;
}

async function pipelineExport(folderArg: string | undefined, values: { out?: string; target?: string; force?: boolean; json?: boolean }, out: Out): Promise<number> {
  const target = values.target ?? 'kserve';
  if (!(EXPORT_TARGETS as readonly string[]).includes(target)) throw new UsageError(`--target must be one of ${EXPORT_TARGETS.join(', ')}, not "${target}"`);
  const toStdout = values.out === '-';
  let plan;
  try {
    plan = planWorkflowExport(folderArg ?? '.', { out: toStdout ? undefined : values.out, target: target as ExportTarget, force: values.force === true, fresh: toStdout });
  } catch (error) {
    if (!(error instanceof PipelineExportError)) throw error;
    if (/is not a folder$|^no mlops\.yaml/.test(error.message)) throw new UsageError(error.message);
    out.stderr(`mlops export: ${error.message}\n`);
    return EXIT_FINDINGS;
  }
  for (const w of plan.warnings) out.stderr(`mlops export: warning: ${w}\n`);
  if (toStdout) {
    out.stdout(plan.text);
    return EXIT_OK;
  }
  const shown = relative(process.cwd(), plan.path) || plan.path;
  const written = plan.conflict === undefined && !plan.unchanged;
  if (written) {
    mkdirSync(dirname(plan.path), { recursive: true });
    writeFileSync(plan.path, plan.text);
  }
  if (values.json) {
    const { path, unchanged, conflict, jobs, warnings, text } = plan;
    out.stdout(`${JSON.stringify({ path, written, unchanged, ...(conflict ? { conflict } : {}), jobs, warnings, text }, null, 2)}\n`);
  } else if (plan.conflict) out.stderr(`mlops export: not written: ${plan.conflict}\n`);
  else out.stdout(`${shown}${plan.unchanged ? '  (unchanged)' : ''}  jobs: ${plan.jobs.join(' → ')}\n`);
  return plan.conflict ? EXIT_FINDINGS : EXIT_OK;
}
