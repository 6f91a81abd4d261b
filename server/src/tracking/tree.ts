import { join } from 'node:path';
import type { RunInfo, TreeNode } from '../contract';
import type { ExperimentSummary, RunSummary, StoredIssue } from './repository';
import type { RegisteredModelRecord } from './model';
import { isManifestPath } from '../manifest/parse';

/** Metric names tried, in order, for a run's description when no key metric is configured. */
const USUAL_KEY_METRICS = ['accuracy', 'acc', 'f1', 'f1_score', 'auc', 'roc_auc', 'r2', 'rmse', 'mae', 'loss', 'val_loss'];

const STATUS_ICON: Record<RunSummary['status'], string> = {
  FINISHED: 'pass',
  RUNNING: 'sync~spin',
  SCHEDULED: 'clock',
  FAILED: 'error',
  KILLED: 'circle-slash',
};

export interface ExperimentTreeInput {
  experiments: ExperimentSummary[];
  /** The runs to show (already filtered and sorted). */
  runs: RunSummary[];
  /** How many runs there are before filtering, per experiment node id. */
  totals: Map<string, number>;
  issues: StoredIssue[];
  keyMetric: string;
  filtered: boolean;
  /** Show the tracking source next to experiments when there are several. */
  multipleSources: boolean;
}

export const experimentNodeId = (sourceId: number, experimentId: string) => `exp:${sourceId}:${experimentId}`;
export const runNodeId = (sourceId: number, runId: string) => `run:${sourceId}:${runId}`;
const ISSUES_NODE = 'issues';

/**
 * Builds the Experiments view: experiment → runs (parent → children). The whole tree is derived at
 * once from indexed data; the client asks for one level at a time.
 */
export class ExperimentTree {
  private readonly children = new Map<string | null, TreeNode[]>();
  private readonly parents = new Map<string, string | null>();

  constructor(input: ExperimentTreeInput) {
    const runsByExperiment = new Map<string, RunSummary[]>();
    for (const run of input.runs) {
      const id = experimentNodeId(run.sourceId, run.experimentId);
      const list = runsByExperiment.get(id) ?? [];
      list.push(run);
      runsByExperiment.set(id, list);
    }
    const roots: TreeNode[] = [];
    if (input.issues.length > 0) roots.push(this.issuesNode(input.issues));
    const named = new Map<string, number>();
    for (const e of input.experiments) named.set(e.name, (named.get(e.name) ?? 0) + 1);
    for (const e of input.experiments) {
      const id = experimentNodeId(e.sourceId, e.experimentId);
      const runs = runsByExperiment.get(id) ?? [];
      if (input.filtered && runs.length === 0) continue;
      roots.push(experimentNode(e, id, runs.length, input.totals.get(id) ?? runs.length, input, (named.get(e.name) ?? 0) > 1));
      this.addRuns(id, runs, input);
    }
    this.children.set(null, roots);
  }

  childrenOf(parentId: string | null): TreeNode[] {
    return this.children.get(parentId) ?? [];
  }

  parentOf(id: string): TreeNode | null {
    const parentId = this.parents.get(id);
    if (!parentId) return null;
    const grandparent = this.parents.get(parentId) ?? null;
    return this.childrenOf(grandparent).find((n) => n.id === parentId) ?? null;
  }

  private addRuns(experimentId: string, runs: RunSummary[], input: ExperimentTreeInput): void {
    const shown = new Set(runs.map((r) => r.runId));
    const childrenByParent = new Map<string, RunSummary[]>();
    const top: RunSummary[] = [];
    for (const run of runs) {
      // A child whose parent is filtered out (or missing) shows at the top level.
      if (run.parentRunId && shown.has(run.parentRunId) && run.parentRunId !== run.runId) {
        const list = childrenByParent.get(run.parentRunId) ?? [];
        list.push(run);
        childrenByParent.set(run.parentRunId, list);
      } else {
        top.push(run);
      }
    }
    const issuesByRun = new Map<string, StoredIssue[]>();
    for (const issue of input.issues) {
      if (!issue.runId) continue;
      issuesByRun.set(issue.runId, [...(issuesByRun.get(issue.runId) ?? []), issue]);
    }
    const place = (parentId: string, list: RunSummary[], depth: number) => {
      const nodes = list.map((run) => {
        const id = runNodeId(run.sourceId, run.runId);
        this.parents.set(id, parentId);
        const kids = depth < 32 ? childrenByParent.get(run.runId) ?? [] : [];
        if (kids.length > 0) place(id, kids, depth + 1);
        return runNode(run, id, kids.length > 0, input.keyMetric, issuesByRun.get(run.runId) ?? []);
      });
      this.children.set(parentId, nodes);
    };
    this.parents.set(experimentId, null);
    place(experimentId, top, 0);
  }

  private issuesNode(issues: StoredIssue[]): TreeNode {
    const children = issues.slice(0, 200).map((issue, i): TreeNode => {
      const id = `${ISSUES_NODE}:${i}`;
      this.parents.set(id, ISSUES_NODE);
      const at = issue.line ? `:${issue.line}${issue.column ? `:${issue.column}` : ''}` : '';
      return {
        id,
        label: issue.message,
        description: `${issue.path}${at}`,
        tooltip: `**${escapeMarkdown(issue.path)}${at}**\n\n${escapeMarkdown(issue.message)}`,
        icon: 'warning',
        hasChildren: false,
        contextValue: 'readIssue',
        // A tracking server's problem has no file to open.
        ...(REMOTE.test(issue.path) ? {} : { resourcePath: issue.path, command: { command: 'mlops.openLocation', title: 'Open', arguments: [issue.path, issue.line ?? 1, issue.column ?? 1] } }),
      };
    });
    this.children.set(ISSUES_NODE, children);
    this.parents.set(ISSUES_NODE, null);
    return {
      id: ISSUES_NODE,
      label: `${issues.length} read problem${issues.length === 1 ? '' : 's'}`,
      description: 'files that could not be read completely',
      tooltip: 'Everything else was indexed. Fix or remove these files; they are re-read when they change.',
      icon: 'warning',
      hasChildren: true,
      contextValue: 'readIssues',
    };
  }
}

/** `ambiguous`: another source has an experiment of the same name, so the row names its source. */
function experimentNode(e: ExperimentSummary, id: string, shown: number, total: number, input: ExperimentTreeInput, ambiguous: boolean): TreeNode {
  const count = input.filtered ? `${shown} of ${total} runs` : `${total} run${total === 1 ? '' : 's'}`;

  return {
    id,
    label: e.name || `Experiment ${e.experimentId}`,
    // The source is in the tooltip (beside the count it would be cut off at the sidebar's width),
    // unless two rows would otherwise read the same.
    description: `${count}${e.lifecycleStage === 'deleted' ? ' · deleted' : ''}${input.multipleSources && ambiguous ? ` · ${shortSource(e.sourcePath)}` : ''}`,
    tooltip: [`**${escapeMarkdown(e.name)}** (id ${escapeMarkdown(e.experimentId)})`, count, `Source: \`${e.sourcePath}\`${input.multipleSources ? ` (${shortSource(e.sourcePath)})` : ''}`, e.artifactLocation ? `Artifacts: \`${e.artifactLocation}\`` : '']
      .filter(Boolean)
      .join('\n\n'),
    icon: 'beaker',
    hasChildren: shown > 0,
    contextValue: 'experiment',
    resourcePath: e.sourceKind === 'mlflow-file-store' ? join(e.sourcePath, e.experimentId) : e.sourceKind === 'mlflow-server' ? undefined : e.sourcePath,
    expanded: false,
  };
}

function runNode(run: RunSummary, id: string, hasChildren: boolean, keyMetric: string, issues: StoredIssue[]): TreeNode {
  const key = pickKeyMetric(run.metrics, keyMetric);
  const best = bestMark(run);
  const stale = run.tags['optuna.heartbeat'];
  const state = stale ? 'stale' : run.tags['optuna.state'] === 'PRUNED' ? 'pruned' : run.status === 'FINISHED' ? '' : run.status.toLowerCase();
  const description = [key ? `${key}=${formatValue(run.metrics[key])}` : '', state].filter(Boolean).join(' · ');
  return {
    id,
    label: run.name || run.runId.slice(0, 8),
    description,
    tooltip: runTooltip(run, issues),
    icon: issues.length > 0 ? 'warning' : best ? 'star-full' : STATUS_ICON[run.status],
    hasChildren,
    contextValue: 'run',
    runId: run.runId,
    resourcePath: run.sourceKind === 'mlflow-file-store' ? join(run.sourcePath, run.experimentId, run.runId) : run.sourceKind === 'mlflow-server' ? undefined : run.sourcePath,
  };
}

export function pickKeyMetric(metrics: Record<string, number>, configured: string): string | undefined {
  if (configured && configured in metrics) return configured;
  const keys = Object.keys(metrics);
  return USUAL_KEY_METRICS.find((k) => k in metrics) ?? keys.sort()[0];
}

/** An Optuna study's best trial, or one on the Pareto front of a study with several objectives. */
function bestMark(run: RunSummary): string | undefined {
  if (run.tags['optuna.best'] === 'true') return 'the best trial of the study';
  if (run.tags['optuna.pareto'] === 'true') return 'on the Pareto front of the study';
  return undefined;
}

const SOURCE_KIND: Record<RunSummary['sourceKind'], string> = {
  'mlflow-file-store': 'MLflow file store',
  'mlflow-sqlite': 'MLflow database',
  'optuna-sqlite': 'Optuna storage',
  tensorboard: 'TensorBoard event files',
  wandb: 'W&B run folder',
  'jsonl-runs': 'JSONL run log',
  'mlflow-server': 'MLflow tracking server',
};

function runTooltip(run: RunSummary, issues: StoredIssue[]): string {
  const state = run.tags['optuna.state'] ? ` (Optuna: ${run.tags['optuna.state']})` : '';
  const lines = [`**${escapeMarkdown(run.name || run.runId)}** — ${run.status}${state}`, `\`${run.runId}\` · ${SOURCE_KIND[run.sourceKind]}`];
  const best = bestMark(run);
  if (best) lines.push(`$(star-full) ${best}`);
  if (run.tags['optuna.heartbeat']) lines.push(`$(warning) heartbeat ${escapeMarkdown(run.tags['optuna.heartbeat'])}: the worker may have died`);
  if (run.startTime) {
    const duration = run.endTime ? ` · ${formatDuration(run.endTime - run.startTime)}` : '';
    lines.push(`Started ${new Date(run.startTime).toISOString().replace('T', ' ').slice(0, 19)} UTC${duration}`);
  }
  const table = (title: string, entries: [string, string][]) => {
    if (entries.length === 0) return;
    const shown = entries.slice(0, 25);
    lines.push(`| ${title} | |\n|---|---|\n${shown.map(([k, v]) => `| ${escapeMarkdown(k)} | ${escapeMarkdown(v)} |`).join('\n')}`);
    if (entries.length > shown.length) lines.push(`…and ${entries.length - shown.length} more`);
  };
  table('Metric', Object.entries(run.metrics).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, formatValue(v)]));
  table('Param', Object.entries(run.params).sort(([a], [b]) => a.localeCompare(b)));
  if (issues.length > 0) lines.push(`$(warning) ${issues.map((i) => escapeMarkdown(`${i.message}${i.line ? ` (line ${i.line})` : ''}`)).join('\n\n$(warning) ')}`);
  return lines.join('\n\n');
}

export function formatValue(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v)) return String(v);
  return String(Number(v.toPrecision(4)));
}

function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  const s = Math.round(ms / 1000);
  return s < 120 ? `${s} s` : s < 7200 ? `${Math.round(s / 60)} min` : `${(s / 3600).toFixed(1)} h`;
}

const REMOTE = /^https?:\/\//i;

function shortSource(path: string): string {
  if (REMOTE.test(path)) return path.replace(REMOTE, '');
  return path.split(/[\\/]/).slice(-2).join('/');
}

function escapeMarkdown(s: string): string {
  return s.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, (c) => `\\${c}`);
}

/** Registered models → versions, with stage and alias badges and a link to the source run. */
export function modelNodes(models: (RegisteredModelRecord & { sourcePath: string })[], knownRuns: Set<string>): { roots: TreeNode[]; children: Map<string, TreeNode[]> } {
  const children = new Map<string, TreeNode[]>();
  const roots = models.map((m): TreeNode => {
    const id = `model:${m.sourcePath}:${m.name}`;
    children.set(
      id,
      [...m.versions].reverse().map((v): TreeNode => {
        const badges = [v.stage && v.stage !== 'None' ? v.stage : '', ...v.aliases.map((a) => `@${a}`)].filter(Boolean).join(' · ');
        const linked = v.runId && knownRuns.has(v.runId);
        return {
          id: `${id}:v${v.version}`,
          label: `Version ${v.version}`,
          description: badges,
          tooltip: [`**${escapeMarkdown(m.name)}** version ${escapeMarkdown(v.version)}`, badges, v.runId ? `Run \`${v.runId}\`${linked ? ' — click to reveal it' : ' (not indexed)'}` : '', v.source ? `Source: \`${v.source}\`` : '', v.status ? `Status: ${v.status}` : '']
            .filter(Boolean)
            .join('\n\n'),
          icon: v.aliases.length > 0 || (v.stage && v.stage !== 'None' && v.stage !== 'Archived') ? 'verified' : 'versions',
          hasChildren: false,
          contextValue: 'modelVersion',
          runId: v.runId ?? undefined,
          ...(isManifestPath(m.sourcePath) ? { model: { manifest: m.sourcePath, name: m.name, version: v.version } } : {}),
          command: linked ? { command: 'mlops.revealRun', title: 'Reveal source run', arguments: [v.runId] } : undefined,
        };
      }),
    );
    const aliasText = Object.entries(m.aliases).map(([a, v]) => `@${a}→${v}`).join(' ');
    const versionsText = `${m.versions.length} version${m.versions.length === 1 ? '' : 's'}`;
    return {
      id,
      label: m.name,
      // One figure fits the sidebar: the aliases say what is live; the count of versions is in the tooltip.
      description: aliasText || versionsText,
      tooltip: [`**${escapeMarkdown(m.name)}**`, m.description ? escapeMarkdown(m.description) : '', [versionsText, aliasText].filter(Boolean).join(' · '), `Source: \`${m.sourcePath}\``].filter(Boolean).join('\n\n'),
      icon: 'package',
      hasChildren: m.versions.length > 0,
      contextValue: 'model',
      expanded: true,
      ...(isManifestPath(m.sourcePath) ? { model: { manifest: m.sourcePath, name: m.name } } : {}),
    };
  });
  return { roots, children };
}

export function toRunInfo(r: RunSummary): RunInfo {
  const metrics: Record<string, number | string> = {};
  for (const [k, v] of Object.entries(r.metrics)) metrics[k] = Number.isFinite(v) ? v : String(v);
  return {
    runId: r.runId,
    experimentId: r.experimentId,
    experiment: r.experimentName,
    name: r.name,
    status: r.status,
    startTime: r.startTime,
    endTime: r.endTime,
    params: r.params,
    tags: r.tags,
    metrics,
    source: r.sourcePath,
  };
}
