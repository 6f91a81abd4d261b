import { createHash } from 'node:crypto';
import { closeSync, constants, fstatSync, openSync, readdirSync, readSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { describeFsError } from '../workspace/scan';
import type { ExperimentRecord, MetricPoint, ReadIssue, RunRecord, RunStatus, TrackingSnapshot } from './model';

/**
 * Reader for our JSONL run logs (docs/jsonl-run-log.md): one file per run, one JSON object per line.
 * Writers append while training runs, so reading is incremental: a state records how far the file was
 * read, and the next read parses only the complete lines added since. A last line without its `\n`
 * may be half-written and is left for the next read.
 */

export interface JsonlState {
  /** Bytes consumed: always just after a `\n`. */
  offset: number;
  /** Lines consumed, so later issues get the right line numbers. */
  line: number;
  /** Identity of the consumed start of the file; a different one means the file was rewritten. */
  ino: number;
  headBytes: number;
  headHash: string;
  /** The run as read so far. */
  run: RunRecord;
  /** Last step per metric key: a metric without a step continues from it. */
  steps: Record<string, number>;
  /** Latest time seen: a line without a time inherits it. */
  time: number | null;
}

export interface JsonlReadResult {
  /** Null only when the file cannot be read at all. */
  run: RunRecord | null;
  /** Problems in the lines read by this call. */
  issues: ReadIssue[];
  /** Pass to the next call to continue where this one stopped. */
  state: JsonlState;
  /** Metric points read by this call (all of them on a first read): what an index appends. */
  added: MetricPoint[];
}

const CHUNK_BYTES = 1 << 20;
const HEAD_BYTES = 4096;
const STATUSES = new Set<RunStatus>(['RUNNING', 'SCHEDULED', 'FINISHED', 'FAILED', 'KILLED']);
export const DEFAULT_JSONL_EXPERIMENT = 'Default';

export function readJsonlRun(path: string, previous?: JsonlState): JsonlReadResult {
  const issues: ReadIssue[] = [];
  const opened = openRegularFile(path);
  if ('problem' in opened) {
    issues.push({ path, message: `cannot read run log: ${opened.problem}` });
    const state = previous ?? initialState(path, 0);
    return { run: previous ? previous.run : null, issues, state, added: [] };
  }
  const { fd, size, ino } = opened;
  try {
    const state = previous && continues(fd, size, ino, previous) ? cloneState(previous) : initialState(path, ino);
    const added: MetricPoint[] = [];
    readCompleteLines(fd, state.offset, size, (text, bytes) => {
      state.offset += bytes;
      state.line += 1;
      applyLine(text, state, added, issues, path);
    });
    state.run.metrics = state.run.metrics.concat(added);
    rememberHead(fd, state);
    return { run: state.run, issues, state, added };
  } catch (error) {
    issues.push({ path, message: `cannot read run log: ${describeFsError(error)}` });
    return { run: previous?.run ?? null, issues, state: previous ?? initialState(path, ino), added: [] };
  } finally {
    closeSync(fd);
  }
}

/** Every `*.jsonl` file directly in a folder, one run each; experiments are named, so the name is the id. */
export function readJsonlFolder(dir: string): TrackingSnapshot {
  const snapshot: TrackingSnapshot = { experiments: [], runs: [], registeredModels: [], loggedModels: [], issues: [] };
  let names: string[];
  try {
    names = readdirSync(dir).filter((name) => name.endsWith('.jsonl')).sort();
  } catch (error) {
    snapshot.issues.push({ path: dir, message: `cannot list run logs: ${describeFsError(error)}` });
    return snapshot;
  }
  const experiments = new Map<string, ExperimentRecord>();
  for (const name of names) {
    const { run, issues } = readJsonlRun(join(dir, name));
    snapshot.issues.push(...issues);
    if (!run) continue;
    snapshot.runs.push(run);
    if (!experiments.has(run.experimentId)) {
      experiments.set(run.experimentId, { experimentId: run.experimentId, name: run.experimentId, artifactLocation: null, lifecycleStage: 'active', creationTime: null, lastUpdateTime: null, tags: {} });
    }
  }
  snapshot.experiments = [...experiments.values()];
  return snapshot;
}

// ---------------------------------------------------------------------------------------------
// Records

type Json = Record<string, unknown>;

function applyLine(raw: string, state: JsonlState, added: MetricPoint[], issues: ReadIssue[], path: string): void {
  const text = state.line === 1 && raw.startsWith('\uFEFF') ? raw.slice(1) : raw;
  if (text.trim() === '') return;
  const issue = (message: string, field?: string): void => {
    const at = field ? text.indexOf(`"${field}"`) : -1;
    issues.push({ path, line: state.line, column: at >= 0 ? at + 1 : 1, message, runId: state.run.runId });
  };
  const parsed = parseJsonLine(text);
  if ('error' in parsed) {
    issues.push({ path, line: state.line, column: parsed.offset + 1, message: `not valid JSON: ${parsed.error}; line skipped`, runId: state.run.runId });
    return;
  }
  const record = parsed.value;
  if (typeof record !== 'object' || record === null || Array.isArray(record)) return issue('a line must be a JSON object; skipped');
  const json = record as Json;
  const time = timeOf(json.time);
  if (json.time !== undefined && time === null) issue('"time" must be epoch milliseconds (a number); ignored', 'time');
  if (time !== null) state.time = time;
  switch (json.type) {
    case 'run_start':
      return startRun(json, state, issue);
    case 'metric':
      return addMetrics(json, state, added, issue);
    case 'param':
    case 'params':
      return void mergeStrings(json, 'params', state.run.params, issue);
    case 'tag':
    case 'tags':
      mergeStrings(json, 'tags', state.run.tags, issue);
      return applyWellKnownTags(state.run);
    case 'run_end':
      return endRun(json, state, issue);
    default:
      return issue(json.type === undefined ? 'no "type"; skipped' : `unknown type ${JSON.stringify(json.type)}; skipped`, 'type');
  }
}

function startRun(json: Json, state: JsonlState, issue: (message: string, field?: string) => void): void {
  const run = state.run;
  if (typeof json.run_id === 'string' && json.run_id !== '') run.runId = json.run_id;
  if (typeof json.experiment === 'string' && json.experiment !== '') run.experimentId = json.experiment;
  if (typeof json.name === 'string') run.name = json.name;
  if (typeof json.user === 'string') run.userId = json.user;
  if (typeof json.parent_run_id === 'string') run.parentRunId = json.parent_run_id;
  run.startTime ??= state.time;
  mergeStrings(json, 'params', run.params, issue);
  mergeStrings(json, 'tags', run.tags, issue);
  applyWellKnownTags(run);
}

function addMetrics(json: Json, state: JsonlState, added: MetricPoint[], issue: (message: string, field?: string) => void): void {
  const entries: [string, unknown][] = [];
  if (typeof json.key === 'string' && json.key !== '') entries.push([json.key, json.value]);
  if (json.metrics && typeof json.metrics === 'object' && !Array.isArray(json.metrics)) entries.push(...Object.entries(json.metrics));
  if (entries.length === 0) return issue('a metric line needs "key" and "value", or "metrics": {name: value}; skipped');
  const explicitStep = json.step === undefined || json.step === null ? null : Number(json.step);
  if (explicitStep !== null && !Number.isSafeInteger(explicitStep)) return issue('"step" must be an integer; line skipped', 'step');
  for (const [key, raw] of entries) {
    const value = metricValue(raw);
    if (value === null) {
      issue(`metric "${key}": value ${JSON.stringify(raw)} is not a number; skipped`, json.key === key ? 'value' : key);
      continue;
    }
    const step = explicitStep ?? (state.steps[key] === undefined ? 0 : state.steps[key] + 1);
    state.steps[key] = step;
    added.push({ key, value, step, timestamp: state.time ?? 0 });
  }
}

function endRun(json: Json, state: JsonlState, issue: (message: string, field?: string) => void): void {
  const status = json.status === undefined ? 'FINISHED' : String(json.status).toUpperCase();
  if (STATUSES.has(status as RunStatus)) state.run.status = status as RunStatus;
  else {
    issue(`unknown status ${JSON.stringify(json.status)}; the run is marked FINISHED`, 'status');
    state.run.status = 'FINISHED';
  }
  state.run.endTime = state.time;
}

/** `{"key": k, "value": v}` and/or `{"<plural>": {k: v, ...}}`; values become strings, as MLflow's do. */
function mergeStrings(json: Json, plural: 'params' | 'tags', into: Record<string, string>, issue: (message: string, field?: string) => void): void {
  const many = json[plural];
  if (many !== undefined && (typeof many !== 'object' || many === null || Array.isArray(many))) issue(`"${plural}" must be an object; ignored`, plural);
  else if (many) for (const [k, v] of Object.entries(many)) into[k] = asString(v);
  if (json.type === plural.slice(0, -1)) {
    if (typeof json.key === 'string' && json.key !== '') into[json.key] = asString(json.value);
    else if (many === undefined) issue(`a ${json.type} line needs "key" and "value"; skipped`);
  }
}

function applyWellKnownTags(run: RunRecord): void {
  if (run.tags['mlflow.runName'] && !run.name) run.name = run.tags['mlflow.runName'];
  if (run.tags['mlflow.parentRunId']) run.parentRunId = run.tags['mlflow.parentRunId'];
}

function asString(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === null || value === undefined) return '';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

/** Numbers, the non-finite spellings writers use (JSON has none), and null (what JSON.stringify writes for NaN). */
function metricValue(raw: unknown): number | null {
  if (typeof raw === 'number') return raw;
  if (raw === null) return NaN;
  if (typeof raw !== 'string') return null;
  const special = /^([-+]?)(nan|inf|infinity)$/i.exec(raw.trim());
  if (special) return special[2].toLowerCase() === 'nan' ? NaN : special[1] === '-' ? -Infinity : Infinity;
  return raw.trim() !== '' && Number.isFinite(Number(raw)) ? Number(raw) : null;
}

/** Epoch milliseconds; a value below 1e11 can only be seconds (time.time()) and is scaled. */
function timeOf(raw: unknown): number | null {
  if (typeof raw !== 'number' || !Number.isFinite(raw) || raw < 0) return null;
  return Math.round(raw < 1e11 ? raw * 1000 : raw);
}

// ---------------------------------------------------------------------------------------------
// State

function initialState(path: string, ino: number): JsonlState {
  // Without a run_start naming it, a run is known by its file name: stable, and what the user sees.
  const id = basename(path, extname(path));
  return {
    offset: 0,
    line: 0,
    ino,
    headBytes: 0,
    headHash: '',
    steps: {},
    time: null,
    run: {
      runId: id,
      experimentId: DEFAULT_JSONL_EXPERIMENT,
      name: id,
      status: 'RUNNING',
      startTime: null,
      endTime: null,
      lifecycleStage: 'active',
      artifactUri: null,
      parentRunId: null,
      userId: null,
      params: {},
      tags: {},
      metrics: [],
    },
  };
}

/** States are values: a read never changes the state it was given. */
function cloneState(state: JsonlState): JsonlState {
  return { ...state, steps: { ...state.steps }, run: { ...state.run, params: { ...state.run.params }, tags: { ...state.run.tags } } };
}

/** The file is the one read before, only longer: same inode, not shorter, same first bytes. */
function continues(fd: number, size: number, ino: number, state: JsonlState): boolean {
  if (ino !== state.ino || size < state.offset) return false;
  return state.headBytes === 0 || hashHead(fd, state.headBytes) === state.headHash;
}

function rememberHead(fd: number, state: JsonlState): void {
  const bytes = Math.min(state.offset, HEAD_BYTES);
  if (bytes === state.headBytes) return;
  state.headBytes = bytes;
  state.headHash = hashHead(fd, bytes);
}

function hashHead(fd: number, bytes: number): string {
  const buffer = Buffer.alloc(bytes);
  const n = readSync(fd, buffer, 0, bytes, 0);
  return createHash('sha1').update(buffer.subarray(0, n)).digest('hex');
}

// ---------------------------------------------------------------------------------------------
// Files

function openRegularFile(path: string): { fd: number; size: number; ino: number } | { problem: string } {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK); // a FIFO must not block the reader
  } catch (error) {
    return { problem: describeFsError(error) };
  }
  try {
    const stats = fstatSync(fd);
    if (stats.isFile()) return { fd, size: stats.size, ino: stats.ino };
    closeSync(fd);
    return { problem: 'not a regular file' };
  } catch (error) {
    closeSync(fd);
    return { problem: describeFsError(error) };
  }
}

/**
 * Call `onLine(text, bytes)` for each `\n`-terminated line in [start, end), `bytes` counting the `\n`.
 * Read in chunks; lines are cut at `\n` bytes, which never occur inside a UTF-8 sequence.
 */
function readCompleteLines(fd: number, start: number, end: number, onLine: (text: string, bytes: number) => void): void {
  let position = start;
  let carry = Buffer.alloc(0);
  while (position < end) {
    const chunk = Buffer.alloc(Math.min(CHUNK_BYTES, end - position));
    const n = readSync(fd, chunk, 0, chunk.length, position);
    if (n === 0) break;
    position += n;
    const data = carry.length ? Buffer.concat([carry, chunk.subarray(0, n)]) : chunk.subarray(0, n);
    let from = 0;
    for (let nl = data.indexOf(10, from); nl !== -1; nl = data.indexOf(10, from)) {
      const lineEnd = nl > from && data[nl - 1] === 13 ? nl - 1 : nl;
      onLine(data.toString('utf8', from, lineEnd), nl + 1 - from);
      from = nl + 1;
    }
    carry = Buffer.from(data.subarray(from));
  }
}

// ---------------------------------------------------------------------------------------------
// JSON with Python's NaN and Infinity

/**
 * JSON.parse, and where it fails a small parser that also takes the bare `NaN`, `Infinity` and
 * `-Infinity` Python's json.dumps writes by default, and that knows where a real error is (V8's
 * messages give no position for some errors).
 */
export function parseJsonLine(text: string): { value: unknown } | { error: string; offset: number } {
  try {
    return { value: JSON.parse(text) };
  } catch {
    return new LenientJson(text).parseDocument();
  }
}

class LenientJson {
  private at = 0;

  constructor(private readonly text: string) {}

  parseDocument(): { value: unknown } | { error: string; offset: number } {
    try {
      const value = this.value();
      this.space();
      if (this.at < this.text.length) this.fail('unexpected text after the JSON value');
      return { value };
    } catch (error) {
      if (error instanceof JsonSyntaxError) return { error: error.message, offset: error.offset };
      throw error;
    }
  }

  private value(): unknown {
    this.space();
    const c = this.text[this.at];
    if (c === '{') return this.object();
    if (c === '[') return this.array();
    if (c === '"') return this.string();
    for (const [word, value] of WORDS) {
      if (!this.text.startsWith(word, this.at)) continue;
      this.at += word.length;
      return value;
    }
    if (c === '-' || (c >= '0' && c <= '9')) return this.number();
    return this.fail(c === undefined ? 'the line ends before the value' : `unexpected ${JSON.stringify(c)}`);
  }

  private object(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    this.at++;
    this.space();
    if (this.eat('}')) return out;
    for (;;) {
      this.space();
      if (this.text[this.at] !== '"') this.fail('expected a double-quoted property name');
      const key = this.string();
      this.space();
      if (!this.eat(':')) this.fail(`expected ':' after property name`);
      out[key] = this.value();
      this.space();
      if (this.eat('}')) return out;
      if (!this.eat(',')) this.fail(`expected ',' or '}'`);
    }
  }

  private array(): unknown[] {
    const out: unknown[] = [];
    this.at++;
    this.space();
    if (this.eat(']')) return out;
    for (;;) {
      out.push(this.value());
      this.space();
      if (this.eat(']')) return out;
      if (!this.eat(',')) this.fail(`expected ',' or ']'`);
    }
  }

  private string(): string {
    return JSON.parse(this.token(STRING, 'unterminated or malformed string')) as string;
  }

  private number(): number {
    return Number(this.token(NUMBER, 'malformed number'));
  }

  /** The text `pattern` (a sticky regex) matches here, consumed. */
  private token(pattern: RegExp, problem: string): string {
    pattern.lastIndex = this.at;
    const match = pattern.exec(this.text);
    if (!match) return this.fail(problem);
    this.at = pattern.lastIndex;
    return match[0];
  }

  private space(): void {
    while (this.at < this.text.length && ' \t\r\n'.includes(this.text[this.at])) this.at++;
  }

  private eat(c: string): boolean {
    if (this.text[this.at] !== c) return false;
    this.at++;
    return true;
  }

  private fail(message: string): never {
    throw new JsonSyntaxError(message, this.at);
  }
}

const STRING = /"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y;
const NUMBER = /-?(0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?/y;
const WORDS: [string, unknown][] = [
  ['true', true],
  ['false', false],
  ['null', null],
  ['NaN', NaN],
  ['Infinity', Infinity],
  ['-Infinity', -Infinity],
];

class JsonSyntaxError extends Error {
  constructor(message: string, readonly offset: number) {
    super(message);
  }
}
