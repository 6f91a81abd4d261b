import { readdirSync, statSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import type { TrackingSource, TrackingSourceKind } from '../contract';
import { manifestText, parseManifest } from '../manifest/parse';
import { scanWorkspace } from '../workspace/scan';
import { databaseKind } from './sqlite-read';
import { listTensorboardRuns } from './tensorboard';
import { RUN_FOLDER } from './wandb';

export interface ResolvedSources {
  sources: TrackingSource[];
  /** Entries of `tracking:` that could not be used, with why. */
  problems: { manifest: string; entry: string; reason: string }[];
}

/**
 * The tracking sources of a workspace: those listed under `tracking:` in its manifests (relative to
 * the manifest, kept inside the workspace), or, when no manifest lists any, those found by scanning.
 */
export function resolveTrackingSources(workspaceRoot: string): ResolvedSources {
  const scan = scanWorkspace(workspaceRoot);
  const problems: ResolvedSources['problems'] = [];
  const listed: TrackingSource[] = [];
  for (const manifest of scan.manifests) {
    for (const entry of trackingEntries(manifest)) {
      const resolved = resolveEntry(workspaceRoot, manifest, entry);
      if ('reason' in resolved) problems.push({ manifest, entry: entry.path, reason: resolved.reason });
      else listed.push(resolved);
    }
  }
  const sources = listed.length > 0 ? listed : scan.trackingSources;
  return { sources: dedupe(sources), problems };
}

/** A `tracking:` entry: a path or URL, or a path with the tool named (`optuna: study.db`). */
interface TrackingEntry {
  path: string;
  kind?: TrackingSourceKind;
}

const NAMED_KINDS: Record<string, TrackingSourceKind> = { optuna: 'optuna-sqlite', tensorboard: 'tensorboard', wandb: 'wandb' };

function trackingEntries(manifest: string): TrackingEntry[] {
  const text = manifestText(manifest);
  if (text === undefined) return [];
  try {
    const tracking = parseManifest(text).document?.toJS()?.tracking as unknown;
    if (!Array.isArray(tracking)) return [];
    return tracking.flatMap((t): TrackingEntry[] => {
      if (typeof t === 'string') return t.trim() !== '' ? [{ path: t }] : [];
      if (t && typeof t === 'object' && !Array.isArray(t)) {
        const entries = Object.entries(t as Record<string, unknown>);
        if (entries.length === 1 && NAMED_KINDS[entries[0][0]] && typeof entries[0][1] === 'string' && entries[0][1].trim() !== '') return [{ path: entries[0][1], kind: NAMED_KINDS[entries[0][0]] }];
      }
      return []; // the editor flags it (tracking-entry)
    });
  } catch {
    return []; // toJS() refuses some documents (too many aliases): no entries, as for an unreadable file
  }
}

function resolveEntry(workspaceRoot: string, manifest: string, { path: entry, kind: named }: TrackingEntry): TrackingSource | { reason: string } {
  if (!named && /^[a-z][a-z0-9+.-]*:\/\//i.test(entry)) {
    const url = trackingServerUrl(entry);
    return 'reason' in url ? url : { kind: 'mlflow-server', path: url.url };
  }
  const path = resolve(dirname(manifest), entry);
  const rel = relative(workspaceRoot, path);
  if (rel.startsWith('..') || isAbsolute(rel)) return { reason: `${entry} is outside the workspace` };
  const kind = named ?? kindOf(path);
  return kind ? { kind, path } : { reason: `${entry} is not an MLflow store (mlruns/), an MLflow or Optuna database (.db), a TensorBoard log folder, a W&B wandb/ folder or a folder of .jsonl run logs` };
}

/**
 * An MLflow tracking server's address as the index keys it (no trailing slash), or why it cannot be
 * used: only http and https, and no credentials in the URL (the token comes from MLFLOW_TRACKING_TOKEN
 * or the editor's secret storage, never from a file).
 */
export function trackingServerUrl(entry: string): { url: string } | { reason: string } {
  let url: URL;
  try {
    url = new URL(entry.trim());
  } catch {
    return { reason: `${entry} is not a valid URL` };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return { reason: `${url.protocol}// is not supported: an MLflow tracking server is reached over http:// or https://` };
  if (url.username || url.password) return { reason: 'credentials do not belong in the URL: set MLFLOW_TRACKING_TOKEN, or the token in the editor (MLOps: Set MLflow Tracking Token)' };
  if (url.search || url.hash) return { reason: `${entry}: give the server's address without a query or fragment` };
  return { url: `${url.origin}${url.pathname.replace(/\/+$/, '')}` };
}

/** Whether a tracking server address is this machine (plain http is fine there). */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return host === 'localhost' || host.endsWith('.localhost') || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** What a path holds, by its shape; undefined when it is none of the known sources or does not exist. */
export function kindOf(path: string): TrackingSourceKind | undefined {
  let isDir: boolean;
  try {
    isDir = statSync(path).isDirectory();
  } catch {
    // Listed but not there yet: logging will create it; the name says what it will be.
    if (/\.(db|sqlite|sqlite3)$/.test(path)) return 'mlflow-sqlite';
    return /(^|[\\/])mlruns[\\/]*$/.test(path) ? 'mlflow-file-store' : 'jsonl-runs';
  }
  if (!isDir) return /\.(db|sqlite|sqlite3)$/.test(path) ? (databaseKind(path) ?? 'mlflow-sqlite') : undefined;
  const base = path.replace(/[\\/]+$/, '').split(/[\\/]/).pop();
  if (base === 'mlruns') return 'mlflow-file-store';
  try {
    const names = readdirSync(path);
    if (names.some((n) => n.endsWith('.jsonl'))) return 'jsonl-runs';
    if (names.some((n) => /^\d+$/.test(n))) return 'mlflow-file-store';
    if (names.some((n) => RUN_FOLDER.test(n))) return 'wandb';
    if (listTensorboardRuns(path).length > 0) return 'tensorboard';
  } catch {
    return undefined;
  }
  return 'jsonl-runs'; // an empty folder listed under tracking: runs will appear there
}

function dedupe(sources: TrackingSource[]): TrackingSource[] {
  const seen = new Set<string>();
  return sources.filter((s) => (seen.has(s.path) ? false : (seen.add(s.path), true)));
}
