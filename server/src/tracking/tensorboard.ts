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
import { messageDecoder, WireCursor, type MessageDecoder } from '../util/protobuf';
import type { ExperimentRecord, ReadIssue } from './model';
import { HistoryBuilder, type PackedRun } from './packed-run';
import { flattenParams, readParamsYaml } from './yaml-params';

export const EVENT_FILE = /^events\.out\.tfevents\./;
/** Subfolders whose events belong to the parent's run, under their own prefix. */
export const MERGED_SUBFOLDERS = new Set(['train', 'validation', 'val', 'eval', 'test']);
/** Reads at most this much of a file per pass, so a huge file is indexed in steps. */
const READ_CHUNK = 16 * 1024 * 1024;
const MAX_DEPTH = 12;

// The hparams plugin's content, read once per run with protobufjs; Events themselves are read
// straight from the wire below (one per scalar point: the hot path).
const HPARAMS_PROTO = `
syntax = "proto3";
package tb;
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

interface HParamsJson {
  session_start_info?: { hparams?: Record<string, { number_value?: number; string_value?: string; bool_value?: boolean; kind?: string }> };
}

let hparamsDecoder: MessageDecoder<HParamsJson> | undefined;

/** tensorflow.Event's fields (event.proto) and Summary.Value's (summary.proto), by number. */
const EVENT = { wallTime: 1, step: 2, fileVersion: 3, graphDef: 4, summary: 5, logMessage: 6, sessionLog: 7, taggedRunMetadata: 8, metaGraphDef: 9 } as const;
const EVENT_KIND: Record<number, string> = { 4: 'graphs', 6: 'log message', 7: 'session log', 8: 'tagged run metadata', 9: 'graphs' };
const VALUE = { tag: 1, simpleValue: 2, obsoleteHistogram: 3, image: 4, histo: 5, audio: 6, tensor: 8, metadata: 9 } as const;

/**
 * Scalar points grouped by metric key as they are read, each key in growing columns (no object per
 * point); handed to the index's history as whole series.
 */
interface Series {
  steps: Float64Array;
  timestamps: Float64Array;
  values: Float64Array;
  length: number;
}

export class ScalarColumns {
  readonly series = new Map<string, Series>();

  /** Columns holding histories already stored, to read on top of. */
  static of(histories: { key: string; steps: Float64Array; timestamps: Float64Array; values: Float64Array }[]): ScalarColumns {
    const columns = new ScalarColumns();
    for (const h of histories) columns.series.set(h.key, { steps: h.steps, timestamps: h.timestamps, values: h.values, length: h.steps.length });
    return columns;
  }

  push(key: string, step: number, timestamp: number, value: number): void {
    ScalarColumns.append(this.seriesOf(key), step, timestamp, value);
  }

  /** The series of `key`, created empty when new. */
  seriesOf(key: string): Series {
    let s = this.series.get(key);
    if (!s) this.series.set(key, (s = { steps: new Float64Array(64), timestamps: new Float64Array(64), values: new Float64Array(64), length: 0 }));
    return s;
  }

  static append(s: Series, step: number, timestamp: number, value: number): void {
    if (s.length === s.steps.length) {
      for (const name of ['steps', 'timestamps', 'values'] as const) {
        const bigger = new Float64Array(Math.max(64, s.length * 2));
        bigger.set(s[name]);
        s[name] = bigger;
      }
    }
    s.steps[s.length] = step;
    s.timestamps[s.length] = timestamp;
    s.values[s.length] = value;
    s.length++;
  }

  /** Points per key. */
  counts(): Record<string, number> {
    return Object.fromEntries([...this.series].map(([k, s]) => [k, s.length]));
  }

  /** Each key's series, trimmed to its length, for the history. */
  addTo(history: HistoryBuilder): void {
    let total = 0;
    for (const s of this.series.values()) total += s.length;
    history.reserve(total);
    for (const [key, s] of this.series) history.addSeries(key, s.steps.subarray(0, s.length), s.timestamps.subarray(0, s.length), s.values.subarray(0, s.length));
  }
}

/** What reading one event file gave so far (its points went to a ScalarColumns), and where to read on. */
export interface EventFileState {
  file: string;
  /** Bytes read: the start of the first frame not read yet. */
  offset: number;
  /** Identity of the file read (a new inode at the same path starts again). */
  ino: number;
  /** Set once a frame failed its CRC: nothing after it is read. */
  broken: boolean;
  params: Record<string, string>;
  /** Tag → plugin, from the first value of each tag that carried metadata. */
  plugins: Record<string, string>;
  /** Records skipped by kind ("histograms", "images", "graphs", …). */
  skipped: Record<string, number>;
  records: number;
  /** Scalar points read. */
  points: number;
  firstWall: number | null;
  lastWall: number | null;
}

export function newEventFileState(file: string): EventFileState {
  return { file, offset: 0, ino: -1, broken: false, params: {}, plugins: {}, skipped: {}, records: 0, points: 0, firstWall: null, lastWall: null };
}

/**
 * Reads the frames of `file` after `previous.offset`, their scalar points into `into` (a copy of
 * the state is returned). A truncated or replaced file is read from its start: `restarted` then
 * says the points read before it are not to be kept. `prefix` goes before every metric name (a
 * merged subfolder's).
 */
export function readEventFile(file: string, previous: EventFileState | undefined, into: ScalarColumns, prefix = ''): { state: EventFileState; issues: ReadIssue[]; restarted: boolean } {
  const issues: ReadIssue[] = [];
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (error) {
    issues.push({ path: file, message: `cannot read the event file (${(error as NodeJS.ErrnoException).code ?? String(error)})` });
    return { state: previous ?? newEventFileState(file), issues, restarted: false };
  }
  try {
    const st = fstatSync(fd);
    const restarted = previous !== undefined && (previous.ino !== st.ino || st.size < previous.offset);
    const state: EventFileState = !previous || restarted ? newEventFileState(file) : { ...previous, params: { ...previous.params }, plugins: { ...previous.plugins }, skipped: { ...previous.skipped } };
    state.ino = st.ino;
    if (state.broken) return { state, issues, restarted };
    const reader = new FrameReader(state, into, prefix, issues);
    while (state.offset < st.size) {
      const length = Math.min(READ_CHUNK, st.size - state.offset);
      const chunk = Buffer.allocUnsafe(length);
      const got = readSync(fd, chunk, 0, length, state.offset);
      const consumed = reader.frames(chunk.subarray(0, got));
      if (consumed === 0) break; // a frame cut off at the end (still being written), or a broken one
      state.offset += consumed;
      if (state.broken) break;
    }
    return { state, issues, restarted };
  } finally {
    closeSync(fd);
  }
}

/** A tag met before: its bytes, its text and the series its scalars go to. */
interface KnownTag {
  raw: Buffer;
  tag: string;
  series: Series | undefined;
}

/** Applies the frames of a chunk to a file's state, its scalars to the columns. */
class FrameReader {
  /**
   * Tags met so far, by a hash of their bytes: a file repeats a few tags a million times, and
   * decoding each one's UTF-8 and looking its series up by the text cost more than the rest.
   */
  private readonly tags = new Map<number, KnownTag[]>();
  // One cursor per nesting level, reused: no allocation per record.
  private readonly eventCursor = new WireCursor(Buffer.alloc(0), 0, 0);
  private readonly summaryCursor = new WireCursor(Buffer.alloc(0), 0, 0);
  private readonly valueCursor = new WireCursor(Buffer.alloc(0), 0, 0);
  constructor(
    private readonly state: EventFileState,
    private readonly into: ScalarColumns,
    private readonly prefix: string,
    private readonly issues: ReadIssue[],
  ) {}

  /** The number of bytes of whole frames read from `bytes`. */
  frames(bytes: Buffer): number {
    const state = this.state;
    let at = 0;
    while (at + 12 <= bytes.length) {
      if (bytes.readUInt32LE(at + 8) !== maskedCrc32c(bytes, at, at + 8)) return this.fail(at, 'the length of a record does not match its CRC');
      const length = bytes.readUInt32LE(at) + bytes.readUInt32LE(at + 4) * 2 ** 32;
      if (length > READ_CHUNK - 16) return this.fail(at, `a record of ${length} bytes is larger than any this reader takes`);
      const end = at + 12 + length + 4;
      if (end > bytes.length) break; // not all there yet
      if (bytes.readUInt32LE(at + 12 + length) !== maskedCrc32c(bytes, at + 12, at + 12 + length)) return this.fail(at, 'a record does not match its CRC');
      try {
        this.event(bytes, at + 12, at + 12 + length);
        state.records++;
      } catch (error) {
        this.issues.push({ path: state.file, message: `byte ${state.offset + at}: not an Event record (${error instanceof Error ? error.message : String(error)}); skipped` });
      }
      at = end;
    }
    return at;
  }

  private fail(at: number, why: string): number {
    this.state.broken = true;
    this.issues.push({ path: this.state.file, message: `byte ${this.state.offset + at}: ${why}; the rest of the file is not read` });
    return at;
  }

  /** One Event: its time and step first (fields may come in any order), then its summary's values. */
  private event(bytes: Buffer, start: number, end: number): void {
    const c = this.eventCursor.reset(bytes, start, end);
    let wallSeconds: number | undefined;
    let step = 0;
    let summaryStart = -1;
    let summaryEnd = -1;
    let kind: number | undefined;
    while (!c.done) {
      const key = c.varint();
      const field = key >>> 3;
      const type = key & 7;
      if (field === EVENT.wallTime && type === 1) wallSeconds = c.double();
      else if (field === EVENT.step && type === 0) step = c.varint();
      else if (field === EVENT.summary && type === 2) {
        summaryEnd = c.delimited();
        summaryStart = c.pos;
        c.pos = summaryEnd;
      }
      else {
        if (field >= EVENT.fileVersion && field <= EVENT.metaGraphDef) kind = field;
        c.skip(type);
      }
    }
    const state = this.state;
    const wallMs = wallSeconds === undefined ? null : wallSeconds * 1000;
    if (wallMs !== null && Number.isFinite(wallMs)) {
      state.firstWall = state.firstWall === null ? wallMs : Math.min(state.firstWall, wallMs);
      state.lastWall = state.lastWall === null ? wallMs : Math.max(state.lastWall, wallMs);
    }
    if (summaryStart < 0) {
      if (kind !== undefined && EVENT_KIND[kind]) count(state, EVENT_KIND[kind]);
      return;
    }
    const summary = this.summaryCursor.reset(bytes, summaryStart, summaryEnd);
    while (!summary.done) {
      const key = summary.varint();
      if (key >>> 3 === 1 && (key & 7) === 2) {
        const valueEnd = summary.delimited();
        const valueStart = summary.pos;
        summary.pos = valueEnd;
        this.value(bytes, valueStart, valueEnd, step, wallMs ?? 0);
      } else summary.skip(key & 7);
    }
  }

  /** One Summary.Value: a scalar to the columns, hparams to the params, anything else counted. */
  private value(bytes: Buffer, start: number, end: number, step: number, timestamp: number): void {
    const c = this.valueCursor.reset(bytes, start, end);
    let tagStart = start;
    let tagEnd = start;
    let kind = 0;
    let simple = 0;
    let tensor: [number, number] | undefined;
    let plugin: string | undefined;
    let content: [number, number] | undefined;
    while (!c.done) {
      const key = c.varint();
      const field = key >>> 3;
      const type = key & 7;
      if (field === VALUE.tag && type === 2) {
        tagEnd = c.delimited();
        tagStart = c.pos;
        c.pos = tagEnd;
      }
      else if (field === VALUE.simpleValue && type === 5) {
        simple = c.float();
        kind = field;
      } else if (field === VALUE.tensor && type === 2) {
        tensor = c.span();
        kind = field;
      } else if (field === VALUE.metadata && type === 2) {
        const [s, e] = c.span();
        ({ plugin, content } = pluginData(bytes, s, e));
      } else {
        if (field >= VALUE.obsoleteHistogram && field <= VALUE.audio) kind = field;
        c.skip(type);
      }
    }
    const state = this.state;
    const known = this.tagAt(bytes, tagStart, tagEnd);
    if (plugin) state.plugins[known.tag] = plugin;
    // A plain simple_value (the usual scalar) needs no plugin: only hparams content is told apart.
    if (kind === VALUE.simpleValue && !content) {
      ScalarColumns.append((known.series ??= this.into.seriesOf(this.prefix + known.tag)), step, timestamp, simple);
      state.points++;
      return;
    }
    const knownPlugin = state.plugins[known.tag];
    if (knownPlugin === 'hparams' && content) {
      readHparams(bytes.subarray(content[0], content[1]), state);
      return;
    }
    let scalar: number | undefined;
    if (kind === VALUE.simpleValue) scalar = simple;
    else if (tensor && (knownPlugin === 'scalars' || knownPlugin === undefined)) scalar = scalarOf(bytes, tensor[0], tensor[1]);
    if (scalar !== undefined) {
      ScalarColumns.append((known.series ??= this.into.seriesOf(this.prefix + known.tag)), step, timestamp, scalar);
      state.points++;
      return;
    }
    count(state, kindOf(kind, knownPlugin));
  }

  /** The tag whose UTF-8 is bytes[start, end). */
  private tagAt(bytes: Buffer, start: number, end: number): KnownTag {
    let hash = 0x811c9dc5 ^ (end - start);
    for (let i = start; i < end; i++) hash = Math.imul(hash ^ bytes[i], 0x01000193);
    const bucket = this.tags.get(hash);
    if (bucket) {
      outer: for (const known of bucket) {
        const raw = known.raw;
        if (raw.length !== end - start) continue;
        for (let i = 0; i < raw.length; i++) if (raw[i] !== bytes[start + i]) continue outer;
        return known;
      }
    }
    const known: KnownTag = { raw: Buffer.from(bytes.subarray(start, end)), tag: bytes.toString('utf8', start, end), series: undefined };
    if (bucket) bucket.push(known);
    else this.tags.set(hash, [known]);
    return known;
  }
}

/** SummaryMetadata's plugin_data: the plugin's name and content. */
function pluginData(bytes: Buffer, start: number, end: number): { plugin?: string; content?: [number, number] } {
  const c = new WireCursor(bytes, start, end);
  const out: { plugin?: string; content?: [number, number] } = {};
  while (!c.done) {
    const key = c.varint();
    if (key >>> 3 === 1 && (key & 7) === 2) {
      const pd = new WireCursor(bytes, ...c.span());
      while (!pd.done) {
        const k = pd.varint();
        if (k >>> 3 === 1 && (k & 7) === 2) out.plugin = pd.string();
        else if (k >>> 3 === 2 && (k & 7) === 2) out.content = pd.span();
        else pd.skip(k & 7);
      }
    } else c.skip(key & 7);
  }
  return out;
}

function readHparams(content: Uint8Array, state: EventFileState): void {
  let data: HParamsJson;
  try {
    data = (hparamsDecoder ??= messageDecoder<HParamsJson>(HPARAMS_PROTO, 'tb.HParamsPluginData')).decode(content);
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

/** TensorProto's dtype values (types.proto) a scalar can have, and their field of typed values. */
const DT_FLOAT = 1;
const DT_DOUBLE = 2;
const TENSOR = { dtype: 1, shape: 2, content: 4, floatVal: 5, doubleVal: 6, intVal: 7, int64Val: 10 } as const;

/** The number of a one-element numeric TensorProto, or undefined. */
function scalarOf(bytes: Buffer, start: number, end: number): number | undefined {
  const c = new WireCursor(bytes, start, end);
  let dtype = 0;
  let elements = 1;
  let content: [number, number] | undefined;
  let first: number | undefined;
  const take = (v: number) => void (first ??= v);
  while (!c.done) {
    const key = c.varint();
    const field = key >>> 3;
    const type = key & 7;
    if (field === TENSOR.dtype && type === 0) dtype = c.varint();
    else if (field === TENSOR.shape && type === 2) elements = shapeElements(bytes, ...c.span());
    else if (field === TENSOR.content && type === 2) content = c.span();
    else if (field === TENSOR.floatVal) packedOr(c, type, 5, (r) => take(r.float()));
    else if (field === TENSOR.doubleVal) packedOr(c, type, 1, (r) => take(r.double()));
    else if (field === TENSOR.intVal || field === TENSOR.int64Val) packedOr(c, type, 0, (r) => take(r.varint()));
    else c.skip(type);
  }
  if (elements !== 1) return undefined;
  if (content && content[1] > content[0]) {
    const length = content[1] - content[0];
    if (dtype === DT_FLOAT && length === 4) return bytes.readFloatLE(content[0]);
    if (dtype === DT_DOUBLE && length === 8) return bytes.readDoubleLE(content[0]);
    return undefined;
  }
  return first;
}

/** A repeated scalar field, packed (one length-delimited run) or not (one value per key). */
function packedOr(c: WireCursor, type: number, elementType: number, readOne: (cursor: WireCursor) => void): void {
  if (type === elementType) return readOne(c);
  if (type !== 2) return c.skip(type);
  const run = new WireCursor(c.bytes, ...c.span());
  while (!run.done) readOne(run);
}

/** The number of elements of a TensorShapeProto (dim = 2, each with size = 1); 1 for no dims. */
function shapeElements(bytes: Buffer, start: number, end: number): number {
  const c = new WireCursor(bytes, start, end);
  let n = 1;
  while (!c.done) {
    const key = c.varint();
    if (key >>> 3 === 2 && (key & 7) === 2) {
      const dim = new WireCursor(bytes, ...c.span());
      let size = 0;
      while (!dim.done) {
        const k = dim.varint();
        if (k >>> 3 === 1 && (k & 7) === 0) size = dim.varint();
        else dim.skip(k & 7);
      }
      n *= size;
    } else c.skip(key & 7);
  }
  return n;
}

function kindOf(field: number, plugin: string | undefined): string {
  if (field === VALUE.histo || field === VALUE.obsoleteHistogram || plugin === 'histograms') return 'histograms';
  if (field === VALUE.image || plugin === 'images') return 'images';
  if (field === VALUE.audio || plugin === 'audio') return 'audio';
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

/** The size of a run's event files together. */
export function eventBytes(run: TensorboardRunFolder): number {
  let total = 0;
  for (const { file } of run.files) {
    try {
      total += statSync(file).size;
    } catch {
      // gone meanwhile: its read says so
    }
  }
  return total;
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

/**
 * The run of a folder, packed for the index, from the states of its files (and its hparams.yaml)
 * and the scalar columns its reads filled (several reads' columns add up: an earlier history, then
 * what was appended since).
 */
export function tensorboardRun(root: string, run: TensorboardRunFolder, states: EventFileState[], columns: ScalarColumns[], issues: ReadIssue[]): PackedRun {
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
  const history = new HistoryBuilder();
  for (const c of columns) c.addTo(history);
  return {
    run: {
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
    },
    metricsJson: history.latestJson(),
    history: history.pack(),
  };
}

/** A TensorBoard run read from its files' starts: packed for the index, with where each file's read stopped. */
export interface TensorboardRunRead {
  runId: string;
  packed: PackedRun;
  files: { file: string; state: EventFileState; issues: ReadIssue[] }[];
}

export function readTensorboardRunFromStart(root: string, run: TensorboardRunFolder): TensorboardRunRead {
  const columns = new ScalarColumns();
  const files = run.files.map(({ file, prefix }) => {
    const read = readEventFile(file, undefined, columns, prefix);
    return { file, state: read.state, issues: read.issues };
  });
  const packed = tensorboardRun(root, run, files.map((f) => f.state), [columns], files.flatMap((f) => f.issues));
  return { runId: packed.run.runId, packed, files };
}

/** PyTorch Lightning's hparams.yaml: nested keys flattened with dots, values as text. */
function lightningHparams(path: string, issues: ReadIssue[]): Record<string, string> {
  const out: Record<string, string> = {};
  flattenParams(readParamsYaml(path, issues), '', out);
  return out;
}
