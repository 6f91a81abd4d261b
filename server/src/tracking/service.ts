import type { Stats } from 'node:fs';
import { join } from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import { databaseFingerprint } from './sqlite-read';
import type { TrackingSource } from '../contract';
import { openDatabase, openStore, type Database } from '../store/store';
import { TrackingIndexer, type IndexProgress, type SyncResult } from './indexer';
import type { RemoteOptions } from './mlflow-rest';
import { filterRuns, parseOrderBy, sortRuns } from './query';
import { TrackingRepository, type RunSummary } from './repository';
import { resolveTrackingSources, type ResolvedSources } from './sources';

export interface RunQuery {
  /** MLflow search syntax, plus `or` and parentheses. */
  filter?: string;
  /** e.g. "metrics.accuracy DESC, params.model"; default: newest first. */
  orderBy?: string;
  /** Runs of deleted experiments and deleted runs are hidden unless asked for. */
  includeDeleted?: boolean;
}

/** Artifacts (model files, images) can be large and many, and nothing in them is indexed; `.trash` holds deleted experiments. */
const SKIPPED = /[\\/](artifacts|\.trash)([\\/]|$)/;

/** Changes within this window are read together: a training loop writes many files at once. */
const DEBOUNCE_MS = 40;
/**
 * Databases are also checked this often while watching: SQLite writes its WAL in place with
 * pwrite, and file watchers do not report every such write (a transaction could go unseen).
 * A check is a stat and a 4-byte header read.
 */
const DATABASE_CHECK_MS = 1000;
const MAX_WAIT_MS = 250;

/** MLflow tracking servers cannot be watched: they are read again this often. */
export const DEFAULT_POLL_MS = 30_000;

export interface TrackingServiceOptions extends RemoteOptions {
  /** Interval between reads of tracking servers while watching. */
  pollMs?: number;
}

/** As MLflow's own client: the token of a tracking server comes from MLFLOW_TRACKING_TOKEN. */
function defaultOptions(): TrackingServiceOptions {
  return { token: process.env.MLFLOW_TRACKING_TOKEN || undefined };
}

/**
 * Experiment tracking for one workspace folder: resolves its sources, keeps the index in
 * `.mlops/index.db` in line with them, watches them, and answers queries. The language server and
 * the CLI both use this; neither reads tracking files any other way.
 */
export class TrackingService {
  readonly repo: TrackingRepository;
  private readonly indexer: TrackingIndexer;
  private resolved: ResolvedSources = { sources: [], problems: [] };
  private watchers: FSWatcher[] = [];
  private pending = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private firstPendingAt = 0;
  private running: Promise<unknown> = Promise.resolve();
  private pollTimer: NodeJS.Timeout | undefined;
  private databaseTimer: NodeJS.Timeout | undefined;
  private pollMs = DEFAULT_POLL_MS;
  /** The issues of the last poll, so an unchanged outage is not reported again every interval. */
  private lastPollIssues = '';

  private constructor(
    readonly workspaceRoot: string,
    private readonly db: Database,
    options: TrackingServiceOptions,
  ) {
    this.repo = new TrackingRepository(db);
    this.indexer = new TrackingIndexer(this.repo);
    this.configureRemote(options);
  }

  /** Token, page size, timeout and poll interval for tracking servers; takes effect at the next read. */
  configureRemote({ pollMs, ...remote }: TrackingServiceOptions): void {
    this.indexer.remote = remote;
    const next = pollMs ?? this.pollMs;
    if (next !== this.pollMs) {
      this.pollMs = next;
      if (this.watching) this.schedulePoll();
    }
  }

  /** Read the tracking servers again now (a new token, or the user asked); watchers are told of changes. */
  pollNow(): Promise<void> {
    return this.poll();
  }

  /**
   * Open the workspace's store; where `.mlops/` cannot be written (a read-only checkout), an
   * in-memory index serves this process instead, and `note` says so.
   */
  static open(workspaceRoot: string, note: (message: string) => void = () => {}, options: TrackingServiceOptions = defaultOptions()): TrackingService {
    try {
      return new TrackingService(workspaceRoot, openStore(workspaceRoot), options);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'EACCES' && code !== 'EROFS' && code !== 'EPERM' && code !== 'SQLITE_CANTOPEN' && code !== 'SQLITE_READONLY') throw error;
      note(`cannot write ${workspaceRoot}/.mlops (${code}); indexing in memory for this run only`);
      return new TrackingService(workspaceRoot, openDatabase(':memory:'), options);
    }
  }

  get sources(): TrackingSource[] {
    return this.resolved.sources;
  }

  get sourceProblems(): ResolvedSources['problems'] {
    return this.resolved.problems;
  }

  /** Re-resolve the sources and bring the whole index up to date (unchanged runs are skipped). */
  refresh(onProgress?: (p: IndexProgress) => void): Promise<SyncResult> {
    return this.serialize(async () => {
      this.resolved = resolveTrackingSources(this.workspaceRoot);
      const result = await this.indexer.sync(this.resolved.sources, onProgress);
      if (this.watching) await this.rewatch();
      return result;
    });
  }

  /**
   * Watch the sources; `onChange` gets each batch of indexed changes. Resolves when the watcher has
   * scanned the sources (changes before that are seen by the next refresh, not lost).
   */
  watch(onChange: (result: SyncResult) => void, onError: (message: string) => void): Promise<void> {
    this.onChange = onChange;
    this.onError = onError;
    this.watching = true;
    return this.serialize(async () => {
      await this.rewatch();
      await this.watcherReady;
    });
  }

  private watcherReady: Promise<void> = Promise.resolve();
  private watching = false;

  private onChange: (result: SyncResult) => void = () => {};
  private onError: (message: string) => void = () => {};

  private async rewatch(): Promise<void> {
    // Closed before new ones open: chokidar shares one fs.watch per path across watchers, and a
    // late close of the old watcher would silence the new one.
    const old = this.watchers;
    this.watchers = [];
    await Promise.all(old.map((w) => w.close()));
    this.schedulePoll();
    const isDatabase = (s: TrackingSource) => s.kind === 'mlflow-sqlite' || s.kind === 'optuna-sqlite';
    const folders = this.resolved.sources.filter((s) => !isDatabase(s) && s.kind !== 'mlflow-server').map((s) => s.path);
    const databases = this.resolved.sources.filter(isDatabase).flatMap((s) => [s.path, `${s.path}-wal`]);
    const ready: Promise<void>[] = [];
    if (folders.length > 0) {
      // Folders only: one inotify watch per folder reports every file in it, so a store of
      // thousands of runs needs no watcher per file. File events arrive as 'raw' with the name.
      const watcher = watch(folders, {
        ignoreInitial: true,
        depth: 12,
        ignored: (path: string, stats?: Stats) => Boolean(stats?.isFile()) || SKIPPED.test(path),
      });
      watcher.on('all', (_event, path) => {
        if (typeof path === 'string') this.enqueue(path);
      });
      watcher.on('raw', (_event: string, name: unknown, details: unknown) => {
        const folder = (details as { watchedPath?: unknown } | undefined)?.watchedPath;
        if (typeof name === 'string' && typeof folder === 'string' && !SKIPPED.test(folder)) this.enqueue(join(folder, name));
      });
      this.watchers.push(watcher);
    }
    if (databases.length > 0) this.watchers.push(watch(databases, { ignoreInitial: true }).on('all', (_event, path) => typeof path === 'string' && this.enqueue(path)));
    this.checkDatabases(this.resolved.sources.filter(isDatabase).map((s) => s.path));
    for (const watcher of this.watchers) {
      watcher.on('error', (error: unknown) => this.onError(`watching tracking sources: ${error instanceof Error ? error.message : String(error)}`));
      ready.push(new Promise((resolve) => watcher.once('ready', () => resolve())));
    }
    // A change made while the watcher was still attaching to folders would go unseen; one
    // incremental pass once it is ready catches those (only runs whose files changed are read).
    this.watcherReady = Promise.all(ready).then(() => {
      void this.serialize(async () => {
        const result = await this.indexer.sync(this.resolved.sources);
        if (result.runsRead + result.runsDeleted > 0 || result.newIssues.length > 0) this.onChange(result);
      });
    });
  }

  /** The safety net under the database watchers: a changed fingerprint is a change event. */
  private checkDatabases(paths: string[]): void {
    clearInterval(this.databaseTimer);
    this.databaseTimer = undefined;
    if (paths.length === 0) return;
    const seen = new Map(paths.map((p) => [p, databaseFingerprint(p)]));
    this.databaseTimer = setInterval(() => {
      for (const path of paths) {
        const now = databaseFingerprint(path);
        if (now !== seen.get(path)) {
          seen.set(path, now);
          this.enqueue(path);
        }
      }
    }, DATABASE_CHECK_MS);
    this.databaseTimer.unref();
  }

  private schedulePoll(): void {
    clearInterval(this.pollTimer);
    this.pollTimer = undefined;
    if (!this.resolved.sources.some((s) => s.kind === 'mlflow-server')) return;
    this.pollTimer = setInterval(() => void this.poll(), this.pollMs);
    this.pollTimer.unref();
  }

  private poll(): Promise<void> {
    return this.serialize(async () => {
      try {
        const result = await this.indexer.syncRemote(this.resolved.sources);
        const issues = JSON.stringify(result.newIssues);
        const issuesChanged = issues !== this.lastPollIssues;
        this.lastPollIssues = issues;
        if (result.runsRead + result.runsDeleted > 0 || issuesChanged) this.onChange(result);
      } catch (error) {
        this.onError(`reading tracking servers: ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
      }
    });
  }

  private enqueue(path: string): void {
    if (this.pending.size === 0) this.firstPendingAt = Date.now();
    this.pending.add(path);
    clearTimeout(this.timer);
    const wait = Math.max(0, Math.min(DEBOUNCE_MS, this.firstPendingAt + MAX_WAIT_MS - Date.now()));
    this.timer = setTimeout(() => this.flush(), wait);
  }

  private flush(): void {
    const paths = [...this.pending];
    this.pending.clear();
    void this.serialize(async () => {
      try {
        const result = await this.indexer.applyChanges(this.resolved.sources, paths);
        this.onChange(result);
      } catch (error) {
        this.onError(`indexing ${paths.length} changed file(s): ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
      }
    });
  }

  /** One index operation at a time: a watcher batch never interleaves with a full refresh. */
  private serialize<T>(task: () => Promise<T>): Promise<T> {
    const next = this.running.then(task, task);
    this.running = next.catch(() => undefined);
    return next;
  }

  /** Runs matching a query, sorted. Throws QuerySyntaxError (with a column) for a bad filter or order. */
  runs(query: RunQuery = {}): RunSummary[] {
    let runs = this.repo.runs();
    if (!query.includeDeleted) {
      const deletedExperiments = new Set(this.repo.experiments().filter((e) => e.lifecycleStage === 'deleted').map((e) => `${e.sourceId}/${e.experimentId}`));
      runs = runs.filter((r) => r.lifecycleStage === 'active' && !deletedExperiments.has(`${r.sourceId}/${r.experimentId}`));
    }
    const filtered = query.filter?.trim() ? filterRuns(runs, query.filter) : runs;
    return query.orderBy?.trim() ? sortRuns(filtered, parseOrderBy(query.orderBy)) : filtered.sort(newestFirst);
  }

  async close(): Promise<void> {
    clearTimeout(this.timer);
    clearInterval(this.pollTimer);
    clearInterval(this.databaseTimer);
    this.watching = false;
    await Promise.all(this.watchers.map((w) => w.close()));
    await this.running;
    this.db.close();
  }
}

function newestFirst(a: RunSummary, b: RunSummary): number {
  return (b.startTime ?? 0) - (a.startTime ?? 0) || (a.runId < b.runId ? -1 : a.runId > b.runId ? 1 : 0);
}
