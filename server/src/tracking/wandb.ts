/**
 * Reader for Weights & Biases run folders (`wandb/run-*` and `wandb/offline-run-*`), without the
 * wandb package.
 *
 * - `files/config.yaml` → params: each key's `value:` wrapper unwrapped, nested values flattened with
 *   dots, wandb's own `_wandb` and `wandb_version` left out.
 * - `files/wandb-summary.json` → the latest value of metrics the history does not have.
 * - `files/wandb-metadata.json` → start time, and host, git commit and program as tags.
 * - `run-<id>.wandb` → the metric histories. It is a LevelDB-style log after a 7-byte header (`:W&B`,
 *   0xBEE1 little-endian, a version byte): 32 KiB blocks of records with a 7-byte header (CRC-32 of
 *   the type byte and the data, uint16 length, type FULL/FIRST/MIDDLE/LAST), zero padding at block
 *   ends; each whole record is a `wandb_internal.Record`. History records give the metrics by `_step`
 *   at `_timestamp`; the run record the run's name, project and host; the exit record its status. A log
 *   cut off (a run still writing, or killed) reads up to its last whole record.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { crc32 } from 'node:zlib';
import { messageDecoder } from '../util/protobuf';
import type { ExperimentRecord, MetricPoint, ReadIssue, RunRecord } from './model';
import { flattenParams, readParamsYaml } from './yaml-params';

export const RUN_FOLDER = /^(offline-)?run-\d{8}_\d{6}-([A-Za-z0-9]+)$/;
const BLOCK = 32 * 1024;
const HEADER = 7;
const FULL = 1;
const FIRST = 2;
const MIDDLE = 3;
const LAST = 4;

const RECORD_PROTO = `
syntax = "proto3";
package wb;
message Record {
  int64 num = 1;
  oneof record_type {
    HistoryRecord history = 2;
    bytes summary = 3;
    bytes output = 4;
    bytes config = 5;
    bytes files = 6;
    bytes stats = 7;
    bytes artifact = 8;
    bytes tbrecord = 9;
    bytes alert = 10;
    bytes telemetry = 11;
    bytes metric = 12;
    bytes output_raw = 13;
    RunRecord run = 17;
    RunExitRecord exit = 18;
    bytes final = 20;
    bytes header = 21;
    bytes footer = 22;
    bytes preempting = 23;
    bytes link_artifact = 24;
    bytes use_artifact = 25;
    bytes request = 100;
  }
}
message HistoryRecord {
  repeated Item item = 1;
  Step step = 2;
  message Step { int64 num = 1; }
  message Item {
    string key = 1;
    repeated string nested_key = 2;
    string value_json = 16;
  }
}
message RunRecord {
  string run_id = 1;
  string entity = 2;
  string project = 3;
  string display_name = 8;
  string host = 13;
  Timestamp start_time = 17;
  Git git = 21;
  message Git { string remote_url = 1; string commit = 2; }
  message Timestamp { int64 seconds = 1; int32 nanos = 2; }
}
message RunExitRecord {
  int32 exit_code = 1;
  int32 runtime = 2;
}
`;

interface RecordJson {
  num?: number;
  record_type?: string;
  history?: { item?: { key?: string; nested_key?: string[]; value_json?: string }[]; step?: { num?: number } };
  run?: { run_id?: string; entity?: string; project?: string; display_name?: string; host?: string; start_time?: { seconds?: number; nanos?: number }; git?: { remote_url?: string; commit?: string } };
  exit?: { exit_code?: number; runtime?: number };
}

let decoder: ReturnType<typeof messageDecoder<RecordJson>> | undefined;

export interface WandbLog {
  /** Whole records read. */
  records: number;
  /** Records by kind ("history", "stats", "output", …). */
  kinds: Record<string, number>;
  history: MetricPoint[];
  run?: RecordJson['run'];
  exit?: RecordJson['exit'];
}

/** The records of a `.wandb` log; a cut-off end is where reading stops, a bad CRC a read problem. */
export function readWandbLog(path: string, issues: ReadIssue[]): WandbLog {
  const log: WandbLog = { records: 0, kinds: {}, history: [] };
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    issues.push({ path, message: `cannot read the run log (${(error as NodeJS.ErrnoException).code ?? String(error)})` });
    return log;
  }
  if (bytes.length < HEADER || bytes.toString('latin1', 0, 4) !== ':W&B' || bytes.readUInt16LE(4) !== 0xbee1) {
    issues.push({ path, message: 'not a W&B run log: it does not start with the :W&B header' });
    return log;
  }
  let at = HEADER;
  let pending: Buffer[] | undefined;
  while (at + 7 <= bytes.length) {
    const room = BLOCK - (at % BLOCK);
    if (room < 7) {
      at += room; // padding at the end of a block
      continue;
    }
    const crc = bytes.readUInt32LE(at);
    const length = bytes.readUInt16LE(at + 4);
    const type = bytes[at + 6];
    if (length === 0 && type === 0 && crc === 0) {
      at += room; // a zeroed tail of a block
      continue;
    }
    // A record never crosses its block: a longer one is damage, not a log still being written.
    if (length > room - 7) {
      issues.push({ path, message: `byte ${at}: a record of ${length} bytes runs past its block; the rest of the log is not read` });
      break;
    }
    if (at + 7 + length > bytes.length) break; // cut off: the run is still writing, or was killed
    const data = bytes.subarray(at + 7, at + 7 + length);
    if (crc32(data, crc32(Buffer.from([type]))) >>> 0 !== crc) {
      issues.push({ path, message: `byte ${at}: a record does not match its CRC; the rest of the log is not read` });
      break;
    }
    at += 7 + length;
    if (type === FULL) apply(data, log, path, issues, at);
    else if (type === FIRST) pending = [data];
    else if (type === MIDDLE && pending) pending.push(data);
    else if (type === LAST && pending) {
      apply(Buffer.concat([...pending, data]), log, path, issues, at);
      pending = undefined;
    } else {
      issues.push({ path, message: `byte ${at - 7 - length}: a record of unknown type ${type}, or a part without its start; skipped` });
      pending = undefined;
    }
  }
  return log;
}

function apply(data: Buffer, log: WandbLog, path: string, issues: ReadIssue[], end: number): void {
  let record: RecordJson;
  try {
    record = (decoder ??= messageDecoder<RecordJson>(RECORD_PROTO, 'wb.Record')).decode(data);
  } catch (error) {
    issues.push({ path, message: `record ending at byte ${end}: not a W&B record (${error instanceof Error ? error.message : String(error)}); skipped` });
    return;
  }
  log.records++;
  const kind = record.record_type ?? 'unknown';
  log.kinds[kind] = (log.kinds[kind] ?? 0) + 1;
  if (record.run) log.run = { ...log.run, ...record.run };
  if (record.exit) log.exit = record.exit;
  if (record.history) {
    const values = new Map<string, unknown>();
    for (const item of record.history.item ?? []) {
      const key = item.nested_key && item.nested_key.length > 0 ? item.nested_key.join('.') : (item.key ?? '');
      const json = item.value_json ?? 'null';
      // Python's json writes non-finite floats bare.
      if (json === 'NaN' || json === 'Infinity' || json === '-Infinity') {
        values.set(key, Number(json));
        continue;
      }
      try {
        values.set(key, JSON.parse(json));
      } catch {
        // a value that is not JSON: not a number to chart
      }
    }
    const step = typeof values.get('_step') === 'number' ? (values.get('_step') as number) : (record.history.step?.num ?? log.history.length);
    const seconds = values.get('_timestamp');
    const timestamp = typeof seconds === 'number' ? Math.round(seconds * 1000) : 0;
    for (const [key, value] of values) {
      if (key.startsWith('_')) continue;
      const number = numeric(value);
      if (number !== undefined) log.history.push({ key, value: number, timestamp, step });
    }
  }
}

/** Numbers only: text, booleans, media and tables are not metrics. */
function numeric(value: unknown): number | undefined {
  return typeof value === 'number' ? value : undefined;
}

// ---------------------------------------------------------------------------------------------
// Runs

/** Run folders in a `wandb/` folder, oldest first. */
export function listWandbRuns(root: string): string[] {
  try {
    return readdirSync(root)
      .filter((n) => RUN_FOLDER.test(n))
      .sort((a, b) => a.replace(/^offline-/, '').localeCompare(b.replace(/^offline-/, '')))
      .map((n) => join(root, n));
  } catch {
    return [];
  }
}

/** `wandb:<id>`, the id from the folder's name (`run-20260329_145949-0w7qaruh`). */
export function wandbRunId(dir: string): string {
  return `wandb:${RUN_FOLDER.exec(basename(dir))?.[2] ?? basename(dir)}`;
}

export function wandbFingerprint(dir: string): string {
  return ['files/config.yaml', 'files/wandb-summary.json', 'files/wandb-metadata.json', ...logFiles(dir)]
    .map((f) => {
      try {
        const st = statSync(join(dir, f));
        return `${f}:${st.size}:${st.mtimeMs}`;
      } catch {
        return `${f}:-`;
      }
    })
    .join('|');
}

function logFiles(dir: string): string[] {
  try {
    return readdirSync(dir).filter((n) => n.endsWith('.wandb')).sort();
  } catch {
    return [];
  }
}

export function wandbExperiment(project: string): ExperimentRecord {
  return { experimentId: `wandb:${project}`, name: project, artifactLocation: null, lifecycleStage: 'active', creationTime: null, lastUpdateTime: null, tags: {} };
}

/** One run folder as a run, with what it could not read. */
export function readWandbRun(dir: string): { run: RunRecord; experiment: ExperimentRecord; issues: ReadIssue[] } {
  const issues: ReadIssue[] = [];
  const runId = wandbRunId(dir);
  const id = runId.slice('wandb:'.length);
  const files = join(dir, 'files');
  const params = configParams(join(files, 'config.yaml'), issues);
  const summary = jsonFile(join(files, 'wandb-summary.json'), issues);
  const metadata = jsonFile(join(files, 'wandb-metadata.json'), issues);
  const logs = logFiles(dir).map((f) => readWandbLog(join(dir, f), issues));
  const log: WandbLog = logs.reduce<WandbLog>((a, b) => ({ records: a.records + b.records, kinds: { ...a.kinds, ...b.kinds }, history: [...a.history, ...b.history], run: { ...a.run, ...b.run }, exit: b.exit ?? a.exit }), { records: 0, kinds: {}, history: [] });

  const tags: Record<string, string> = { 'wandb.records': String(log.records) };
  const text = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
  const host = text(log.run?.host) ?? text(metadata?.host);
  const commit = text(log.run?.git?.commit) ?? text((metadata?.git as Record<string, unknown> | undefined)?.commit);
  const program = text(metadata?.program) ?? text(metadata?.codePath);
  if (host) tags['wandb.host'] = host;
  if (commit) tags['wandb.git.commit'] = commit;
  if (program) tags['wandb.program'] = program;
  if (text(log.run?.entity)) tags['wandb.entity'] = log.run!.entity!;
  if (basename(dir).startsWith('offline-')) tags['wandb.offline'] = 'true';

  const metrics = [...log.history];
  const lastTimestamp = metrics.reduce((m, p) => Math.max(m, p.timestamp), 0);
  const lastStep = metrics.reduce((m, p) => Math.max(m, p.step), 0);
  const summaryTime = typeof summary?._timestamp === 'number' ? Math.round(summary._timestamp * 1000) : lastTimestamp;
  const inHistory = new Set(metrics.map((m) => m.key));
  for (const [key, value] of Object.entries(summary ?? {})) {
    if (key.startsWith('_') || inHistory.has(key)) continue;
    const number = numeric(value);
    if (number !== undefined) metrics.push({ key, value: number, timestamp: summaryTime, step: lastStep });
  }

  const started = text(metadata?.startedAt);
  const startTime = log.run?.start_time?.seconds ? log.run.start_time.seconds * 1000 + Math.floor((log.run.start_time.nanos ?? 0) / 1e6) : started ? Date.parse(started.endsWith('Z') ? started : `${started}Z`) : null;
  const runtime = typeof summary?._runtime === 'number' ? summary._runtime : log.exit?.runtime;
  const project = text(log.run?.project) ?? 'wandb';
  const experiment = wandbExperiment(project);
  return {
    run: {
      runId,
      experimentId: experiment.experimentId,
      name: text(log.run?.display_name) ?? id,
      status: log.exit ? ((log.exit.exit_code ?? 0) === 0 ? 'FINISHED' : 'FAILED') : 'RUNNING',
      startTime: startTime !== null && Number.isFinite(startTime) ? startTime : null,
      endTime: log.exit && startTime !== null && typeof runtime === 'number' ? startTime + runtime * 1000 : null,
      lifecycleStage: 'active',
      artifactUri: null,
      parentRunId: null,
      userId: null,
      params,
      tags,
      metrics,
    },
    experiment,
    issues,
  };
}

/** config.yaml: `key: {desc, value}` per entry (older files) or plain values; nested values flattened. */
function configParams(path: string, issues: ReadIssue[]): Record<string, string> {
  const doc = readParamsYaml(path, issues);
  const out: Record<string, string> = {};
  if (!doc || typeof doc !== 'object') return out;
  for (const [key, entry] of Object.entries(doc as Record<string, unknown>)) {
    if (key === '_wandb' || key === 'wandb_version') continue;
    const value = entry !== null && typeof entry === 'object' && 'value' in (entry as object) ? (entry as { value: unknown }).value : entry;
    flattenParams(value, key, out);
  }
  return out;
}

function jsonFile(path: string, issues: ReadIssue[]): Record<string, unknown> | undefined {
  if (!existsSync(path)) return undefined;
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as unknown;
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
  } catch (error) {
    issues.push({ path, message: `not JSON (${error instanceof Error ? error.message : String(error)}); left out` });
    return undefined;
  }
}
