import { closeSync, constants, fstatSync, lstatSync, openSync, readdirSync, readSync, statSync, type Dirent, type Stats } from 'node:fs';
import { basename, join } from 'node:path';
import { isMap, isScalar, isSeq, parseDocument } from 'yaml';
import { describeFsError } from '../workspace/scan';
import {
  RUN_STATUS_BY_NUMBER,
  type ExperimentRecord,
  type LifecycleStage,
  type LoggedModelRecord,
  type MetricPoint,
  type ModelVersionRecord,
  type ReadIssue,
  type RegisteredModelRecord,
  type RunRecord,
  type RunStatus,
  type TrackingSnapshot,
} from './model';

/**
 * Reader for MLflow's file store (`mlruns/`, MLflow 1.x to 3.x). The functions are run-granular so an
 * index can re-read only what changed: list the store, then read each run folder on its own.
 * Nothing here throws on bad input: every problem becomes a ReadIssue and the rest is still read.
 */

export interface RunDirEntry {
  experimentId: string;
  runId: string;
  dir: string;
}

export interface FileStoreListing {
  experiments: ExperimentRecord[];
  runDirs: RunDirEntry[];
  issues: ReadIssue[];
}

const META = 'meta.yaml';
/** Top-level folders of a store that are not experiments. */
const NOT_EXPERIMENTS = new Set(['.trash', 'models']);
/** Folders MLflow keeps beside the run folders inside an experiment folder. */
const NOT_RUNS = new Set(['tags', 'datasets', 'traces', 'models']);
const MAX_META_BYTES = 1024 * 1024;
/** Keys nest as folders (`metrics/train/loss`); deeper than this is a loop or an accident. */
const MAX_KEY_DEPTH = 32;
const STATUS_NAMES = new Set<string>(Object.values(RUN_STATUS_BY_NUMBER));
const DELETED_VERSION_STAGE = 'Deleted_Internal';

/** Everything a file store holds, read in one go. */
export function readFileStore(root: string): TrackingSnapshot {
  const listing = listFileStore(root);
  const issues = [...listing.issues];
  const runs: RunRecord[] = [];
  for (const entry of listing.runDirs) {
    const { run, issues: runIssues } = readRunDir(entry.dir, entry.experimentId);
    if (run) runs.push(run);
    issues.push(...runIssues);
  }
  const registry = readFileStoreRegistry(root);
  const logged = readLoggedModels(root);
  issues.push(...registry.issues, ...logged.issues);
  return { experiments: listing.experiments, runs, registeredModels: registry.models, loggedModels: logged.models, issues };
}

export function listFileStore(root: string): FileStoreListing {
  const issues: ReadIssue[] = [];
  const experiments: ExperimentRecord[] = [];
  const runDirs: RunDirEntry[] = [];
  for (const { id, dir } of experimentFolders(root, issues)) {
    experiments.push(readExperiment(dir, id, issues));
    for (const name of subfolders(dir, issues)) {
      if (NOT_RUNS.has(name) || !isFile(join(dir, name, META))) continue;
      runDirs.push({ experimentId: id, runId: name, dir: join(dir, name) });
    }
  }
  return { experiments, runDirs, issues };
}

/** Size and modification time of a file as it was read; an index compares these to skip unchanged runs. */
export interface FileStamp {
  path: string;
  size: number;
  mtimeMs: number;
}

/** Set while readRunDir runs: every file it reads is stamped here, so no second stat pass is needed. */
let stamps: FileStamp[] | undefined;

export function readRunDir(dir: string, experimentId: string): { run: RunRecord | null; issues: ReadIssue[]; files: FileStamp[] } {
  const metrics: MetricPoint[] = [];
  const read = readRunDirInto(dir, experimentId, pointCollector(metrics));
  return { run: read.run ? { ...read.run, metrics } : null, issues: read.issues, files: read.files };
}

/**
 * Receives a run's metric points as they are parsed, key by key, so a caller can keep them in the
 * shape it needs (the index packs them into typed arrays without an object per point).
 */
export interface MetricSink {
  beginKey(key: string): void;
  point(timestamp: number, value: number, step: number): void;
}

/** A run folder read with its metric points handed to `sink`; the record itself carries none. */
export function readRunDirInto(dir: string, experimentId: string, sink: MetricSink): { run: Omit<RunRecord, 'metrics'> | null; issues: ReadIssue[]; files: FileStamp[] } {
  const files: FileStamp[] = [];
  stamps = files;
  try {
    return { ...readRunDirStamped(dir, experimentId, sink), files };
  } finally {
    stamps = undefined;
  }
}

function pointCollector(points: MetricPoint[]): MetricSink {
  let key = '';
  return {
    beginKey: (k) => void (key = k),
    point: (timestamp, value, step) => void points.push({ key, timestamp, value, step }),
  };
}

function readRunDirStamped(dir: string, experimentId: string, sink: MetricSink): { run: Omit<RunRecord, 'metrics'> | null; issues: ReadIssue[] } {
  const runId = basename(dir);
  const issues: ReadIssue[] = [];
  const context = { runId, experimentId };
  const meta = readMeta(join(dir, META), issues, context);
  if (!meta) return { run: null, issues };
  if (meta.run_uuid === undefined && meta.run_id === undefined) {
    // e.g. an experiment's meta.yaml reached through a linked folder: not a run, whatever its place
    issues.push({ path: join(dir, META), message: 'meta.yaml has no run_uuid: not an MLflow run', ...context });
    return { run: null, issues };
  }
  checkIdentity(meta, dir, { run_uuid: runId, run_id: runId, experiment_id: experimentId }, issues, context);

  const params = readKeyedValues(join(dir, 'params'), issues, context);
  const tags = readKeyedValues(join(dir, 'tags'), issues, context);
  for (const { key, path } of listKeyFiles(join(dir, 'metrics'), issues, context)) {
    for (const issue of readMetricInto(path, key, sink)) issues.push({ ...issue, ...context });
  }

  const run = {
    runId,
    experimentId,
    name: tags['mlflow.runName'] ?? str(meta.run_name) ?? str(meta.name) ?? '',
    status: runStatus(meta.status, dir, issues, context),
    startTime: num(meta.start_time),
    endTime: num(meta.end_time),
    lifecycleStage: stage(meta.lifecycle_stage),
    artifactUri: str(meta.artifact_uri),
    parentRunId: tags['mlflow.parentRunId'] ?? null,
    userId: str(meta.user_id),
    params,
    tags,
  };
  return { run, issues };
}

/** One metric's history: lines `<timestamp_ms> <value> [<step>]`; bad lines are skipped and reported once. */
export function readMetricFile(path: string, key: string): { points: MetricPoint[]; issues: ReadIssue[] } {
  const points: MetricPoint[] = [];
  const issues = readMetricInto(path, key, pointCollector(points));
  return { points, issues };
}

function readMetricInto(path: string, key: string, sink: MetricSink): ReadIssue[] {
  const read = readText(path, Number.MAX_SAFE_INTEGER, false);
  if ('problem' in read) return [{ path, message: `cannot read metric "${key}": ${read.problem}` }];
  sink.beginKey(key);
  const text = read.text;
  let bad = 0;
  let first: { line: number; column: number; why: string } | undefined;
  for (let start = 0, lineNo = 1; start < text.length; lineNo++) {
    const next = parseCommonMetricLine(text, start, sink);
    if (next !== -1) {
      start = next;
      continue;
    }
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    const line = text.slice(start, end > start && text.charCodeAt(end - 1) === 13 ? end - 1 : end);
    start = end + 1;
    if (line.trim() === '') continue;
    const parsed = parseAnyMetricLine(line, key);
    if ('why' in parsed) {
      bad++;
      first ??= { line: lineNo, ...parsed };
    } else sink.point(parsed.timestamp, parsed.value, parsed.step);
  }
  if (!first) return [];
  const count = bad === 1 ? 'a line that is' : `${bad} lines that are`;
  return [
    {
      path,
      line: first.line,
      column: first.column,
      message: `metric "${key}": skipped ${count} not "<timestamp> <value> [<step>]"; first at line ${first.line}: ${first.why}`,
    },
  ];
}

export function readFileStoreRegistry(root: string): { models: RegisteredModelRecord[]; issues: ReadIssue[] } {
  const issues: ReadIssue[] = [];
  const models: RegisteredModelRecord[] = [];
  const modelsDir = join(root, 'models');
  if (!isDirectory(modelsDir)) return { models, issues };
  for (const name of subfolders(modelsDir, issues)) {
    const model = readRegisteredModel(join(modelsDir, name), name, issues);
    if (model) models.push(model);
  }
  return { models, issues };
}

/** MLflow 3 logged models: `<experiment>/models/m-<id>/` with meta.yaml, params/ and tags/. */
export function readLoggedModels(root: string): { models: LoggedModelRecord[]; issues: ReadIssue[] } {
  const issues: ReadIssue[] = [];
  const models: LoggedModelRecord[] = [];
  // A store that cannot be listed is listFileStore's to report; saying it twice helps no one.
  for (const { id, dir } of experimentFolders(root, [])) {
    const modelsDir = join(dir, 'models');
    if (!isDirectory(modelsDir)) continue;
    for (const name of subfolders(modelsDir, issues)) {
      if (!name.startsWith('m-')) continue;
      const model = readLoggedModelDir(join(modelsDir, name), id, issues);
      if (model) models.push(model);
    }
  }
  return { models, issues };
}

// ---------------------------------------------------------------------------------------------
// Experiments, registry and logged models

function experimentFolders(root: string, issues: ReadIssue[]): { id: string; dir: string }[] {
  const stats = statOrProblem(root);
  if ('problem' in stats || !stats.isDirectory()) {
    issues.push({ path: root, message: `cannot read the MLflow store: ${'problem' in stats ? stats.problem : 'not a folder'}` });
    return [];
  }
  return subfolders(root, issues)
    .filter((name) => !NOT_EXPERIMENTS.has(name) && !name.startsWith('.'))
    .map((name) => ({ id: name, dir: join(root, name) }));
}

function readExperiment(dir: string, id: string, issues: ReadIssue[]): ExperimentRecord {
  const context = { experimentId: id };
  // A folder whose meta.yaml is unreadable still holds runs: keep it, named by its id, so they show.
  const meta = readMeta(join(dir, META), issues, context) ?? {};
  checkIdentity(meta, dir, { experiment_id: id }, issues, context);
  return {
    experimentId: id,
    name: str(meta.name) ?? id,
    artifactLocation: str(meta.artifact_location),
    lifecycleStage: stage(meta.lifecycle_stage),
    creationTime: num(meta.creation_time),
    lastUpdateTime: num(meta.last_update_time),
    tags: { ...mapOfStrings(meta.tags), ...readKeyedValues(join(dir, 'tags'), issues, context) },
  };
}

function readRegisteredModel(dir: string, folderName: string, issues: ReadIssue[]): RegisteredModelRecord | null {
  const meta = readMeta(join(dir, META), issues, {});
  if (!meta) return null;
  const name = str(meta.name) ?? folderName;
  // MLflow reads aliases from the aliases/ folder; meta.yaml's copy is a snapshot and may be stale.
  const aliasFiles = readKeyedValues(join(dir, 'aliases'), issues, {});
  const aliases = isDirectory(join(dir, 'aliases')) ? trimValues(aliasFiles) : aliasMap(meta.aliases);
  const versions: ModelVersionRecord[] = [];
  for (const sub of subfolders(dir, issues)) {
    if (!/^version-\d+$/.test(sub)) continue;
    const version = readModelVersion(join(dir, sub), name, aliases, issues);
    if (version && version.stage !== DELETED_VERSION_STAGE) versions.push(version);
  }
  versions.sort((a, b) => Number(a.version) - Number(b.version));
  return {
    name,
    description: str(meta.description),
    creationTime: num(meta.creation_timestamp),
    lastUpdatedTime: num(meta.last_updated_timestamp),
    tags: { ...mapOfStrings(meta.tags), ...readKeyedValues(join(dir, 'tags'), issues, {}) },
    aliases,
    versions,
  };
}

function readModelVersion(dir: string, name: string, modelAliases: Record<string, string>, issues: ReadIssue[]): ModelVersionRecord | null {
  const meta = readMeta(join(dir, META), issues, {});
  if (!meta) return null;
  const version = str(meta.version) ?? basename(dir).slice('version-'.length);
  const aliases = new Set(Object.keys(modelAliases).filter((alias) => modelAliases[alias] === version));
  if (Object.keys(modelAliases).length === 0) for (const alias of listOfStrings(meta.aliases)) aliases.add(alias);
  return {
    name,
    version,
    stage: str(meta.current_stage) ?? 'None',
    aliases: [...aliases].sort(),
    runId: str(meta.run_id),
    source: str(meta.source),
    status: str(meta.status),
    creationTime: num(meta.creation_timestamp),
    lastUpdatedTime: num(meta.last_updated_timestamp),
    description: str(meta.description),
    tags: { ...mapOfStrings(meta.tags), ...readKeyedValues(join(dir, 'tags'), issues, {}) },
  };
}

function readLoggedModelDir(dir: string, experimentId: string, issues: ReadIssue[]): LoggedModelRecord | null {
  const modelId = basename(dir);
  const meta = readMeta(join(dir, META), issues, { experimentId });
  if (!meta) return null;
  return {
    modelId: str(meta.model_id) ?? modelId,
    experimentId,
    name: str(meta.name) ?? modelId,
    sourceRunId: str(meta.source_run_id),
    status: loggedModelStatus(meta.status),
    creationTime: num(meta.creation_timestamp),
    artifactLocation: str(meta.artifact_location),
    lifecycleStage: stage(meta.lifecycle_stage),
    params: { ...mapOfStrings(meta.params), ...readKeyedValues(join(dir, 'params'), issues, { experimentId }) },
    tags: { ...mapOfStrings(meta.tags), ...readKeyedValues(join(dir, 'tags'), issues, { experimentId }) },
  };
}

/** MLflow writes the logged-model status by name; its protobuf numbers appear in older copies. */
function loggedModelStatus(value: unknown): string | null {
  const byNumber: Record<string, string> = { '0': 'UNSPECIFIED', '1': 'PENDING', '2': 'READY', '3': 'FAILED' };
  const text = str(value);
  return text === null ? null : (byNumber[text] ?? text);
}

// ---------------------------------------------------------------------------------------------
// meta.yaml

type Meta = Record<string, unknown>;
type IssueContext = { runId?: string; experimentId?: string };

/** Parse a meta.yaml written by PyYAML; null (with an issue) when it cannot be used. */
function readMeta(path: string, issues: ReadIssue[], context: IssueContext): Meta | null {
  const read = readText(path, MAX_META_BYTES, true);
  if ('problem' in read) {
    issues.push({ path, message: `cannot read meta.yaml: ${read.problem}`, ...context });
    return null;
  }
  if (read.text.trim() === '') {
    issues.push({ path, message: 'meta.yaml is empty', ...context });
    return null;
  }
  const flat = parseFlatMeta(read.text);
  if (flat) return flat as Meta;
  // The failsafe schema keeps every scalar as written; PyYAML quotes strings that would read as
  // something else, so only plain null-like scalars need resolving (see toPlain).
  const doc = parseDocument(read.text, { schema: 'failsafe', prettyErrors: true });
  const error = doc.errors[0];
  if (error) {
    const at = error.linePos?.[0];
    issues.push({ path, message: `meta.yaml is not valid YAML: ${error.message.split('\n')[0]}`, line: at?.line, column: at?.col, ...context });
    return null;
  }
  const value = toPlain(doc.contents);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    issues.push({ path, message: 'meta.yaml is not a mapping of fields', line: 1, ...context });
    return null;
  }
  return value as Meta;
}

/**
 * meta.yaml as PyYAML's safe_dump writes it: one `key: scalar` per line. Read directly, with the
 * same result as the failsafe-schema parse below; any other shape returns undefined and gets the
 * full YAML parser.
 */
function parseFlatMeta(text: string): Record<string, unknown> | undefined {
  const out: Record<string, unknown> = {};
  for (const raw of text.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line === '') continue;
    const match = /^([A-Za-z_][A-Za-z0-9_]*):(?: (.*))?$/.exec(line);
    if (!match) return undefined;
    const value = flatScalar(match[2] ?? '');
    if (value === undefined) return undefined;
    out[match[1]] = value;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

function flatScalar(text: string): unknown {
  if (/^(|~|null|Null|NULL)$/.test(text)) return null;
  if (text === '[]') return [];
  if (text === '{}') return {};
  if (text.startsWith("'")) {
    if (!/^'(?:[^']|'')*'$/.test(text)) return undefined;
    return text.slice(1, -1).replace(/''/g, "'");
  }
  // Plain scalars only when nothing in them could mean more YAML structure.
  if (/^[\s"&*!|>%@`#\[\]{},?:-]/.test(text) || /: | #|\s$/.test(text)) return undefined;
  return text;
}

function toPlain(node: unknown): unknown {
  if (isMap(node)) {
    const out: Record<string, unknown> = {};
    for (const item of node.items) out[String(toPlain(item.key))] = toPlain(item.value);
    return out;
  }
  if (isSeq(node)) return node.items.map(toPlain);
  if (isScalar(node)) {
    const text = String(node.value ?? '');
    return node.type === 'PLAIN' && /^(|~|null|Null|NULL)$/.test(text) ? null : text;
  }
  return null;
}

/** MLflow ignores a run or experiment whose meta names another id; we keep the folder's id and say so. */
function checkIdentity(meta: Meta, dir: string, expected: Record<string, string>, issues: ReadIssue[], context: IssueContext): void {
  for (const [field, want] of Object.entries(expected)) {
    const got = str(meta[field]);
    if (got !== null && got !== want) {
      issues.push({ path: join(dir, META), message: `meta.yaml says ${field} "${got}" but the folder is "${want}"; using the folder's`, ...context });
    }
  }
}

function runStatus(value: unknown, dir: string, issues: ReadIssue[], context: IssueContext): RunStatus {
  const text = str(value);
  if (text === null) return 'RUNNING'; // MLflow's own default when meta.yaml has no status
  const status = RUN_STATUS_BY_NUMBER[Number(text)] ?? (STATUS_NAMES.has(text.toUpperCase()) ? (text.toUpperCase() as RunStatus) : undefined);
  if (status) return status;
  issues.push({ path: join(dir, META), message: `unknown run status "${text}"; shown as RUNNING`, ...context });
  return 'RUNNING';
}

function stage(value: unknown): LifecycleStage {
  return str(value) === 'deleted' ? 'deleted' : 'active';
}

function str(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return null;
}

function num(value: unknown): number | null {
  const text = str(value);
  if (text === null || !/^[-+]?\d+(\.\d*)?([eE][-+]?\d+)?$/.test(text.trim())) return null;
  return Number(text);
}

/** `{k: v}` maps, or lists of `{key, value}` as older MLflow wrote them. */
function mapOfStrings(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (Array.isArray(value)) {
    for (const item of value) {
      const entry = item as Meta | null;
      const key = str(entry?.key);
      if (key !== null) out[key] = str(entry?.value) ?? '';
    }
  } else if (value && typeof value === 'object') {
    for (const [key, v] of Object.entries(value)) out[key] = str(v) ?? '';
  }
  return out;
}

/** Registered-model aliases: a map alias → version, or a list of `{alias, version}`. */
function aliasMap(value: unknown): Record<string, string> {
  if (!Array.isArray(value)) return mapOfStrings(value);
  const out: Record<string, string> = {};
  for (const item of value) {
    const entry = item as Meta | null;
    const alias = str(entry?.alias);
    const version = str(entry?.version);
    if (alias !== null && version !== null) out[alias] = version;
  }
  return out;
}

function listOfStrings(value: unknown): string[] {
  return Array.isArray(value) ? value.map(str).filter((v): v is string => v !== null) : [];
}

function trimValues(map: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(map).map(([k, v]) => [k, v.trim()]));
}

// ---------------------------------------------------------------------------------------------
// Metric lines

const INTEGER = /^[-+]?\d+$/;
const DECIMAL = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;
/** The spellings Python's float() accepts for non-finite values (MLflow writes nan, inf, -inf). */
const NON_FINITE = /^([-+]?)(nan|inf|infinity)$/i;

/**
 * The line as MLflow writes it, "<ts> <value> <step>" with single spaces and a plain decimal value,
 * parsed in one pass without regular expressions or substrings: metric files hold most of a store's
 * lines. Returns where the next line starts, or -1 for anything else (NaN, inf, exponents, extra
 * columns, odd spacing, errors), which then takes the general path.
 */
function parseCommonMetricLine(text: string, i: number, sink: MetricSink): number {
  const n = text.length;
  let c = text.charCodeAt(i);
  const timestampNegative = c === 45;
  if (timestampNegative) i++;
  let from = i;
  let timestamp = 0;
  while (i < n && (c = text.charCodeAt(i)) >= 48 && c <= 57) {
    timestamp = timestamp * 10 + (c - 48);
    i++;
  }
  // Up to 15 digits every partial sum is exact; longer integers go the general (Number()) way.
  if (i === from || i - from > 15 || c !== 32) return -1;
  const valueStart = ++i;
  if (text.charCodeAt(i) === 45) i++;
  let mantissa = 0;
  let digits = 0;
  let fraction = 0;
  while (i < n && (c = text.charCodeAt(i)) >= 48 && c <= 57) {
    mantissa = mantissa * 10 + (c - 48);
    digits++;
    i++;
  }
  if (c === 46 && i < n) {
    i++;
    while (i < n && (c = text.charCodeAt(i)) >= 48 && c <= 57) {
      mantissa = mantissa * 10 + (c - 48);
      digits++;
      fraction++;
      i++;
    }
  }
  if (digits === 0) return -1;
  const valueEnd = i;
  // Exact digits over an exact power of ten: one correctly rounded division, the same double as Number().
  let value: number;
  if (mantissa <= MAX_EXACT_MANTISSA && fraction < POWERS_OF_TEN.length) {
    value = mantissa / POWERS_OF_TEN[fraction];
    if (text.charCodeAt(valueStart) === 45) value = -value;
  } else value = Number(text.slice(valueStart, valueEnd));
  let step = 0;
  if (i < n && text.charCodeAt(i) === 32) {
    i++;
    const stepNegative = text.charCodeAt(i) === 45;
    if (stepNegative) i++;
    from = i;
    while (i < n && (c = text.charCodeAt(i)) >= 48 && c <= 57) {
      step = step * 10 + (c - 48);
      i++;
    }
    if (i === from || i - from > 15) return -1;
    if (stepNegative) step = -step;
  }
  if (i < n) {
    c = text.charCodeAt(i);
    if (c === 13) c = text.charCodeAt(++i);
    if (c !== 10) return -1;
    i++;
  }
  sink.point(timestampNegative ? -timestamp : timestamp, value, step);
  return i;
}

/** 2^53: every integer up to it is a double, so digits accumulated below it are exact. */
const MAX_EXACT_MANTISSA = 9007199254740992;
/** Powers of ten that doubles hold exactly. */
const POWERS_OF_TEN = Array.from({ length: 23 }, (_, k) => Number(`1e${k}`));

function parseAnyMetricLine(text: string, key: string): MetricPoint | { why: string; column: number } {
  const tokens = [...text.matchAll(/\S+/g)];
  if (tokens.length < 2) return { why: tokens.length === 0 ? 'empty' : 'no value after the timestamp', column: text.length + 1 };
  const [ts, value, step] = tokens;
  if (!INTEGER.test(ts[0])) return { why: `timestamp "${ts[0]}" is not an integer`, column: ts.index! + 1 };
  const parsed = parseFloatLikePython(value[0]);
  if (parsed === null) return { why: `value "${value[0]}" is not a number`, column: value.index! + 1 };
  if (step && !INTEGER.test(step[0])) return { why: `step "${step[0]}" is not an integer`, column: step.index! + 1 };
  // Further columns (run id, dataset) appear in MLflow 3's logged-model metric lines; they are ignored.
  return { key, timestamp: Number(ts[0]), value: parsed, step: step ? Number(step[0]) : 0 };
}

function parseFloatLikePython(text: string): number | null {
  if (DECIMAL.test(text)) return Number(text);
  const special = NON_FINITE.exec(text);
  if (!special) return null;
  if (special[2].toLowerCase() === 'nan') return NaN;
  return special[1] === '-' ? -Infinity : Infinity;
}

// ---------------------------------------------------------------------------------------------
// Files and folders

/**
 * Files under a params/, tags/ or metrics/ folder, keyed by their path relative to it with `/`
 * (MLflow stores key `a/b` as folder `a`, file `b`). Folders are visited once each, by identity,
 * so a symbolic link back up the tree is reported rather than followed forever.
 */
function listKeyFiles(root: string, issues: ReadIssue[], context: IssueContext): { key: string; path: string }[] {
  const files: { key: string; path: string }[] = [];
  const rootStats = statOrProblem(root);
  // MLflow leaves out folders it never wrote to; a link that dangles or loops is reported below.
  if ('problem' in rootStats && !exists(root)) return files;
  const seen = new Set<string>();
  const visit = (dir: string, prefix: string, depth: number, known?: Stats | { problem: string }): void => {
    const stats = known ?? statOrProblem(dir);
    if ('problem' in stats) return void issues.push({ path: dir, message: `cannot read folder: ${stats.problem}`, ...context });
    if (!stats.isDirectory()) return void issues.push({ path: dir, message: 'expected a folder, found a file', ...context });
    const identity = `${stats.dev}:${stats.ino}`;
    if (seen.has(identity) || depth > MAX_KEY_DEPTH) {
      return void issues.push({ path: dir, message: 'symbolic link loop (a folder that contains itself); not followed', ...context });
    }
    seen.add(identity);
    for (const entry of readEntries(dir, issues, context)) {
      const path = join(dir, entry.name);
      const key = prefix + entry.name;
      const kind = entryKind(entry, path);
      if (kind === 'dir') visit(path, `${key}/`, depth + 1);
      else if (kind === 'file') files.push({ key, path });
      else issues.push({ path, message: kind === 'other' ? 'not a regular file; skipped' : `cannot read: ${kind.problem}`, ...context });
    }
  };
  visit(root, '', 0, rootStats);
  return files;
}

function readKeyedValues(root: string, issues: ReadIssue[], context: IssueContext): Record<string, string> {
  const values: Record<string, string> = {};
  for (const { key, path } of listKeyFiles(root, issues, context)) {
    const read = readText(path, MAX_META_BYTES * 16, false);
    if ('problem' in read) issues.push({ path, message: `cannot read "${key}": ${read.problem}`, ...context });
    else values[key] = read.text;
  }
  return values;
}

function entryKind(entry: Dirent, path: string): 'dir' | 'file' | 'other' | { problem: string } {
  if (entry.isDirectory()) return 'dir';
  if (entry.isFile()) return 'file';
  if (!entry.isSymbolicLink()) return 'other';
  const target = statOrProblem(path);
  if ('problem' in target) return target;
  return target.isDirectory() ? 'dir' : target.isFile() ? 'file' : 'other';
}

function subfolders(dir: string, issues: ReadIssue[]): string[] {
  return readEntries(dir, issues, {})
    .filter((entry) => entryKind(entry, join(dir, entry.name)) === 'dir')
    .map((entry) => entry.name);
}

function readEntries(dir: string, issues: ReadIssue[], context: IssueContext): Dirent[] {
  try {
    return readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  } catch (error) {
    issues.push({ path: dir, message: `cannot list folder: ${describeFsError(error)}`, ...context });
    return [];
  }
}

/**
 * Read a whole text file. Opened non-blocking and checked to be a regular file first, so a FIFO or
 * device planted in a store cannot hang the reader.
 */
function readText(path: string, maxBytes: number, strict: boolean): { text: string } | { problem: string } {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    return { problem: describeFsError(error) };
  }
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) return { problem: 'not a regular file' };
    stamps?.push({ path, size: stats.size, mtimeMs: stats.mtimeMs });
    if (stats.size > maxBytes) return { problem: `too large (${stats.size} bytes)` };
    const bytes = Buffer.allocUnsafe(stats.size); // only the filled part is used
    let filled = 0;
    while (filled < bytes.length) {
      const n = readSync(fd, bytes, filled, bytes.length - filled, filled);
      if (n === 0) break; // the file shrank while being read
      filled += n;
    }
    return decode(bytes.subarray(0, filled), strict);
  } catch (error) {
    return { problem: describeFsError(error) };
  } finally {
    closeSync(fd);
  }
}

function decode(bytes: Buffer, strict: boolean): { text: string } | { problem: string } {
  if (!strict) return { text: bytes.toString('utf8') };
  if (bytes.includes(0)) return { problem: 'binary content (NUL bytes), not YAML' };
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes) };
  } catch {
    return { problem: 'not valid UTF-8 text' };
  }
}

function statOrProblem(path: string): Stats | { problem: string } {
  try {
    return statSync(path);
  } catch (error) {
    return { problem: describeFsError(error) };
  }
}

/** True for anything at the path, including a link that loops or dangles (the caller reports those). */
function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

function isDirectory(path: string): boolean {
  const stats = statOrProblem(path);
  return !('problem' in stats) && stats.isDirectory();
}

function isFile(path: string): boolean {
  const stats = statOrProblem(path);
  return !('problem' in stats) && stats.isFile();
}
