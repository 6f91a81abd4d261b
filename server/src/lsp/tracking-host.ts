import { existsSync } from 'node:fs';
import { comparisonData } from '../charts/comparison';
import { manifestGoals } from '../charts/goals';
import { metricHistoryData } from '../charts/history';
import type { ComparisonData, ComparisonParams, MetricHistoryData, MetricHistoryParams } from '../contract';
import { join } from 'node:path';
import type { Connection } from 'vscode-languageserver/node';
import { Notifications, type RunInfo, type RunQueryResult, type RunQueryState, type ServerSettings, type TreeNode, type TreeViewId } from '../contract';
import { QuerySyntaxError } from '../tracking/query';
import type { ReadIssue } from '../tracking/model';
import type { RunSummary } from '../tracking/repository';
import { runLookup, type RunLookup } from '../manifest/validate';
import { declaredModels } from '../manifest/declared-models';
import { scanWorkspace } from '../workspace/scan';
import { DEFAULT_POLL_MS, TrackingService, type TrackingServiceOptions } from '../tracking/service';
import { resolveTrackingSources } from '../tracking/sources';
import { ExperimentTree, experimentNodeId, modelNodes, toRunInfo } from '../tracking/tree';

/** Below this many runs an index pass is quick enough that a progress notification would only flicker. */
const PROGRESS_THRESHOLD = 200;

/**
 * The language server's side of experiment tracking: one TrackingService per workspace folder,
 * the Experiments and Models trees built from the index, the run filter, and change notifications.
 */
export class TrackingHost {
  private readonly services = new Map<string, TrackingService>();
  private query: RunQueryState = { filter: '', orderBy: '' };
  private settings: ServerSettings = { keyMetric: '', showDeleted: false };
  private experimentTree: ExperimentTree | undefined;
  private models: ReturnType<typeof modelNodes> | undefined;
  private readonly reported = new Set<string>();
  /** How tracking servers are read: the token (from the client, never logged) and the poll interval. */
  private remote: TrackingServiceOptions = { pollMs: DEFAULT_POLL_MS };

  private allRunsCache: RunSummary[] | undefined;
  private lookupCache: RunLookup | undefined;

  /** Runs by id and metric names for validation; rebuilt only when the index changes, not per keystroke. */
  runLookup(): RunLookup {
    return (this.lookupCache ??= runLookup(this.allRuns()));
  }

  /** `onChanged`: the index changed (manifests are re-validated: a new run can flip a gate). */
  constructor(
    private readonly connection: Connection,
    private readonly folders: string[],
    private readonly onChanged: () => void = () => {},
    /** The text of a manifest open in an editor, if it is. */
    private readonly openText: (path: string) => string | undefined = () => undefined,
  ) {}

  /** Every indexed run of every folder, deleted ones included (a manifest may still name them). */
  allRuns(): RunSummary[] {
    return (this.allRunsCache ??= [...this.services.values()].flatMap((s) => s.runs({ includeDeleted: true })));
  }

  /** The file that holds a run: its meta.yaml in an MLflow store, its JSONL log, or the database. */
  runFile(run: RunSummary): string | undefined {
    if (run.sourceKind === 'mlflow-file-store') return join(run.sourcePath, run.experimentId, run.runId, 'meta.yaml');
    if (run.sourceKind === 'mlflow-server') return undefined; // on a tracking server: no file to open
    if (run.sourceKind === 'jsonl-runs') {
      const file = join(run.sourcePath, `${run.runId}.jsonl`);
      return existsSync(file) ? file : run.sourcePath;
    }
    return run.sourcePath;
  }

  /** Index every folder that has tracking sources, then watch them. */
  async start(): Promise<void> {
    await Promise.all(this.folders.map((folder) => this.refreshFolder(folder)));
  }

  /** Sources may have appeared or gone (a new mlruns/, an edited `tracking:` list). */
  async refreshAll(): Promise<void> {
    await this.start();
    this.changed(); // manifests may declare other models even where no source changed
  }

  private async refreshFolder(folder: string): Promise<void> {
    let service = this.services.get(folder);
    if (!service) {
      // No store is created in a folder that has nothing to index.
      if (resolveTrackingSources(folder).sources.length === 0) return;
      service = TrackingService.open(folder, (note) => this.connection.console.warn(note), this.remote);
      this.services.set(folder, service);
      service.watch(
        (result) => {
          this.report(result.newIssues);
          if (result.runsRead + result.runsDeleted > 0 || result.newIssues.length > 0) this.changed();
        },
        (message) => this.connection.console.error(message),
      );
    }
    let begun = false;
    const started = Date.now();
    const result = await service.refresh((p) => {
      if (!begun && p.total >= PROGRESS_THRESHOLD && p.done < p.total) {
        begun = true;
        this.progress({ state: 'begin', message: `Indexing ${p.total} runs in ${p.source}`, done: p.done, total: p.total });
      } else if (begun) {
        this.progress({ state: 'report', message: `${p.done} of ${p.total} runs`, done: p.done, total: p.total });
      }
    });
    if (begun) this.progress({ state: 'end', message: `Indexed ${result.runsRead} runs` });
    for (const p of service.sourceProblems) this.connection.console.warn(`${p.manifest}: tracking entry "${p.entry}": ${p.reason}`);
    this.report(result.newIssues);
    this.connection.console.info(
      `Tracking index of ${folder}: ${result.runsRead} runs read, ${result.runsUnchanged} unchanged, ${result.runsDeleted} removed in ${Date.now() - started} ms`,
    );
    this.changed();
  }

  private progress(event: Parameters<typeof this.connection.sendNotification>[1]): void {
    void this.connection.sendNotification(Notifications.indexProgress.method, event);
  }

  /** Each read problem goes to the output once per session; the tree marks it for as long as it lasts. */
  private report(issues: ReadIssue[]): void {
    for (const issue of issues) {
      const key = `${issue.path}:${issue.line ?? ''}:${issue.message}`;
      if (this.reported.has(key)) continue;
      this.reported.add(key);
      const at = issue.line ? `:${issue.line}${issue.column ? `:${issue.column}` : ''}` : '';
      this.connection.console.warn(`${issue.path}${at}: ${issue.message}`);
    }
  }

  private changed(): void {
    this.experimentTree = undefined;
    this.models = undefined;
    this.allRunsCache = undefined;
    this.lookupCache = undefined;
    this.onChanged();
    void this.connection.sendNotification(Notifications.treeChanged.method, { view: 'experiments' satisfies TreeViewId });
    void this.connection.sendNotification(Notifications.treeChanged.method, { view: 'models' satisfies TreeViewId });
  }

  private modelsTimer: NodeJS.Timeout | undefined;

  /** A manifest was edited: the models it declares may have changed (debounced; typing is fast). */
  manifestEdited(): void {
    clearTimeout(this.modelsTimer);
    this.modelsTimer = setTimeout(() => {
      this.models = undefined;
      void this.connection.sendNotification(Notifications.treeChanged.method, { view: 'models' satisfies TreeViewId });
    }, 300);
  }

  setSettings(settings: ServerSettings): void {
    this.settings = settings;
    const seconds = settings.trackingPollSeconds;
    if (typeof seconds === 'number' && Number.isFinite(seconds) && seconds > 0) this.configureRemote({ ...this.remote, pollMs: Math.max(5, seconds) * 1000 });
    this.changed();
  }

  /** Token and poll interval for MLflow tracking servers; every folder's service takes them at once. */
  configureRemote(options: TrackingServiceOptions): void {
    this.remote = options;
    for (const service of this.services.values()) service.configureRemote(options);
  }

  getQuery(): RunQueryState {
    return this.query;
  }

  setQuery(query: RunQueryState): RunQueryResult {
    try {
      let matched = 0;
      let total = 0;
      for (const service of this.services.values()) {
        matched += service.runs({ filter: query.filter, orderBy: query.orderBy, includeDeleted: this.settings.showDeleted }).length;
        total += service.runs({ includeDeleted: this.settings.showDeleted }).length;
      }
      this.query = { filter: query.filter.trim(), orderBy: query.orderBy.trim() };
      this.changed();
      return { ok: true, matched, total };
    } catch (error) {
      if (error instanceof QuerySyntaxError) return { ok: false, message: error.message, column: error.column };
      throw error;
    }
  }

  runKeys(): { metrics: string[]; params: string[] } {
    const metrics = new Set<string>();
    const params = new Set<string>();
    for (const s of this.services.values()) {
      for (const r of s.runs()) {
        Object.keys(r.metrics).forEach((k) => metrics.add(k));
        Object.keys(r.params).forEach((k) => params.add(k));
      }
    }
    return { metrics: [...metrics].sort(), params: [...params].sort() };
  }

  /** Downsampled metric histories of runs, for the charts panel. */
  metricHistory(params: MetricHistoryParams): MetricHistoryData {
    const wanted = new Set(params.runIds);
    const runs = [...this.services.values()].flatMap((s) =>
      s.runs({ includeDeleted: true }).filter((r) => wanted.has(r.runId)).map((r) => ({ runId: r.runId, name: r.name, experiment: r.experimentName, status: r.status, metrics: r.metrics, source: s.repo })),
    );
    return metricHistoryData(runs, params);
  }

  /** Params and metrics of runs side by side, with the best run by a metric (default: the manifests' first gate the runs have). */
  comparison(params: ComparisonParams): ComparisonData {
    const goals = this.folders.flatMap((folder) => scanWorkspace(folder).manifests.flatMap((path) => manifestGoals(path, this.openText(path))));
    return comparisonData(this.runs(params.runIds), params, goals);
  }

  /** Every active run, newest first, for run pickers. */
  runChoices(): { runId: string; name: string; experiment: string; status: RunInfo['status'] }[] {
    return [...this.services.values()]
      .flatMap((s) => s.runs())
      .sort((x, y) => (y.startTime ?? 0) - (x.startTime ?? 0))
      .map((r) => ({ runId: r.runId, name: r.name, experiment: r.experimentName, status: r.status }));
  }

  runs(runIds: string[]): RunInfo[] {
    const wanted = new Set(runIds);
    return [...this.services.values()].flatMap((s) => s.runs({ includeDeleted: true }).filter((r) => wanted.has(r.runId)).map(toRunInfo));
  }

  children(view: TreeViewId, parentId: string | null): TreeNode[] {
    if (view === 'experiments') return this.getExperimentTree().childrenOf(parentId);
    if (view === 'models') {
      const models = this.getModels();
      return parentId === null ? models.roots : models.children.get(parentId) ?? [];
    }
    return [];
  }

  parent(view: TreeViewId, id: string): TreeNode | null {
    if (view === 'experiments') return this.getExperimentTree().parentOf(id);
    if (view === 'models') {
      const models = this.getModels();
      for (const [parentId, kids] of models.children) if (kids.some((k) => k.id === id)) return models.roots.find((r) => r.id === parentId) ?? null;
    }
    return null;
  }

  /** Every node id leading to a run, root first, for reveal. */
  pathToRun(runId: string): string[] {
    const tree = this.getExperimentTree();
    const services = [...this.services.values()];
    for (const s of services) {
      const run = s.runs({ includeDeleted: true }).find((r) => r.runId === runId);
      if (!run) continue;
      const path: string[] = [];
      let id: string | null = `run:${run.sourceId}:${run.runId}`;
      while (id) {
        path.unshift(id);
        id = tree.parentOf(id)?.id ?? null;
      }
      return path;
    }
    return [];
  }

  private getExperimentTree(): ExperimentTree {
    if (this.experimentTree) return this.experimentTree;
    const services = [...this.services.values()];
    const experiments = services.flatMap((s) => s.repo.experiments()).filter((e) => this.settings.showDeleted || e.lifecycleStage === 'active');
    const allRuns = services.flatMap((s) => s.runs({ includeDeleted: this.settings.showDeleted }));
    const filtered = Boolean(this.query.filter || this.query.orderBy);
    let runs = allRuns;
    if (filtered) {
      try {
        runs = services.flatMap((s) => s.runs({ filter: this.query.filter, orderBy: this.query.orderBy, includeDeleted: this.settings.showDeleted }));
      } catch {
        runs = allRuns; // a query that stopped parsing (it was accepted before) shows everything
      }
    }
    const totals = new Map<string, number>();
    for (const r of allRuns) totals.set(experimentNodeId(r.sourceId, r.experimentId), (totals.get(experimentNodeId(r.sourceId, r.experimentId)) ?? 0) + 1);
    const sourceCount = new Set(experiments.map((e) => e.sourcePath)).size;
    this.experimentTree = new ExperimentTree({
      experiments,
      runs,
      totals,
      issues: services.flatMap((s) => s.repo.issues()),
      keyMetric: this.settings.keyMetric,
      filtered: Boolean(this.query.filter),
      multipleSources: sourceCount > 1,
    });
    return this.experimentTree;
  }

  private getModels(): ReturnType<typeof modelNodes> {
    if (this.models) return this.models;
    const services = [...this.services.values()];
    const knownRuns = new Set(services.flatMap((s) => s.runs({ includeDeleted: true }).map((r) => r.runId)));
    // Models declared in the workspace's manifests first, then those of MLflow registries.
    const declared = this.folders.flatMap((folder) => scanWorkspace(folder).manifests.flatMap((path) => declaredModels(path, this.openText(path))));
    this.models = modelNodes([...declared, ...services.flatMap((s) => s.repo.registeredModels())], knownRuns);
    for (const node of this.models.roots) if (node.model) this.decorateModel(node, node.model.manifest, node.model.name);
    return this.models;
  }

  /** Adds monitoring state to a manifest-declared model's node (set by the monitoring host). */
  decorateModel: (node: TreeNode, manifest: string, model: string) => void = () => {};

  /** Rebuild the Models view (model health changed). */
  modelsChanged(): void {
    this.models = undefined;
    void this.connection.sendNotification(Notifications.treeChanged.method, { view: 'models' satisfies TreeViewId });
  }

  async dispose(): Promise<void> {
    await Promise.all([...this.services.values()].map((s) => s.close()));
    this.services.clear();
  }
}
