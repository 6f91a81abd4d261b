import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import type { TrackingSource } from '../contract';
import { readJsonlRun, type JsonlState } from './jsonl';
import { listFileStore, readFileStoreRegistry, readLoggedModels, type FileStamp } from './mlflow-files';
import { fingerprintOf, readRunFolder, type PackedRun, type RunFolderRead } from './packed-run';
import { readRunFolders, readTensorboardRuns } from './read-pool';
import { readMlflowDatabase } from './mlflow-sqlite';
import { readOptunaDatabase } from './optuna-sqlite';
import { databaseFingerprint } from './sqlite-read';
import type { TrackingSnapshot } from './model';
import { listWandbRuns, readWandbRun, wandbExperiment, wandbFingerprint, wandbRunId } from './wandb';
import { eventBytes, listTensorboardRuns, readEventFile, readTensorboardRunFromStart, ScalarColumns, type TensorboardRunFolder, tensorboardExperiment, tensorboardFingerprint, tensorboardRun, tensorboardRunId, type EventFileState } from './tensorboard';
import { MlflowServerError, readMlflowServer, type RemoteOptions } from './mlflow-rest';
import type { ReadIssue } from './model';
import type { TrackingRepository } from './repository';

export interface IndexProgress {
  done: number;
  total: number;
  source: string;
}

export interface SyncResult {
  runsRead: number;
  runsUnchanged: number;
  runsDeleted: number;
  /** Issues met in this pass (also stored, so the tree can mark the affected items). */
  newIssues: ReadIssue[];
}

/** Folders of an MLflow run that hold what we index; artifacts can be huge and are never read. */
const RUN_PARTS = ['meta.yaml', 'metrics', 'params', 'tags'];

/**
 * Brings the index in line with the tracking sources. Each run is re-read only when its files
 * changed (a fingerprint of names, sizes and modification times); JSONL logs continue from the byte
 * offset where the last read stopped.
 */
export class TrackingIndexer {
  private readonly jsonl = new Map<string, JsonlState>();
  /** Per event file: where its read stopped, and its problems so far. Its points are in the index. */
  private readonly tfevents = new Map<string, { state: EventFileState; issues: ReadIssue[] }>();
  /** Per TensorBoard run: the event files its stored history was read from. */
  private readonly tensorboardRunFiles = new Map<string, string[]>();
  /** How MLflow tracking servers are reached (token, page size, timeout). */
  remote: RemoteOptions = {};

  /** `workerDir`: where the read worker script is; see read-pool.ts. */
  constructor(
    private readonly repo: TrackingRepository,
    private readonly workerDir?: string,
  ) {}

  async sync(sources: TrackingSource[], onProgress?: (p: IndexProgress) => void): Promise<SyncResult> {
    const result: SyncResult = { runsRead: 0, runsUnchanged: 0, runsDeleted: 0, newIssues: [] };
    const wanted = new Set(sources.map((s) => s.path));
    for (const stored of this.repo.sources()) {
      if (!wanted.has(stored.path)) this.repo.deleteSource(stored.id);
    }
    for (const source of sources) await this.syncSource(source, result, onProgress);
    return result;
  }

  /** Re-read what the changed paths touch. Paths outside every source are ignored. */
  async applyChanges(sources: TrackingSource[], paths: Iterable<string>): Promise<SyncResult> {
    const result: SyncResult = { runsRead: 0, runsUnchanged: 0, runsDeleted: 0, newIssues: [] };
    const bySource = new Map<TrackingSource, Set<string>>();
    for (const path of paths) {
      const source = sources.find((s) => path === s.path || path.startsWith(s.path + sep) || path.startsWith(s.path + '-')); // mlflow.db-wal
      if (!source) continue;
      const set = bySource.get(source) ?? new Set<string>();
      set.add(path);
      bySource.set(source, set);
    }
    for (const [source, changed] of bySource) {
      if (source.kind === 'mlflow-file-store') await this.applyFileStoreChanges(source, changed, result);
      else if (source.kind === 'jsonl-runs') this.syncJsonlFiles(source, [...changed].filter((p) => p.endsWith('.jsonl')), result, false);
      else await this.syncSource(source, result);
    }
    return result;
  }

  /** Read the given tracking servers again (the poll); other sources are left as they are. */
  async syncRemote(sources: TrackingSource[]): Promise<SyncResult> {
    const result: SyncResult = { runsRead: 0, runsUnchanged: 0, runsDeleted: 0, newIssues: [] };
    for (const source of sources) if (source.kind === 'mlflow-server') await this.syncSource(source, result);
    return result;
  }

  private async syncSource(source: TrackingSource, result: SyncResult, onProgress?: (p: IndexProgress) => void): Promise<void> {
    const sourceId = this.repo.ensureSource(source.kind, source.path);
    if (source.kind === 'mlflow-server') return this.syncServer(source, sourceId, result);
    if (!existsSync(source.path)) {
      // A JSONL folder appears with the first run logged; an MLflow store that vanished is worth a word.
      const issues = source.kind === 'jsonl-runs' ? [] : [{ path: source.path, message: `${source.path} does not exist` }];
      this.repo.transaction(() => {
        this.repo.deleteAllRuns(sourceId);
        this.repo.replaceIssues(sourceId, '', issues);
      });
      return;
    }
    switch (source.kind) {
      case 'mlflow-file-store':
        return this.syncFileStore(source, sourceId, result, onProgress);
      case 'mlflow-sqlite':
        return this.syncDatabase(source, sourceId, result, readMlflowDatabase);
      case 'optuna-sqlite':
        return this.syncDatabase(source, sourceId, result, readOptunaDatabase);
      case 'jsonl-runs':
        return this.syncJsonlFiles(source, listJsonl(source.path), result, true);
      case 'tensorboard':
        return this.syncTensorboard(source, sourceId, result, onProgress);
      case 'wandb':
        return this.syncWandb(source, sourceId, result);
    }
  }

  // ---- MLflow file store

  private async syncFileStore(source: TrackingSource, sourceId: number, result: SyncResult, onProgress?: (p: IndexProgress) => void): Promise<void> {
    const listing = listFileStore(source.path);
    const registry = readFileStoreRegistry(source.path);
    const logged = readLoggedModels(source.path);
    this.repo.transaction(() => {
      this.repo.replaceExperiments(sourceId, listing.experiments);
      this.repo.replaceRegistry(sourceId, registry.models);
      this.repo.replaceLoggedModels(sourceId, logged.models);
      this.repo.replaceIssues(sourceId, '', [...listing.issues, ...registry.issues, ...logged.issues]);
    });
    result.newIssues.push(...listing.issues, ...registry.issues, ...logged.issues);

    const known = this.repo.runFingerprints(sourceId);
    const present = new Set(listing.runDirs.map((r) => r.runId));
    const stale = [...known.keys()].filter((id) => !present.has(id));
    this.repo.transaction(() => {
      for (const runId of stale) {
        this.repo.deleteRun(sourceId, runId);
        this.repo.replaceIssues(sourceId, runUnit(runId), []);
      }
    });
    result.runsDeleted += stale.length;

    // A run seen before is re-read only when a stat pass says its files changed.
    const toRead = listing.runDirs.filter(({ runId, dir }) => {
      const unchanged = known.has(runId) && known.get(runId) === fingerprintRun(dir);
      if (unchanged) result.runsUnchanged++;
      return !unchanged;
    });
    let done = listing.runDirs.length - toRead.length;
    for await (const reads of readRunFolders(toRead, this.workerDir)) {
      this.repo.transaction(() => {
        for (const read of reads) this.storeRunFolder(sourceId, read, result);
      });
      done += reads.length;
      onProgress?.({ done, total: listing.runDirs.length, source: source.path });
      await yieldToEventLoop();
    }
  }

  private storeRunFolder(sourceId: number, read: RunFolderRead, result: SyncResult): void {
    const located = read.issues.map((i) => ({ ...i, runId: i.runId ?? read.runId, experimentId: i.experimentId ?? read.experimentId }));
    if (read.packed) {
      this.repo.replacePackedRun(sourceId, read.packed, read.fingerprint);
      result.runsRead++;
    } else {
      this.repo.deleteRun(sourceId, read.runId);
    }
    this.repo.replaceIssues(sourceId, runUnit(read.runId), located);
    result.newIssues.push(...located);
  }

  private async applyFileStoreChanges(source: TrackingSource, changed: Set<string>, result: SyncResult): Promise<void> {
    const sourceId = this.repo.ensureSource(source.kind, source.path);
    const runDirs = new Map<string, { experimentId: string; runId: string }>();
    let relist = false;
    for (const path of changed) {
      const parts = relative(source.path, path).split(sep).filter(Boolean);
      if (parts.length === 0 || parts[0] === '.trash') {
        relist ||= parts.length === 0;
        continue;
      }
      // Experiment-level files, the registry and MLflow 3 logged models: re-list the store (cheap: no run is re-read unless it changed).
      if (parts.length === 1 || parts[0] === 'models' || ['meta.yaml', 'tags', 'models'].includes(parts[1])) {
        relist = true;
        continue;
      }
      runDirs.set(join(source.path, parts[0], parts[1]), { experimentId: parts[0], runId: parts[1] });
    }
    if (relist) return this.syncFileStore(source, sourceId, result);
    this.repo.transaction(() => {
      for (const [dir, { experimentId, runId }] of runDirs) {
        if (!existsSync(join(dir, 'meta.yaml'))) {
          this.repo.deleteRun(sourceId, runId);
          this.repo.replaceIssues(sourceId, runUnit(runId), []);
          result.runsDeleted++;
          continue;
        }
        this.storeRunFolder(sourceId, readRunFolder(dir, runId, experimentId), result);
      }
    });
  }

  // ---- MLflow SQLite database

  private async syncDatabase(source: TrackingSource, sourceId: number, result: SyncResult, read: (path: string) => TrackingSnapshot): Promise<void> {
    const fingerprint = databaseFingerprint(source.path);
    const stored = this.repo.sources().find((s) => s.id === sourceId);
    if (stored?.fingerprint === fingerprint) {
      result.runsUnchanged += this.repo.runFingerprints(sourceId).size;
      return;
    }
    const snapshot = read(source.path);
    // A locked or unreadable database keeps what was indexed before; only the issue is recorded.
    const failed = snapshot.runs.length === 0 && snapshot.experiments.length === 0 && snapshot.issues.length > 0;
    this.repo.transaction(() => {
      this.repo.replaceIssues(sourceId, '', snapshot.issues);
      if (failed) return;
      this.repo.replaceExperiments(sourceId, snapshot.experiments);
      this.repo.deleteAllRuns(sourceId);
      for (const run of snapshot.runs) this.repo.insertRun(sourceId, run, null);
      this.repo.replaceRegistry(sourceId, snapshot.registeredModels);
      this.repo.replaceLoggedModels(sourceId, snapshot.loggedModels);
      this.repo.setSourceFingerprint(sourceId, fingerprint);
    });
    result.newIssues.push(...snapshot.issues);
    if (!failed) result.runsRead += snapshot.runs.length;
  }

  // ---- MLflow tracking server (REST)

  private async syncServer(source: TrackingSource, sourceId: number, result: SyncResult): Promise<void> {
    const known = this.repo.runFingerprints(sourceId);
    let read;
    try {
      read = await readMlflowServer(source.path, this.remote, known);
    } catch (error) {
      // Unreachable, refused or garbled: what was indexed before stays; the problem is recorded once per change.
      const message = error instanceof MlflowServerError ? error.message : `reading ${source.path}: ${error instanceof Error ? error.message : String(error)}`;
      const issue = { path: source.path, message };
      this.repo.replaceIssues(sourceId, '', [issue]);
      result.newIssues.push(issue);
      result.runsUnchanged += known.size;
      return;
    }
    const present = new Set(read.runs.map((r) => r.runId));
    this.repo.transaction(() => {
      this.repo.replaceIssues(sourceId, '', read.issues);
      this.repo.replaceExperiments(sourceId, read.experiments);
      for (const runId of known.keys()) {
        if (present.has(runId)) continue;
        this.repo.deleteRun(sourceId, runId);
        result.runsDeleted++;
      }
      for (const remote of read.runs) {
        if (!remote.run) {
          result.runsUnchanged++;
          continue;
        }
        this.repo.replaceRun(sourceId, remote.run, remote.fingerprint);
        result.runsRead++;
      }
      this.repo.replaceRegistry(sourceId, read.registeredModels);
    });
    result.newIssues.push(...read.issues);
  }

  // ---- TensorBoard event files (a run per folder; files read on from where the last read stopped)

  private async syncTensorboard(source: TrackingSource, sourceId: number, result: SyncResult, onProgress?: (p: IndexProgress) => void): Promise<void> {
    const runs = listTensorboardRuns(source.path);
    const known = this.repo.runFingerprints(sourceId);
    const present = new Set(runs.map((r) => tensorboardRunId(source.path, r.dir)));
    this.repo.transaction(() => {
      this.repo.replaceExperiments(sourceId, runs.length > 0 ? [tensorboardExperiment(source.path)] : []);
      for (const runId of known.keys()) {
        if (present.has(runId)) continue;
        this.repo.deleteRun(sourceId, runId);
        this.repo.replaceIssues(sourceId, runUnit(runId), []);
        for (const file of this.tensorboardRunFiles.get(runId) ?? []) this.tfevents.delete(file);
        this.tensorboardRunFiles.delete(runId);
        result.runsDeleted++;
      }
    });
    const changed = runs
      .map((run) => ({ run, runId: tensorboardRunId(source.path, run.dir), fingerprint: tensorboardFingerprint(run) }))
      .filter(({ runId, fingerprint }) => known.get(runId) !== fingerprint);
    result.runsUnchanged += runs.length - changed.length;
    // Read positions advance only once the points read are stored: a failed write reads them again.
    const store = (read: { runId: string; packed: PackedRun; files: { file: string; state: EventFileState; issues: ReadIssue[] }[] }, fingerprint: string) => {
      const issues = read.files.flatMap((f) => f.issues);
      this.repo.replacePackedRun(sourceId, read.packed, fingerprint);
      this.repo.replaceIssues(sourceId, runUnit(read.runId), issues.map((i) => ({ ...i, runId: read.runId, experimentId: read.packed.run.experimentId })));
      result.runsRead++;
      return () => {
        for (const f of read.files) this.tfevents.set(f.file, { state: f.state, issues: f.issues });
        this.tensorboardRunFiles.set(read.runId, read.files.map((f) => f.file));
      };
    };
    // A live run's appended records: small reads on top of its stored history, on this thread.
    const live = changed.filter(({ run, runId }) => this.continuesTensorboardRun(run, runId, known.has(runId)));
    const commits: (() => void)[] = [];
    this.repo.transaction(() => {
      for (const { run, runId, fingerprint } of live) {
        const read = this.readOnTop(source.path, run, runId);
        result.newIssues.push(...read.newIssues);
        commits.push(store(read, fingerprint));
      }
    });
    for (const commit of commits) commit();
    // Everything else from the files' starts, on worker threads when there is much to read.
    const fromStart = changed.filter((c) => !live.includes(c));
    const fingerprints = new Map(fromStart.map((c) => [c.runId, c.fingerprint]));
    const bytes = fromStart.reduce((n, c) => n + eventBytes(c.run), 0);
    let done = runs.length - fromStart.length;
    for await (const reads of readTensorboardRuns(fromStart.map(({ run }) => ({ root: source.path, run })), bytes, this.workerDir)) {
      const stored = this.repo.transaction(() => reads.map((read) => store(read, fingerprints.get(read.runId)!)));
      for (const commit of stored) commit();
      for (const read of reads) result.newIssues.push(...read.files.flatMap((f) => f.issues));
      done += reads.length;
      onProgress?.({ done, total: runs.length, source: source.path });
      await yieldToEventLoop();
    }
  }

  /** Whether a changed run can be read on from where its files' reads stopped: none of them gone. */
  private continuesTensorboardRun(run: TensorboardRunFolder, runId: string, stored: boolean): boolean {
    const before = this.tensorboardRunFiles.get(runId);
    return stored && before !== undefined && before.every((f) => run.files.some((x) => x.file === f));
  }

  /**
   * A run's files read on from where their last reads stopped, on top of its stored history; from
   * their starts when one of them was replaced or truncated meanwhile.
   */
  private readOnTop(root: string, run: TensorboardRunFolder, runId: string) {
    const base = ScalarColumns.of(this.repo.metricHistory(runId));
    const added = new ScalarColumns();
    const reads = run.files.map(({ file, prefix }) => readEventFile(file, this.tfevents.get(file)?.state, added, prefix));
    if (reads.some((r) => r.restarted)) {
      const again = readTensorboardRunFromStart(root, run);
      return { ...again, newIssues: again.files.flatMap((f) => f.issues) };
    }
    const files = run.files.map(({ file }, i) => ({ file, state: reads[i].state, issues: [...(this.tfevents.get(file)?.issues ?? []), ...reads[i].issues] }));
    const packed = tensorboardRun(root, run, files.map((f) => f.state), [base, added], files.flatMap((f) => f.issues));
    return { runId, packed, files, newIssues: reads.flatMap((r) => r.issues) };
  }

  // ---- W&B run folders (each read again when its files changed)

  private syncWandb(source: TrackingSource, sourceId: number, result: SyncResult): void {
    const dirs = listWandbRuns(source.path);
    const known = this.repo.runFingerprints(sourceId);
    const present = new Set<string>();
    this.repo.transaction(() => {
      for (const dir of dirs) {
        const runId = wandbRunId(dir);
        const fingerprint = wandbFingerprint(dir);
        present.add(runId);
        // Only a run whose files changed is read (its log can be large).
        if (known.get(runId) === fingerprint) {
          result.runsUnchanged++;
          continue;
        }
        const read = readWandbRun(dir);
        this.repo.replaceRun(sourceId, read.run, fingerprint);
        const located = read.issues.map((i) => ({ ...i, runId: read.run.runId, experimentId: read.run.experimentId }));
        this.repo.replaceIssues(sourceId, runUnit(read.run.runId), located);
        result.newIssues.push(...located);
        result.runsRead++;
      }
      for (const runId of known.keys()) {
        if (present.has(runId)) continue;
        this.repo.deleteRun(sourceId, runId);
        this.repo.replaceIssues(sourceId, runUnit(runId), []);
        result.runsDeleted++;
      }
      // A project is an experiment while a run of it is indexed (the id is `wandb:<project>`).
      this.repo.replaceExperiments(sourceId, this.repo.experimentIdsOfRuns(sourceId).map((id) => wandbExperiment(id.slice('wandb:'.length))));
    });
  }

  // ---- JSONL run logs (one file per run)

  private syncJsonlFiles(source: TrackingSource, files: string[], result: SyncResult, complete: boolean): void {
    const sourceId = this.repo.ensureSource(source.kind, source.path);
    // A JSONL run's fingerprint records its file, so a deleted or renamed file finds its run.
    const stored = new Map<string, { runId: string; fingerprint: string }>();
    for (const [runId, fingerprint] of this.repo.runFingerprints(sourceId)) {
      if (fingerprint) stored.set((JSON.parse(fingerprint) as { file: string }).file, { runId, fingerprint });
    }
    const forget = (file: string) => {
      const gone = stored.get(file);
      if (gone) {
        this.repo.deleteRun(sourceId, gone.runId);
        result.runsDeleted++;
      }
      this.jsonl.delete(file);
      this.repo.replaceIssues(sourceId, file, []);
    };
    this.repo.transaction(() => {
      for (const file of files) {
        if (!existsSync(file)) {
          forget(file);
          continue;
        }
        const fingerprint = fileFingerprint(file);
        if (stored.get(file)?.fingerprint === fingerprint) {
          result.runsUnchanged++;
          continue;
        }
        // Continue from where the last read stopped, unless the file was truncated or rewritten.
        let previous = this.jsonl.get(file);
        if (previous && statSync(file).size < previous.offset) previous = undefined;
        const read = readJsonlRun(file, previous);
        this.jsonl.set(file, read.state);
        if (read.run) {
          const old = stored.get(file);
          if (old && old.runId !== read.run.runId) this.repo.deleteRun(sourceId, old.runId);
          this.repo.replaceRun(sourceId, read.run, fingerprint);
          result.runsRead++;
        }
        // Issues of earlier reads of the same file stay until the file is read from its start again.
        const kept = previous ? this.repo.issues().filter((i) => i.path === file) : [];
        this.repo.replaceIssues(sourceId, file, [...kept, ...read.issues]);
        result.newIssues.push(...read.issues);
      }
      if (complete) {
        const present = new Set(files);
        for (const file of stored.keys()) if (!present.has(file)) forget(file);
      }
      // JSONL experiments are named, not numbered: the name is the id.
      this.repo.replaceExperiments(
        sourceId,
        this.repo.experimentIdsOfRuns(sourceId).map((name) => ({ experimentId: name, name, artifactLocation: null, lifecycleStage: 'active', creationTime: null, lastUpdateTime: null, tags: {} })),
      );
    });
  }
}

function runUnit(runId: string): string {
  return `run:${runId}`;
}

/** Names, sizes and modification times of the files that make up a run (artifacts excluded), by a stat pass. */
export function fingerprintRun(dir: string): string {
  const stamps: FileStamp[] = [];
  const visit = (path: string, depth: number) => {
    let st;
    try {
      st = statSync(path);
    } catch {
      return;
    }
    if (!st.isDirectory()) {
      if (st.isFile()) stamps.push({ path, size: st.size, mtimeMs: st.mtimeMs });
      return;
    }
    if (depth > 12) return;
    let names: string[];
    try {
      names = readdirSync(path);
    } catch {
      return;
    }
    for (const name of names) visit(join(path, name), depth + 1);
  };
  for (const part of RUN_PARTS) visit(join(dir, part), 0);
  return fingerprintOf(dir, stamps);
}

function fileFingerprint(file: string): string {
  const st = statSync(file);
  return JSON.stringify({ file, size: st.size, mtime: st.mtimeMs });
}

function listJsonl(dir: string): string[] {
  try {
    return readdirSync(dir)
      .filter((n) => n.endsWith('.jsonl'))
      .sort()
      .map((n) => join(dir, n));
  } catch {
    return [];
  }
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
