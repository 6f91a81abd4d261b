/**
 * What "MLOps: Export Pipeline…" writes, computed without writing: the GitHub Actions workflow (with
 * the user's lines outside the generated blocks kept) and the KServe or Seldon files under
 * `k8s/<target>/` beside the manifest. The editor shows the result as a WorkspaceEdit to review.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ExportFilePlan, PipelineExportPlan, PipelineTarget } from '../contract';
import { PipelineExportError, planWorkflowExport } from '../pipeline';
import { loadServingConfig, ServingConfigError } from '../serving/config';
import { isInside } from '../workspace/links';
import { deployFindings } from './faults';
import { exportManifests, toYaml, type ExportTarget } from './manifests';

/** Where the editor writes a target's Kubernetes files, relative to the manifest's folder. */
export const K8S_DIR = 'k8s';

/**
 * `workspaceRoots`: where the editor may write. GitHub reads workflows at the repository root only, so
 * a repository around the workspace gets no workflow from here (the terminal's `mlops export` can).
 */
export function planExports(manifestPath: string, targets: readonly PipelineTarget[], workspaceRoots?: readonly string[]): PipelineExportPlan {
  const folder = dirname(manifestPath);
  const plan: PipelineExportPlan = { manifest: manifestPath, files: [], warnings: [], problems: [], uploads: [] };
  for (const target of targets) {
    if (target === 'github-actions') {
      try {
        const w = planWorkflowExport(folder, {});
        if (workspaceRoots && !workspaceRoots.some((root) => isInside(w.path, root))) {
          const root = dirname(dirname(dirname(w.path)));
          plan.problems.push(`workflow: GitHub reads workflows at the repository root, ${root}, which is outside the workspace; open that folder, or run \`mlops export github-actions\` in a terminal`);
          continue;
        }
        plan.files.push({ path: w.path, text: w.text, ...(w.existing !== undefined ? { existing: w.existing } : {}), ...(w.conflict ? { conflict: w.conflict } : {}), unchanged: w.unchanged });
        plan.warnings.push(...w.warnings.map((x) => `workflow: ${x}`));
      } catch (error) {
        if (!(error instanceof PipelineExportError)) throw error;
        plan.problems.push(`workflow: ${error.message}`);
      }
      continue;
    }
    kubernetes(manifestPath, target, plan);
  }
  return plan;
}

function kubernetes(manifestPath: string, target: ExportTarget, plan: PipelineExportPlan): void {
  const folder = dirname(manifestPath);
  let config;
  try {
    config = loadServingConfig(manifestPath, folder);
  } catch (error) {
    if (!(error instanceof ServingConfigError)) throw error;
    plan.problems.push(...error.problems.map((p) => `${target}: ${p}`));
    return;
  }
  const faults = deployFindings(manifestPath).filter((f) => f.severity === 'error');
  if (faults.length > 0) {
    plan.problems.push(...faults.map((f) => `${target}: mlops.yaml:${f.range.start.line + 1}:${f.range.start.character + 1}: ${f.message}`));
    return;
  }
  const result = exportManifests(config, { target, workspaceRoot: folder });
  plan.warnings.push(...result.warnings.map((w) => `${target}: ${w}`));
  if (result.files.length === 0) plan.problems.push(`${target}: nothing to export (no endpoint gets traffic)`);
  for (const file of result.files) plan.files.push(fileAt(join(folder, K8S_DIR, target, file.name), toYaml(file.resources)));
  for (const u of result.uploads) if (!plan.uploads.some((x) => x.uri === u.uri)) plan.uploads.push(u);
}

function fileAt(path: string, text: string): ExportFilePlan {
  const existing = existsSync(path) ? readFileSync(path, 'utf8') : undefined;
  return { path, text, ...(existing !== undefined ? { existing } : {}), unchanged: existing === text };
}
