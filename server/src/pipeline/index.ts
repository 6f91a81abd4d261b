/**
 * The GitHub Actions pipeline of an mlops.yaml: `generateWorkflow` (pure: manifest and options →
 * workflow text) and `planWorkflowExport` (reads the repository around a folder and the file already
 * there, writes nothing) for the CLI and the editor.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import type { ExportTarget } from '../export/manifests';
import { readManifestModel, type ManifestModel } from '../manifest/model';
import { MANIFEST_FILE_NAMES, manifestText, parseManifest } from '../manifest/parse';
import { merge, parseFile, render } from './blocks';
import { DEFAULT_BRANCH, DEFAULT_NODE_MAJOR, generateParts, type PipelineJob, type WorkflowOptions } from './workflow';

export { isGithubCron, NAMED_SCHEDULES, scheduleEntry, type ScheduleEntry } from './schedule';
export { DEFAULT_BRANCH, DEFAULT_NODE_MAJOR, EXPORT_DIR, PIPELINE_JOBS, smokeUrlVariable, type PipelineJob, type WorkflowOptions } from './workflow';

/** Where the workflow goes, relative to the repository root (or the folder outside a repository). */
export const DEFAULT_WORKFLOW_PATH = '.github/workflows/mlops.yml';

export interface Workflow {
  text: string;
  jobs: PipelineJob[];
  warnings: string[];
}

/** The workflow for a manifest. The same manifest and options give the same bytes. */
export function generateWorkflow(model: ManifestModel, options: WorkflowOptions): Workflow {
  const g = generateParts(model, options);
  return { text: render(g.parts), jobs: g.jobs, warnings: g.warnings };
}

export interface ExportOptions {
  /** The workflow file; relative paths are read from the current folder. Default: DEFAULT_WORKFLOW_PATH under the repository root. */
  out?: string;
  target?: ExportTarget;
  /** Replace edits inside generated blocks and drop free lines that lost their place. */
  force?: boolean;
  /** Ignore the file already at the path: the workflow as a first export writes it. */
  fresh?: boolean;
}

/** What an export would write: what the editor shows as a WorkspaceEdit and the CLI writes. */
export interface WorkflowExportPlan {
  /** Absolute path of the workflow file. */
  path: string;
  /** The text to write: the new blocks with the existing file's own lines kept around them. */
  text: string;
  /** The file's current text, when it exists. */
  existing?: string;
  /**
   * Why writing `text` would lose something of the existing file (a hand edit inside a generated
   * block, lines whose block is gone, a file without markers); absent when writing is safe or with
   * `force`. The CLI refuses without --force; an editor should show the diff and ask.
   */
  conflict?: string;
  /** `text` equals `existing`. */
  unchanged: boolean;
  jobs: PipelineJob[];
  warnings: string[];
  /** The facts the workflow was generated with. */
  options: WorkflowOptions;
}

export class PipelineExportError extends Error {}

/** Plans `mlops export github-actions` for the manifest in `folder`. Reads files, writes none. */
export function planWorkflowExport(folder: string, options: ExportOptions = {}): WorkflowExportPlan {
  const dir = resolve(folder);
  if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory()) throw new PipelineExportError(`${folder} is not a folder`);
  const manifestFile = MANIFEST_FILE_NAMES.find((n) => existsSync(join(dir, n)));
  if (!manifestFile) throw new PipelineExportError(`no mlops.yaml in ${dir}`);
  const text = manifestText(join(dir, manifestFile));
  if (text === undefined) throw new PipelineExportError(`${join(dir, manifestFile)} cannot be read as text`);
  const parsed = parseManifest(text);
  const syntax = parsed.findings.find((f) => f.severity === 'error');
  if (syntax) throw new PipelineExportError(`${join(dir, manifestFile)}:${syntax.range.start.line + 1}: ${syntax.message}`);

  const root = repositoryRoot(dir) ?? dir;
  const warnings: string[] = [];
  const npmDir = npmProject(dir, root);
  const workflowOptions: WorkflowOptions = {
    manifestDir: posix(relative(root, dir)) || '.',
    manifestFile,
    npmDir: posix(relative(root, npmDir)) || '.',
    nodeMajor: nodeMajor(npmDir, root, warnings),
    target: options.target ?? 'kserve',
    branch: DEFAULT_BRANCH,
  };
  const pkg = readJson(join(npmDir, 'package.json'));
  if (!pkg) warnings.push(`no package.json in ${npmDir}: the workflow runs \`npm ci\` there; add mlops-workbench to its devDependencies`);
  else if (!hasMlops(pkg)) warnings.push(`${join(npmDir, 'package.json')} does not list mlops-workbench: add it to devDependencies, the workflow runs \`npx mlops\``);

  const generated = generateParts(readManifestModel(parsed), workflowOptions);
  warnings.push(...generated.warnings);
  const path = options.out !== undefined ? resolve(options.out) : join(root, DEFAULT_WORKFLOW_PATH);
  const fresh = render(generated.parts);
  const base = { path, jobs: generated.jobs, warnings, options: workflowOptions };
  if (options.fresh || !existsSync(path)) return { ...base, text: fresh, unchanged: false };

  const existing = readFileSync(path, 'utf8');
  const old = parseFile(existing);
  if ('problem' in old) {
    const conflict = `${path} was not written by mlops export github-actions or its markers were edited (${old.problem}); --force replaces it`;
    return { ...base, text: fresh, existing, unchanged: existing === fresh, conflict: options.force ? undefined : conflict };
  }
  if (old.blocks.length === 0) {
    return { ...base, text: fresh, existing, unchanged: existing === fresh, conflict: options.force ? undefined : `${path} has no generated blocks: it was not written by mlops export github-actions; --force replaces it` };
  }
  const m = merge(generated.parts, old);
  const losses: string[] = [];
  if (m.edited.length > 0) losses.push(`edits inside the generated block${m.edited.length > 1 ? 's' : ''} ${m.edited.join(', ')} would be replaced`);
  for (const o of m.orphaned) losses.push(`the lines after block ${o.after} (${o.lines.filter((l) => l.trim() !== '').length} non-blank) have no place: that block is no longer generated`);
  const conflict = losses.length > 0 && !options.force ? `${path}: ${losses.join('; ')}; --force writes it anyway` : undefined;
  return { ...base, text: m.text, existing, unchanged: existing === m.text, conflict };
}

function posix(path: string): string {
  return path.split(sep).join('/');
}

/** The nearest folder at or above `dir` with a .git (a folder, or a file in a worktree). */
function repositoryRoot(dir: string): string | undefined {
  for (let d = dir; ; d = dirname(d)) {
    if (existsSync(join(d, '.git'))) return d;
    if (dirname(d) === d) return undefined;
  }
}

/** The nearest folder from `dir` up to `root` with a package.json; `root` when none has. */
function npmProject(dir: string, root: string): string {
  for (let d = dir; ; d = dirname(d)) {
    if (existsSync(join(d, 'package.json'))) return d;
    if (d === root || dirname(d) === d) return root;
  }
}

function readJson(path: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(readFileSync(path, 'utf8'));
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function hasMlops(pkg: Record<string, unknown>): boolean {
  if (pkg.name === 'mlops-workbench') return true;
  return ['devDependencies', 'dependencies'].some((k) => {
    const deps = pkg[k];
    return deps !== null && typeof deps === 'object' && 'mlops-workbench' in deps;
  });
}

/**
 * The Node major the jobs set up: the .nvmrc of the npm project (or the repository root), else the
 * lowest major its package.json `engines.node` allows, else DEFAULT_NODE_MAJOR.
 */
function nodeMajor(npmDir: string, root: string, warnings: string[]): number {
  for (const d of npmDir === root ? [root] : [npmDir, root]) {
    const nvmrc = join(d, '.nvmrc');
    if (!existsSync(nvmrc)) continue;
    const value = readFileSync(nvmrc, 'utf8').trim();
    const major = /^v?(\d+)(\.|$)/.exec(value)?.[1];
    if (major) return Number(major);
    warnings.push(`${nvmrc} says "${value}", not a version number: Node ${DEFAULT_NODE_MAJOR} is used`);
    break;
  }
  const engines = readJson(join(npmDir, 'package.json'))?.engines;
  const node = engines !== null && typeof engines === 'object' ? (engines as Record<string, unknown>).node : undefined;
  if (typeof node === 'string') {
    const majors = [...node.matchAll(/(\d+)(?:\.[\dx*]+)*/g)].map((m) => Number(m[1]));
    if (majors.length > 0) return Math.max(Math.min(...majors), 1);
  }
  return DEFAULT_NODE_MAJOR;
}
