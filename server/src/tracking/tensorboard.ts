/**
 * Reader for TensorBoard event files (`events.out.tfevents.*`), as TensorFlow, Keras, PyTorch
 * (Lightning, HuggingFace Trainer) and tensorboardX write them.
 *
 * A file is a sequence of TFRecord frames — uint64 length (little-endian), masked CRC-32C of the
 * length, the data, masked CRC-32C of the data — each holding a `tensorflow.Event`. A run is the
 * folder that holds event files; `train/`, `validation/`, `eval/`, `val/` and `test/` subfolders (as
 * Keras writes them) are merged into their parent's run with their name as a prefix of the metric
 * ("validation/epoch_loss"). Scalars come from `simple_value` and from one-number `tensor` values of
 * the scalars plugin; hparams from the hparams plugin's session start info, or from a Lightning
 * `hparams.yaml` beside the files. Everything else (histograms, images, audio, text, graphs,
 * profiles) is counted and skipped. A frame whose CRC does not match stops the file there with a read
 * problem; a frame cut off at the end is a run still writing, read once it is complete: each file is
 * read on from the offset where the last read stopped.
 */
import { closeSync, existsSync, fstatSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, sep } from 'node:path';
import { maskedCrc32c } from '../util/crc32c';
import { messageDecoder } from '../util/protobuf';
import type { ExperimentRecord, MetricPoint, ReadIssue, RunRecord } from './model';
import { flattenParams, readParamsYaml } from './yaml-params';

export const EVENT_FILE = /^events\.out\.tfevents\./;
/** Subfolders whose events belong to the parent's run, under their own prefix. */
export const MERGED_SUBFOLDERS = new Set(['train', 'validation', 'val', 'eval', 'test']);
/** Reads at most this much of a file per pass, so a huge file is indexed in steps. */
const READ_CHUNK = 16 * 1024 * 1024;
const MAX_DEPTH = 12;

const EVENT_PROTO = `
syntax = "proto3";
package tb;
message Event {
  double wall_time = 1;
  int64 step = 2;
  oneof what {
    string file_version = 3;
    bytes graph_def = 4;
    Summary summary = 5;
    bytes log_message = 6;
    bytes session_log = 7;
    bytes tagged_run_metadata = 8;
    bytes meta_graph_def = 9;
  }
}
message Summary {
  repeated Value value = 1;
  message Value {
    string tag = 1;
    SummaryMetadata metadata = 9;
    oneof value {
      float simple_value = 2;
      bytes obsolete_old_style_histogram = 3;
      bytes image = 4;
      bytes histo = 5;
      bytes audio = 6;
      TensorProto tensor = 8;
    }
  }
}
message SummaryMetadata {
  PluginData plugin_data = 1;
  message PluginData {
    string plugin_name = 1;
    bytes content = 2;
  }
}
message TensorProto {
  int32 dtype = 1;
  TensorShapeProto tensor_shape = 2;
  bytes tensor_content = 4;
  repeated float float_val = 5 [packed = true];
  repeated double double_val = 6 [packed = true];
  repeated int32 int_val = 7 [packed = true];
  repeated int64 int64_val = 10 [packed = true];
}
message TensorShapeProto {
  repeated Dim dim = 2;
  message Dim { int64 size = 1; }
}
message HParamsPluginData {
  int32 version = 1;
  oneof data {
    bytes experiment = 2;
    SessionStartInfo session_start_info = 3;
    bytes session_end_info = 4;
  }
}
message SessionStartInfo {
  map<string, Value> hparams = 1;
  double start_time_secs = 5;
}
message Value {
  oneof kind {
    int32 null_value = 1;
    double number_value = 2;
    string string_value = 3;
    bool bool_value = 4;
    bytes struct_value = 5;
    bytes list_value = 6;
  }
}
`;

interface TensorJson {
  dtype?: number;
  tensor_shape?: { dim?: { size?: number }[] };
  tensor_content?: Uint8Array;
  float_val?: number[];
  double_val?: number[];
  int_val?: number[];
  int64_val?: number[];
}
interface ValueJson {
  tag?: string;
  metadata?: { plugin_data?: { plugin_name?: string; content?: Uint8Array } };
  simple_value?: number;
  obsolete_old_style_histogram?: Uint8Array;
  image?: Uint8Array;
  histo?: Uint8Array;
  audio?: Uint8Array;
  tensor?: TensorJson;
  value?: string;
}
interface EventJson {
  wall_time?: number;
  step?: number;
  file_version?: string;
  graph_def?: Uint8Array;
  summary?: { value?: ValueJson[] };
  what?: string;
}
interface HParamsJson {
  session_start_info?: { hparams?: Record<string, { number_value?: number; string_value?: string; bool_value?: boolean; kind?: string }> };
}

let decoders: { event: ReturnType<typeof messageDecoder<EventJson>>; hparams: ReturnType<typeof messageDecoder<HParamsJson>> } | undefined;
function decode() {
  return (decoders ??= { event: messageDecoder<EventJson>(EVENT_PROTO, 'tb.Event'), hparams: messageDecoder<HParamsJson>(EVENT_PROTO, 'tb.HParamsPluginData') });
}

/** What one event file gave so far, and where to read on. */
export interface EventFileState {
  file: string;
  /** Bytes read: the start of the first frame not read yet. */
  offset: number;
  /** Identity of the file read (a new inode at the same path starts again). */
  ino: number;
  /** Set once a frame failed its CRC: nothing after it is read. */
  broken: boolean;
  points: MetricPoint[];
  params: Record<string, string>;
  /** Tag → plugin, from the first value of each tag that carried metadata. */
  plugins: Record<string, string>;
  /** Records skipped by kind ("histograms", "images", "graphs", …). */
  skipped: Record<string, number>;
  records: number;
  firstWall: number | null;
  lastWall: number | null;
}

export function newEventFileState(file: string): EventFileState {
  return { file, offset: 0, ino: -1, broken: false, points: [], params: {}, plugins: {}, skipped: {}, records: 0, firstWall: null, lastWall: null };
}

/**
 * Reads the frames of `file` after `state.offset` (a copy of the state is returned; a truncated or
 * replaced file starts again). `prefix` goes before every metric name (a merged subfolder's).
 */
export function readEventFile(file: string, previous: EventFileState | undefined, prefix = ''): { state: EventFileState; issues: ReadIssue[] } {
  const issues: ReadIssue[] = [];
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (error) {
    issues.push({ path: file, message: `cannot read the event file (${(error as NodeJS.ErrnoException).code ?? String(error)})` });
    return { state: previous ?? newEventFileState(file), issues };
  }
  try {
    const st = fstatSync(fd);
    const fresh = !previous || previous.ino !== st.ino || st.size < previous.offset;
    const state: EventFileState = fresh ? newEventFileState(file) : { ...previous, points: [...previous.points], params: { ...previous.params }, plugins: { ...previous.plugins }, skipped: { ...previous.skipped } };
    state.ino = st.ino;
    if (state.broken) return { state, issues };
    while (state.offset < st.size) {
      const length = Math.min(READ_CHUNK, st.size - state.offset);
      const chunk = Buffer.alloc(length);
      const got = readSync(fd, chunk, 0, length, state.offset);
      const consumed = readFrames(chunk.subarray(0, got), state, prefix, issues);
      if (consumed === 0) break; // a frame cut off at the end (still being written), or a broken one
      state.offset += consumed;
      if (state.broken) break;
    }
    return { state, issues };
  } finally {
    closeSync(fd);
  }
}

/** Frames in `bytes`, applied to `state`; the number of bytes of whole frames read. */
function readFrames(bytes: Buffer, state: EventFileState, prefix: string, issues: ReadIssue[]): number {
  let at = 0;
  while (at + 12 <= bytes.length) {
    const lengthBytes = bytes.subarray(at, at + 8);
    if (bytes.readUInt32LE(at + 8) !== maskedCrc32c(lengthBytes)) return fail(state, issues, state.offset + at, 'the length of a record does not match its CRC', at);
    const length = Number(bytes.readBigUInt64LE(at));
    if (length > READ_CHUNK - 16) return fail(state, issues, state.offset + at, `a record of ${length} bytes is larger than any this reader takes`, at);
    const end = at + 12 + length + 4;
    if (end > bytes.length) break; // not all there yet
    const data = bytes.subarray(at + 12, at + 12 + length);
    if (bytes.readUInt32LE(at + 12 + length) !== maskedCrc32c(data)) return fail(state, issues, state.offset + at, 'a record does not match its CRC', at);
    applyEvent(data, state, prefix, issues, state.offset + at);
    at = end;
  }
  return at;
}

function fail(state: EventFileState, issues: ReadIssue[], offset: number, why: string, consumed: number): number {
  state.broken = true;
  issues.push({ path: state.file, message: `byte ${offset}: ${why}; the rest of the file is not read` });
  return consumed;
}

function applyEvent(data: Buffer, state: EventFileState, prefix: string, issues: ReadIssue[], offset: number): void {
  let event: EventJson;
  try {
    event = decode().event.decode(data);
  } catch (error) {
    issues.push({ path: state.file, message: `byte ${offset}: not an Event record (${error instanceof Error ? error.message : String(error)}); skipped` });
    return;
  }
  state.records++;
  const wallMs = typeof event.wall_time === 'number' ? event.wall_time * 1000 : null;
  if (wallMs !== null && Number.isFinite(wallMs)) {
    state.firstWall = state.firstWall === null ? wallMs : Math.min(state.firstWall, wallMs);
    state.lastWall = state.lastWall === null ? wallMs : Math.max(state.lastWall, wallMs);
  }
  if (!event.summary) {
    if (event.what && event.what !== 'file_version') count(state, event.what === 'graph_def' || event.what === 'meta_graph_def' ? 'graphs' : event.what.replace(/_/g, ' '));
    return;
  }
  for (const value of event.summary.value ?? []) {
    const tag = value.tag ?? '';
    const plugin = value.metadata?.plugin_data?.plugin_name;
    if (plugin) state.plugins[tag] = plugin;
    const known = state.plugins[tag];
    if (known === 'hparams' && value.metadata?.plugin_data?.content) {
      readHparams(value.metadata.plugin_data.content, state);
      continue;
    }
    if (value.simple_value !== undefined && value.value === 'simple_value') {
      state.points.push({ key: prefix + tag, value: value.simple_value, timestamp: wallMs ?? 0, step: event.step ?? 0 });
      continue;
    }
    if (value.tensor && (known === 'scalars' || known === undefined)) {
      const scalar = scalarOf(value.tensor);
      if (scalar !== undefined) {
        state.points.push({ key: prefix + tag, value: scalar, timestamp: wallMs ?? 0, step: event.step ?? 0 });
        continue;
      }
    }
    count(state, kindOf(value, known));
  }
}

function readHparams(content: Uint8Array, state: EventFileState): void {
  let data: HParamsJson;
  try {
    data = decode().hparams.decode(content);
  } catch {
    count(state, 'unreadable hparams');
    return;
  }
  for (const [name, v] of Object.entries(data.session_start_info?.hparams ?? {})) {
    if (v.number_value !== undefined) state.params[name] = String(v.number_value);
    else if (v.string_value !== undefined) state.params[name] = v.string_value;
    else if (v.bool_value !== undefined) state.params[name] = String(v.bool_value);
  }
}

/** The number of a one-element numeric tensor, or undefined. */
function scalarOf(t: TensorJson): number | undefined {
  const elements = (t.tensor_shape?.dim ?? []).reduce((n, d) => n * (d.size ?? 0), 1);
  if (elements !== 1) return undefined;
  const content = t.tensor_content;
  if (content && content.length > 0) {
    const view = new DataView(content.buffer, content.byteOffset, content.byteLength);
    if (t.dtype === 1 && content.length === 4) return view.getFloat32(0, true);
    if (t.dtype === 2 && content.length === 8) return view.getFloat64(0, true);
    return undefined;
  }
  return t.float_val?.[0] ?? t.double_val?.[0] ?? t.int_val?.[0] ?? t.int64_val?.[0];
}

function kindOf(value: ValueJson, plugin: string | undefined): string {
  if (value.histo || value.obsolete_old_style_histogram || plugin === 'histograms') return 'histograms';
  if (value.image || plugin === 'images') return 'images';
  if (value.audio || plugin === 'audio') return 'audio';
  if (plugin === 'text') return 'text';
  return plugin ? `${plugin} plugin values` : 'other values';
}

function count(state: EventFileState, kind: string): void {
  state.skipped[kind] = (state.skipped[kind] ?? 0) + 1;
}

// ---------------------------------------------------------------------------------------------
// Runs

export interface TensorboardRunFolder {
  /** The run's folder; its id is its path relative to the source. */
  dir: string;
  /** Its event files, each with the prefix of its metrics ('' or "validation/"). */
  files: { file: string; prefix: string }[];
}

/** The run folders below `root` (the root itself may be one), with their event files. */
export function listTensorboardRuns(root: string): TensorboardRunFolder[] {
  const runs = new Map<string, TensorboardRunFolder>();
  const visit = (dir: string, depth: number) => {
    if (depth > MAX_DEPTH) return;
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    const events = entries.filter((e) => e.isFile() && EVENT_FILE.test(e.name)).map((e) => e.name).sort();
    if (events.length > 0) {
      const merged = MERGED_SUBFOLDERS.has(basename(dir)) && dir !== root;
      const runDir = merged ? dirname(dir) : dir;
      const run = runs.get(runDir) ?? { dir: runDir, files: [] };
      for (const name of events) run.files.push({ file: join(dir, name), prefix: merged ? `${basename(dir)}/` : '' });
      runs.set(runDir, run);
    }
    for (const e of entries) if (e.isDirectory() && e.name !== 'plugins' && !e.name.startsWith('.')) visit(join(dir, e.name), depth + 1);
  };
  visit(root, 0);
  return [...runs.values()].sort((a, b) => (a.dir < b.dir ? -1 : 1));
}

/** What the run's files looked like: an unchanged fingerprint means nothing to read. */
export function tensorboardFingerprint(run: TensorboardRunFolder): string {
  const stamps = run.files.map(({ file }) => {
    try {
      const st = statSync(file);
      return `${file}:${st.size}:${st.mtimeMs}`;
    } catch {
      return `${file}:-`;
    }
  });
  const yaml = join(run.dir, 'hparams.yaml');
  if (existsSync(yaml)) stamps.push(`${yaml}:${statSync(yaml).mtimeMs}`);
  return stamps.join('|');
}

export function tensorboardRunId(root: string, dir: string): string {
  const rel = relative(root, dir).split(sep).join('/');
  return `tensorboard:${rel === '' ? basename(root) : rel}`;
}

export function tensorboardExperiment(root: string): ExperimentRecord {
  const name = basename(root);
  return { experimentId: `tensorboard:${name}`, name, artifactLocation: null, lifecycleStage: 'active', creationTime: null, lastUpdateTime: null, tags: {} };
}

/** The run of a folder from the states of its files (and its hparams.yaml). */
export function tensorboardRun(root: string, run: TensorboardRunFolder, states: EventFileState[], issues: ReadIssue[]): RunRecord {
  const params: Record<string, string> = { ...lightningHparams(join(run.dir, 'hparams.yaml'), issues) };
  for (const s of states) Object.assign(params, s.params);
  const skipped: Record<string, number> = {};
  for (const s of states) for (const [k, n] of Object.entries(s.skipped)) skipped[k] = (skipped[k] ?? 0) + n;
  const firsts = states.map((s) => s.firstWall).filter((v): v is number => v !== null);
  const lasts = states.map((s) => s.lastWall).filter((v): v is number => v !== null);
  const rel = relative(root, run.dir).split(sep).join('/');
  const tags: Record<string, string> = { 'tensorboard.records': String(states.reduce((n, s) => n + s.records, 0)), 'tensorboard.files': String(run.files.length) };
  const skippedText = Object.entries(skipped).sort(([a], [b]) => a.localeCompare(b)).map(([k, n]) => `${k} ${n}`).join(', ');
  if (skippedText) tags['tensorboard.skipped'] = skippedText;
  return {
    runId: tensorboardRunId(root, run.dir),
    experimentId: tensorboardExperiment(root).experimentId,
    name: rel === '' ? basename(root) : rel,
    status: 'FINISHED',
    startTime: firsts.length > 0 ? Math.min(...firsts) : null,
    endTime: lasts.length > 0 ? Math.max(...lasts) : null,
    lifecycleStage: 'active',
    artifactUri: null,
    parentRunId: null,
    userId: null,
    params,
    tags,
    metrics: states.flatMap((s) => s.points),
  };
}

/** PyTorch Lightning's hparams.yaml: nested keys flattened with dots, values as text. */
function lightningHparams(path: string, issues: ReadIssue[]): Record<string, string> {
  const out: Record<string, string> = {};
  flattenParams(readParamsYaml(path, issues), '', out);
  return out;
}
