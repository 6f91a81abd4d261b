import { readdirSync, statSync, type Dirent } from 'node:fs';
import { basename, dirname, join, sep } from 'node:path';
import type { TrackingSource } from '../contract';
import { isManifestPath } from '../manifest/parse';
import { databaseKind } from '../tracking/sqlite-read';
import { EVENT_FILE, MERGED_SUBFOLDERS } from '../tracking/tensorboard';
import { listWandbRuns } from '../tracking/wandb';

/** Folders that never hold a project's own manifests or run logs, and can be huge. */
const SKIPPED_FOLDERS = new Set(['node_modules', '.git', '.hg', '.svn', '.mlops', '.venv', 'venv', '__pycache__', '.e2e', '.tox']);

/** Bounds that keep a scan of a pathological tree from stalling the server. */
const MAX_DEPTH = 16;
const MAX_ENTRIES = 200_000;

export interface ScanResult {
  manifests: string[];
  trackingSources: TrackingSource[];
  unreadable: { path: string; reason: string }[];
  /** Set when MAX_ENTRIES stopped the walk early. */
  truncated: boolean;
}

/**
 * Walk a workspace folder for mlops.yaml manifests and experiment-tracking sources.
 * Symbolic links to folders are not followed (no loops); unreadable folders are reported, not fatal.
 */
export function scanWorkspace(root: string): ScanResult {
  const result: ScanResult = { manifests: [], trackingSources: [], unreadable: [], truncated: false };
  let seen = 0;

  const visit = (dir: string, depth: number): void => {
    if (depth > MAX_DEPTH || result.truncated) return;
    let entries: Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch (error) {
      result.unreadable.push({ path: dir, reason: describeFsError(error) });
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    if (entries.some((e) => e.isFile() && EVENT_FILE.test(e.name))) {
      // TensorBoard: the folder is a run (or a train/ or validation/ part of one); the source is the folder of runs above it.
      const runDir = MERGED_SUBFOLDERS.has(basename(dir)) && dir !== root ? dirname(dir) : dir;
      const logdir = runDir === root ? root : dirname(runDir);
      if (!result.trackingSources.some((s) => s.kind === 'tensorboard' && (logdir === s.path || logdir.startsWith(s.path + sep)))) {
        result.trackingSources = result.trackingSources.filter((s) => !(s.kind === 'tensorboard' && s.path.startsWith(logdir + sep)));
        result.trackingSources.push({ kind: 'tensorboard', path: logdir });
      }
    }
    for (const entry of entries) {
      if (++seen > MAX_ENTRIES) {
        result.truncated = true;
        return;
      }
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (SKIPPED_FOLDERS.has(entry.name)) continue;
        if (entry.name === 'mlruns') {
          result.trackingSources.push({ kind: 'mlflow-file-store', path });
          continue; // an MLflow store is read by its own reader, not scanned for manifests
        }
        if (entry.name === 'runs' && hasJsonl(path)) result.trackingSources.push({ kind: 'jsonl-runs', path });
        if (entry.name === 'wandb' && listWandbRuns(path).length > 0) {
          result.trackingSources.push({ kind: 'wandb', path });
          continue; // run folders hold logs and media, not manifests
        }
        visit(path, depth + 1);
      } else if (entry.isFile() || entry.isSymbolicLink()) {
        if (isManifestPath(path) && isRegularFile(path)) result.manifests.push(path);
        else if (entry.name === 'mlflow.db' && isRegularFile(path)) result.trackingSources.push({ kind: 'mlflow-sqlite', path });
        else if (/\.(db|sqlite|sqlite3)$/.test(entry.name) && isRegularFile(path)) {
          // Any other database is a source when its tables say so (an Optuna storage has no fixed name).
          const kind = databaseKind(path);
          if (kind) result.trackingSources.push({ kind, path });
        }
      }
    }
  };

  visit(root, 0);
  return result;
}

function hasJsonl(dir: string): boolean {
  try {
    return readdirSync(dir).some((name) => name.endsWith('.jsonl'));
  } catch {
    return false;
  }
}

function isRegularFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** A short, human reason for a file-system error ("permission denied", "no such file"). */
export function describeFsError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'ENOENT':
      return 'no such file or folder';
    case 'ENOTDIR':
      return 'not a folder';
    case 'ELOOP':
      return 'too many symbolic links';
    case 'EISDIR':
      return 'is a folder, not a file';
    default:
      return error instanceof Error ? error.message : String(error);
  }
}
