/**
 * A typed, located view of a parsed mlops.yaml. Every value keeps the range of its value and of its
 * key, so diagnostics, hover, completion, go-to-definition and code actions point at exact places.
 *
 * The view is forgiving: a value of the wrong type is simply absent from it (the schema check reports
 * it), so it can be read from any document, including one being typed.
 */
import { isAlias, isMap, isPair, isScalar, isSeq, type Document, type LineCounter, type Pair } from 'yaml';
import type { Position, Range } from '../contract';
import type { ParsedManifest } from './parse';

/** A value and where it is. */
export interface Located<T> {
  value: T;
  range: Range;
}

/** Tools whose logs a `tracking:` entry may name explicitly (`- optuna: study.db`). */
export const TRACKING_KINDS = ['optuna', 'tensorboard', 'wandb'] as const;
export type TrackingKind = (typeof TRACKING_KINDS)[number];

/** A `tracking:` entry: a path or URL, or `{<kind>: path}`; `problem` when the item is neither. */
export interface TrackingItem extends Located<string> {
  kind?: TrackingKind;
  problem?: string;
}

/** A `key: value` entry with a typed value. */
export interface Field<T> extends Located<T> {
  keyRange: Range;
}

/** A named entry whose value is a mapping; `range` covers the value, or the key when the value is empty. */
export interface Entry {
  name: string;
  keyRange: Range;
  range: Range;
}

/** A named mapping of entries, in document order (the first of duplicated keys wins). */
export interface Group<T> extends Entry {
  entries: ReadonlyMap<string, T>;
}

export interface VersionDecl extends Entry {
  path?: Field<string>;
  run?: Field<string>;
}

export interface GateDecl extends Entry {
  min?: Field<number>;
  max?: Field<number>;
}

export interface ModelDecl extends Entry {
  task?: Field<string>;
  versions?: Group<VersionDecl>;
  /** Alias name → version id. */
  aliases?: Group<Field<string>>;
  /** Metric name → bounds. */
  gates?: Group<GateDecl>;
  /** The data set (`data:`) its inputs come from. */
  input?: Field<string>;
  /** Kubernetes sizing for `mlops export`; an endpoint's own `deploy` overrides it field by field. */
  deploy?: DeployDecl;
}

/** A quantity as written: a string (`500m`, `1Gi`) or a YAML number (`2`, `0.5`, `1e9`). */
export type QuantityField = Field<string | number>;

export interface ResourceListDecl extends Entry {
  cpu?: QuantityField;
  memory?: QuantityField;
}

/** `deploy:` of a model or an endpoint: how `mlops export` sizes its Kubernetes resources. */
export interface DeployDecl extends Entry {
  resources?: Entry & { requests?: ResourceListDecl; limits?: ResourceListDecl };
  replicas?: Entry & { min?: Field<number>; max?: Field<number> };
  autoscaling?: Entry & { metric?: Field<string>; target?: Field<number> };
  storageUri?: Field<string>;
}

export interface EndpointDecl extends Entry {
  model?: Field<string>;
  /** Version id → percent. */
  traffic?: Group<Field<number>>;
  sticky?: Field<string>;
  mirror?: Entry & { version?: Field<string>; percent?: Field<number> };
  batching?: Entry & { maxBatchSize?: Field<number>; maxDelayMs?: Field<number> };
  cache?: Entry & { maxEntries?: Field<number>; maxBytes?: Field<number>; ttlS?: Field<number> };
  /** Requests checked against the model's input data set: off, warn or reject. */
  validate?: Field<string>;
  /** Canary auto-rollback bounds. */
  guard?: Entry & { maxErrorRateIncrease?: Field<number>; maxP95LatencyRatio?: Field<number>; minRequests?: Field<number> };
  /** Kubernetes sizing for `mlops export`, over the model's `deploy`. */
  deploy?: DeployDecl;
}

export interface ServingDecl extends Entry {
  host?: Field<string>;
  port?: Field<number>;
  tokenEnv?: Field<string>;
  endpoints?: Group<EndpointDecl>;
}

export interface ExperimentDecl extends Entry {
  endpoint?: Field<string>;
  control?: Field<string>;
  treatment?: Field<string>;
  metric?: Field<string>;
  test?: Field<string>;
  alpha?: Field<number>;
  power?: Field<number>;
  mde?: Field<number>;
  sequential?: Field<boolean>;
}

/** Per-feature drift settings: `drift.features.<column>`. */
export interface DriftFeatureDecl extends Entry {
  method?: Field<string>;
  threshold?: Field<number>;
  type?: Field<string>;
}

export interface MonitorDecl extends Entry {
  reference?: Field<string>;
  /** Default time window of the prediction log to compare (`1h`, `30m`, `7d`). */
  window?: Field<string>;
  drift?: Entry & {
    method?: Field<string>;
    alpha?: Field<number>;
    threshold?: Field<number>;
    correction?: Field<string>;
    driftShare?: Field<number>;
    exclude: Located<string>[];
    features?: Group<DriftFeatureDecl>;
  };
  degradation?: Entry & { baseline?: Field<string>; tolerance?: Field<number> };
  retrain?: Entry & { command?: Field<string>; on: Located<string>[]; auto?: Field<boolean>; cooldown?: Field<string>; schedule?: Field<string>; timezone?: Field<string> };
}

/** `severity: warn` on an expectation, a column or a data set; error otherwise. */
export type ExpectationSeverity = 'error' | 'warn';

/**
 * An expectation's value as written, short (`min: 0`) or long (`min: { value: 0, severity: warn }`);
 * `range` is the value's (the short value, or the long form's `value`), `keyRange` the expectation's key.
 */
export interface ExpectationField<T> extends Field<T> {
  severity?: Field<string>;
}

/** What a column's values must be: `data.<set>.columns.<column>`. */
export interface ColumnDecl extends Entry {
  type?: ExpectationField<string>;
  min?: ExpectationField<number | string>;
  max?: ExpectationField<number | string>;
  values?: ExpectationField<Located<string | number | boolean>[]>;
  unique?: ExpectationField<boolean>;
  pattern?: ExpectationField<string>;
  format?: ExpectationField<string>;
  maxNullShare?: ExpectationField<number>;
  required?: Field<boolean>;
  severity?: Field<string>;
}

/** A data set and its expectations: `data.<name>`. */
export interface DatasetDecl extends Entry {
  path?: Field<string>;
  columns?: Group<ColumnDecl>;
  rows?: Entry & { min?: Field<number>; max?: Field<number>; severity?: Field<string> };
  extraColumns?: Field<string>;
  reference?: Field<string>;
  severity?: Field<string>;
}

export interface ManifestModel {
  version?: Field<unknown>;
  tracking?: Entry & { items: TrackingItem[] };
  models?: Group<ModelDecl>;
  serving?: ServingDecl;
  experiments?: Group<ExperimentDecl>;
  monitoring?: Group<MonitorDecl>;
  data?: Group<DatasetDecl>;
}

/**
 * Entries read from earlier parses, by their YAML pair. A piecewise parse (incremental.ts) keeps the
 * pairs of untouched pieces, so a model or experiment whose text and first line did not change is
 * taken as read before instead of read again.
 */
export type ManifestMemo = WeakMap<object, { line: number; key: string; value: unknown }>;

/**
 * Read the typed view of a parsed manifest. Never throws; an unparsable document gives an empty view.
 * With `memo`, unchanged top-level entries are reused from earlier reads (their objects are shared).
 */
export function readManifestModel(parsed: ParsedManifest, memo?: ManifestMemo): ManifestModel {
  const doc = parsed.document;
  if (!doc) return {};
  const r = new Reader(new Locator(parsed), memo);
  const root = r.locator.deref(doc.contents);
  if (!isMap(root)) return {};
  const model: ManifestModel = {};
  for (const p of r.pairs(root)) {
    switch (p.key) {
      case 'version':
        model.version ??= { value: scalarValue(p.value), range: p.range, keyRange: p.keyRange };
        break;
      case 'tracking':
        model.tracking ??= { name: p.key, keyRange: p.keyRange, range: p.range, items: r.trackingItems(p.value) };
        break;
      case 'models':
        model.models ??= r.group(p, (e) => readModel(r, e));
        break;
      case 'serving':
        model.serving ??= readServing(r, p);
        break;
      case 'experiments':
        model.experiments ??= r.group(p, (e) => readExperiment(r, e));
        break;
      case 'monitoring':
        model.monitoring ??= r.group(p, (e) => readMonitor(r, e));
        break;
      case 'data':
        model.data ??= r.group(p, (e) => readDataset(r, e));
        break;
    }
  }
  return model;
}

function readModel(r: Reader, e: KeyedNode): ModelDecl {
  const f = r.fields(e);
  return {
    name: e.key,
    keyRange: e.keyRange,
    range: e.range,
    task: r.str(f.get('task')),
    versions: r.group(f.get('versions'), (v) => {
      const vf = r.fields(v);
      return { name: v.key, keyRange: v.keyRange, range: v.range, path: r.str(vf.get('path')), run: r.str(vf.get('run')) };
    }),
    aliases: r.group(f.get('aliases'), (a) => r.id(a)),
    gates: r.group(f.get('gates'), (g) => {
      const gf = r.fields(g);
      return { name: g.key, keyRange: g.keyRange, range: g.range, min: r.num(gf.get('min')), max: r.num(gf.get('max')) };
    }),
    input: r.str(f.get('input')),
    deploy: readDeploy(r, f.get('deploy')),
  };
}

function readDeploy(r: Reader, e: KeyedNode | undefined): DeployDecl | undefined {
  const list = (x: KeyedNode | undefined): ResourceListDecl | undefined => r.section(x, (l) => ({ cpu: r.quantity(l.get('cpu')), memory: r.quantity(l.get('memory')) }));
  return r.section(e, (d) => ({
    resources: r.section(d.get('resources'), (x) => ({ requests: list(x.get('requests')), limits: list(x.get('limits')) })),
    replicas: r.section(d.get('replicas'), (x) => ({ min: r.num(x.get('min')), max: r.num(x.get('max')) })),
    autoscaling: r.section(d.get('autoscaling'), (x) => ({ metric: r.str(x.get('metric')), target: r.num(x.get('target')) })),
    storageUri: r.str(d.get('storage_uri')),
  }));
}

function readServing(r: Reader, e: KeyedNode): ServingDecl {
  const f = r.fields(e);
  return {
    name: e.key,
    keyRange: e.keyRange,
    range: e.range,
    host: r.str(f.get('host')),
    port: r.num(f.get('port')),
    tokenEnv: r.str(f.get('token_env')),
    endpoints: r.group(f.get('endpoints'), (ep) => readEndpoint(r, ep)),
  };
}

function readEndpoint(r: Reader, e: KeyedNode): EndpointDecl {
  const f = r.fields(e);
  return {
    name: e.key,
    keyRange: e.keyRange,
    range: e.range,
    model: r.str(f.get('model')),
    traffic: r.group(f.get('traffic'), (t) => r.num(t)),
    sticky: r.str(f.get('sticky')),
    mirror: r.section(f.get('mirror'), (m) => ({ version: r.id(m.get('version')), percent: r.num(m.get('percent')) })),
    batching: r.section(f.get('batching'), (b) => ({ maxBatchSize: r.num(b.get('max_batch_size')), maxDelayMs: r.num(b.get('max_delay_ms')) })),
    cache: r.section(f.get('cache'), (c) => ({ maxEntries: r.num(c.get('max_entries')), maxBytes: r.num(c.get('max_bytes')), ttlS: r.num(c.get('ttl_s')) })),
    validate: r.str(f.get('validate')),
    guard: r.section(f.get('guard'), (g) => ({
      maxErrorRateIncrease: r.num(g.get('max_error_rate_increase')),
      maxP95LatencyRatio: r.num(g.get('max_p95_latency_ratio')),
      minRequests: r.num(g.get('min_requests')),
    })),
    deploy: readDeploy(r, f.get('deploy')),
  };
}

function readExperiment(r: Reader, e: KeyedNode): ExperimentDecl {
  const f = r.fields(e);
  return {
    name: e.key,
    keyRange: e.keyRange,
    range: e.range,
    endpoint: r.str(f.get('endpoint')),
    control: r.id(f.get('control')),
    treatment: r.id(f.get('treatment')),
    metric: r.str(f.get('metric')),
    test: r.str(f.get('test')),
    alpha: r.num(f.get('alpha')),
    power: r.num(f.get('power')),
    mde: r.num(f.get('mde')),
    sequential: r.bool(f.get('sequential')),
  };
}

function readMonitor(r: Reader, e: KeyedNode): MonitorDecl {
  const f = r.fields(e);
  return {
    name: e.key,
    keyRange: e.keyRange,
    range: e.range,
    reference: r.str(f.get('reference')),
    window: r.str(f.get('window')),
    drift: r.section(f.get('drift'), (d) => ({
      method: r.str(d.get('method')),
      alpha: r.num(d.get('alpha')),
      threshold: r.num(d.get('threshold')),
      correction: r.str(d.get('correction')),
      driftShare: r.num(d.get('drift_share')),
      exclude: r.strings(d.get('exclude')?.value),
      features: r.group(d.get('features'), (e): DriftFeatureDecl => {
        const x = r.fields(e);
        return { name: e.key, keyRange: e.keyRange, range: e.range, method: r.str(x.get('method')), threshold: r.num(x.get('threshold')), type: r.str(x.get('type')) };
      }),
    })),
    degradation: r.section(f.get('degradation'), (d) => ({ baseline: r.str(d.get('baseline')), tolerance: r.num(d.get('tolerance')) })),
    retrain: r.section(f.get('retrain'), (t) => ({ command: r.str(t.get('command')), on: r.strings(t.get('on')?.value), auto: r.bool(t.get('auto')), cooldown: r.str(t.get('cooldown')), schedule: r.str(t.get('schedule')), timezone: r.str(t.get('timezone')) })),
  };
}

function readDataset(r: Reader, e: KeyedNode): DatasetDecl {
  const f = r.fields(e);
  return {
    name: e.key,
    keyRange: e.keyRange,
    range: e.range,
    path: r.str(f.get('path')),
    columns: r.group(f.get('columns'), (c) => readColumn(r, c)),
    rows: r.section(f.get('rows'), (x) => ({ min: r.num(x.get('min')), max: r.num(x.get('max')), severity: r.str(x.get('severity')) })),
    extraColumns: r.str(f.get('extra_columns')),
    reference: r.str(f.get('reference')),
    severity: r.str(f.get('severity')),
  };
}

function readColumn(r: Reader, e: KeyedNode): ColumnDecl {
  const f = r.fields(e);
  const isNumOrStr = (v: unknown): v is number | string => typeof v === 'number' || typeof v === 'string';
  const column: ColumnDecl = {
    name: e.key,
    keyRange: e.keyRange,
    range: e.range,
    type: r.expectation(f.get('type'), (node) => r.scalarOf(node, (v): v is string => typeof v === 'string')),
    min: r.expectation(f.get('min'), (node) => r.scalarOf(node, isNumOrStr)),
    max: r.expectation(f.get('max'), (node) => r.scalarOf(node, isNumOrStr)),
    values: r.expectation(f.get('values'), (node) => r.scalarList(node)),
    unique: r.expectation(f.get('unique'), (node) => r.scalarOf(node, (v): v is boolean => typeof v === 'boolean')),
    pattern: r.expectation(f.get('pattern'), (node) => r.scalarOf(node, (v): v is string => typeof v === 'string')),
    format: r.expectation(f.get('format'), (node) => r.scalarOf(node, (v): v is string => typeof v === 'string')),
    maxNullShare: r.expectation(f.get('max_null_share'), (node) => r.scalarOf(node, (v): v is number => typeof v === 'number')),
    required: r.bool(f.get('required')),
    severity: r.str(f.get('severity')),
  };
  return column;
}

// ---------------------------------------------------------------------------------------------
// Positions

/** What is at a position: the path from the root (keys as text, sequence indexes as numbers) and its range. */
export interface NodeLocation {
  /** e.g. ['models', 'churn', 'versions', '1', 'path']; [] for the document itself. */
  path: (string | number)[];
  /** True when the position is on the key of the last path element. */
  onKey: boolean;
  /** The range of the key (when the last element is a key) and of the value; an empty value's range is its key's. */
  keyRange?: Range;
  range: Range;
  kind: 'map' | 'seq' | 'scalar' | 'empty';
  /** The scalar's value (a string, number, boolean or null) when kind is 'scalar'. */
  value?: unknown;
}

/**
 * The deepest node at a position. On a blank line (where a key is about to be typed) indentation
 * decides, as in YAML: the position belongs to the innermost block mapping or list whose items start
 * at or left of its column.
 */
export function nodeAt(parsed: ParsedManifest, position: Position): NodeLocation | undefined {
  const doc = parsed.document;
  if (!doc) return undefined;
  const locator = new Locator(parsed);
  const at: Cursor = { offset: locator.offsetOf(position), column: Math.max(0, position.character) };
  const root = locator.deref(doc.contents);
  return descend(locator, root, at, Infinity, { path: [], onKey: false, range: locator.range(root), ...describe(root) });
}

interface Cursor {
  offset: number;
  /** The column asked for, which on a blank line may lie past the line's end. */
  column: number;
}

/** `end`: where the node's region ends (the last node of a block runs on to its parent's end). */
function descend(locator: Locator, node: unknown, at: Cursor, end: number, here: NodeLocation): NodeLocation {
  const items: unknown[] = isMap(node) || isSeq(node) ? node.items : [];
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    const following = items[i + 1];
    const itemEnd = following === undefined ? end : (spanOf(isPair(following) ? following.key : following)?.[0] ?? end);
    if (isPair(item)) {
      const hit = pairAt(locator, item, at, itemEnd);
      if (!hit) continue;
      const value = locator.deref(item.value);
      const keyRange = locator.range(item.key);
      const range = isEmpty(value) ? keyRange : locator.range(item.value);
      const next: NodeLocation = { path: [...here.path, locator.keyText(item.key) ?? ''], onKey: hit === 'key', keyRange, range, ...describe(value) };
      return hit === 'key' ? next : descend(locator, value, at, itemEnd, next);
    }
    if (within(locator, item, at, itemEnd)) {
      const value = locator.deref(item);
      return descend(locator, value, at, itemEnd, { path: [...here.path, i], onKey: false, range: locator.range(item), ...describe(value) });
    }
  }
  return here;
}

/** Whether the cursor is on a pair's key, its value, or neither. */
function pairAt(locator: Locator, pair: Pair<unknown, unknown>, at: Cursor, end: number): 'key' | 'value' | undefined {
  const keySpan = spanOf(pair.key);
  if (!keySpan || at.offset < keySpan[0]) return undefined;
  if (at.offset <= keySpan[1]) return 'key';
  // An empty value (`path:` then the cursor) runs to the end of the key's line.
  if (isEmpty(locator.deref(pair.value))) return at.offset <= locator.lineEndAfter(keySpan[1]) ? 'value' : undefined;
  return within(locator, pair.value, at, end) ? 'value' : undefined;
}

/** Inside a node's content, or in the blank space after a block collection, indented as its items. */
function within(locator: Locator, node: unknown, at: Cursor, end: number): boolean {
  const span = spanOf(node);
  if (!span || at.offset < span[0]) return false;
  if (at.offset <= contentEnd(node)) return true;
  const value = locator.deref(node);
  const block = (isMap(value) || isSeq(value)) && !value.flow;
  return block && at.offset < end && at.column >= locator.position(span[0]).character;
}

function describe(node: unknown): Pick<NodeLocation, 'kind' | 'value'> {
  if (isMap(node)) return { kind: 'map' };
  if (isSeq(node)) return { kind: 'seq' };
  if (isScalar(node) && node.value !== null && node.value !== undefined) return { kind: 'scalar', value: node.value };
  return { kind: 'empty' };
}

// ---------------------------------------------------------------------------------------------
// Reading YAML nodes

/** Converts YAML nodes to LSP ranges; shared by the model reader, the schema check and nodeAt. */
export class Locator {
  private readonly lineCounter: LineCounter;
  private readonly doc: Document.Parsed | undefined;
  /** The largest offset a range may reach. */
  private readonly end: number;

  constructor(parsed: ParsedManifest) {
    this.lineCounter = parsed.lineCounter;
    this.doc = parsed.document;
    const starts = this.lineCounter.lineStarts;
    this.end = Math.max(this.doc?.range?.[2] ?? 0, starts[starts.length - 1] ?? 0);
  }

  /** The range of a node's content (trailing blank lines and comments of block collections excluded); never empty. */
  range(node: unknown): Range {
    const span = spanOf(node);
    return span ? this.rangeOf(span[0], contentEnd(node)) : this.rangeOf(0, 0);
  }

  /** A range from offsets, widened to one character when empty and kept inside the document. */
  rangeOf(from: number, to: number): Range {
    let start = Math.min(Math.max(0, from), this.end);
    let end = Math.min(Math.max(start, to), this.end);
    if (end === start) {
      if (end < this.end) end++;
      else if (start > 0) start--;
    }
    return { start: this.position(start), end: this.position(end) };
  }

  position(offset: number): Position {
    // The last line starting at or before the offset (LineCounter.linePos allocates more per call).
    const starts = this.lineCounter.lineStarts;
    let lo = 0;
    let hi = starts.length - 1;
    if (hi < 0) return { line: 0, character: Math.max(0, offset) };
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo, character: Math.max(0, offset - starts[lo]) };
  }

  /** The offset of a position; a character past the end of its line counts as the line's end. */
  offsetOf(position: Position): number {
    const starts = this.lineCounter.lineStarts;
    if (starts.length === 0) return 0;
    const line = Math.min(Math.max(0, position.line), starts.length - 1);
    const lineEnd = line + 1 < starts.length ? starts[line + 1] - 1 : this.end;
    return Math.min(starts[line] + Math.max(0, position.character), lineEnd, this.end);
  }

  /** The offset of the end of the line holding `offset`. */
  lineEndAfter(offset: number): number {
    const starts = this.lineCounter.lineStarts;
    const { line } = this.lineCounter.linePos(offset);
    return line < starts.length ? starts[line] - 1 : this.end;
  }

  /** Follow an alias (`*name`) to its anchored node. */
  deref(node: unknown): unknown {
    if (isAlias(node) && this.doc) {
      try {
        return node.resolve(this.doc);
      } catch {
        return undefined;
      }
    }
    return node;
  }

  /** A mapping key as text (numbers and booleans spelled as JSON spells them); other keys are not names. */
  keyText(key: unknown): string | undefined {
    return scalarText(this.deref(key));
  }
}

/** The text of a string, number or boolean scalar, as JSON conversion (and so the model server) spells it: `01` is "1". */
export function scalarText(node: unknown): string | undefined {
  if (!isScalar(node)) return undefined;
  const v = node.value;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  return undefined;
}

function scalarValue(node: unknown): unknown {
  return isScalar(node) ? node.value : node;
}

function isEmpty(node: unknown): boolean {
  return node === null || node === undefined || (isScalar(node) && (node.value === null || node.value === undefined) && !node.source);
}

function spanOf(node: unknown): [number, number] | undefined {
  const range = (node as { range?: [number, number, number] | null } | null)?.range;
  return range ? [range[0], range[1]] : undefined;
}

/** Where a node's content ends: block collections end with their last item, not with the blank lines after it. */
function contentEnd(node: unknown): number {
  const span = spanOf(node);
  if (!span) return 0;
  if ((isMap(node) || isSeq(node)) && !node.flow && node.items.length > 0) {
    const last: unknown = node.items[node.items.length - 1];
    const tail = isPair(last) ? (last.value ?? last.key) : last;
    const end = spanOf(tail) ? contentEnd(tail) : span[1];
    return Math.max(span[0], Math.min(end, span[1]));
  }
  return span[1];
}

/** A mapping entry as the reader sees it. */
interface KeyedNode {
  key: string;
  keyRange: Range;
  /** The value's range, or the key's when the value is empty. */
  range: Range;
  /** The value node, aliases resolved. */
  value: unknown;
}

/** The entries of a fixed-key mapping (a handful of keys: a scan beats building a Map). */
class Fields {
  constructor(private readonly list: KeyedNode[]) {}

  get(key: string): KeyedNode | undefined {
    for (const p of this.list) if (p.key === key) return p;
    return undefined;
  }
}

class Reader {
  constructor(
    readonly locator: Locator,
    private readonly memo?: ManifestMemo,
  ) {}

  /** The entries of a mapping with scalar keys; other keys (a sequence as a key) are skipped. */
  pairs(node: unknown): KeyedNode[] {
    const map = this.locator.deref(node);
    if (!isMap(map)) return [];
    const out: KeyedNode[] = [];
    for (const pair of map.items) {
      const p = this.pair(pair);
      if (p) out.push(p);
    }
    return out;
  }

  private pair(pair: Pair<unknown, unknown>): KeyedNode | undefined {
    const key = this.locator.keyText(pair.key);
    if (key === undefined) return undefined;
    const keyRange = this.locator.range(pair.key);
    const value = this.locator.deref(pair.value);
    return { key, keyRange, range: isEmpty(value) ? keyRange : this.locator.range(pair.value), value };
  }

  /** Entries by key (first wins), for fixed-key mappings. */
  fields(e: KeyedNode): Fields {
    return new Fields(this.pairs(e.value));
  }

  /** A fixed-key sub-mapping (mirror, drift, …) read into an Entry plus its fields. */
  section<T extends object>(e: KeyedNode | undefined, read: (fields: Fields) => T): (Entry & T) | undefined {
    if (!e || !isMap(e.value)) return undefined;
    // Assigned, not spread: object spread makes V8 build a new hidden class per object, which is slow here.
    return Object.assign(read(this.fields(e)), { name: e.key, keyRange: e.keyRange, range: e.range });
  }

  group<T>(e: KeyedNode | undefined, read: (entry: KeyedNode) => T | undefined): Group<T> | undefined {
    if (!e || !isMap(e.value)) return undefined;
    const entries = new Map<string, T>();
    for (const pair of e.value.items) {
      const memo = this.recall(pair);
      if (memo) {
        if (!entries.has(memo.key) && memo.value !== undefined) entries.set(memo.key, memo.value as T);
        continue;
      }
      const p = this.pair(pair);
      if (!p || entries.has(p.key)) continue;
      const value = read(p);
      this.remember(pair, p.key, value);
      if (value !== undefined) entries.set(p.key, value);
    }
    return { name: e.key, keyRange: e.keyRange, range: e.range, entries };
  }

  /** An entry read before from the same pair object, starting on the same line (so every range still holds). */
  private recall(pair: Pair<unknown, unknown>): { key: string; value: unknown } | undefined {
    const entry = this.memo?.get(pair);
    return entry && entry.line === this.firstLine(pair) ? entry : undefined;
  }

  private remember(pair: Pair<unknown, unknown>, key: string, value: unknown): void {
    this.memo?.set(pair, { line: this.firstLine(pair), key, value });
  }

  private firstLine(pair: Pair<unknown, unknown>): number {
    const range = (pair.key as { range?: [number, number, number] | null } | null)?.range;
    return range ? this.locator.position(range[0]).line : -1;
  }

  str(e: KeyedNode | undefined): Field<string> | undefined {
    return this.typed(e, (v): v is string => typeof v === 'string');
  }

  num(e: KeyedNode | undefined): Field<number> | undefined {
    return this.typed(e, (v): v is number => typeof v === 'number');
  }

  /** A string or a finite number. */
  quantity(e: KeyedNode | undefined): Field<string | number> | undefined {
    return this.typed(e, (v): v is string | number => typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v)));
  }

  bool(e: KeyedNode | undefined): Field<boolean> | undefined {
    return this.typed(e, (v): v is boolean => typeof v === 'boolean');
  }

  /** A version id: a string, or an integer as written (`production: 2`). */
  id(e: KeyedNode | undefined): Field<string> | undefined {
    if (!e || !isScalar(e.value)) return undefined;
    const v = e.value.value;
    if (typeof v !== 'string' && !(typeof v === 'number' && Number.isInteger(v))) return undefined;
    return { value: String(v), range: e.range, keyRange: e.keyRange };
  }

  strings(node: unknown): Located<string>[] {
    const seq = this.locator.deref(node);
    if (!isSeq(seq)) return [];
    const out: Located<string>[] = [];
    for (const item of seq.items) {
      const value = this.locator.deref(item);
      if (isScalar(value) && typeof value.value === 'string') out.push({ value: value.value, range: this.locator.range(item) });
    }
    return out;
  }

  /** A scalar node's value when `is` accepts it. */
  scalarOf<T>(node: unknown, is: (v: unknown) => v is T): T | undefined {
    const value = this.locator.deref(node);
    return isScalar(value) && is(value.value) ? value.value : undefined;
  }

  /** A list of strings, numbers and booleans, each located; undefined when not a list. */
  scalarList(node: unknown): Located<string | number | boolean>[] | undefined {
    const seq = this.locator.deref(node);
    if (!isSeq(seq)) return undefined;
    const out: Located<string | number | boolean>[] = [];
    for (const item of seq.items) {
      const value = this.locator.deref(item);
      if (isScalar(value) && (typeof value.value === 'string' || typeof value.value === 'number' || typeof value.value === 'boolean')) out.push({ value: value.value, range: this.locator.range(item) });
    }
    return out;
  }

  /** An expectation written short (`min: 0`) or long (`min: { value: 0, severity: warn }`). */
  expectation<T>(e: KeyedNode | undefined, read: (node: unknown) => T | undefined): ExpectationField<T> | undefined {
    if (!e) return undefined;
    if (isMap(e.value)) {
      const inner = new Fields(this.pairs(e.value));
      const v = inner.get('value');
      const value = v && read(v.value);
      if (!v || value === undefined) return undefined;
      return { value, range: v.range, keyRange: e.keyRange, severity: this.str(inner.get('severity')) };
    }
    const value = read(e.value);
    return value === undefined ? undefined : { value, range: e.range, keyRange: e.keyRange };
  }

  trackingItems(node: unknown): TrackingItem[] {
    const seq = this.locator.deref(node);
    if (!isSeq(seq)) return [];
    const out: TrackingItem[] = [];
    for (const item of seq.items) {
      const value = this.locator.deref(item);
      if (isScalar(value) && typeof value.value === 'string') {
        out.push({ value: value.value, range: this.locator.range(item) });
        continue;
      }
      const pairs = isMap(value) ? value.items : [];
      const pair = pairs.length === 1 ? pairs[0] : undefined;
      const key = pair && isScalar(pair.key) ? String(pair.key.value) : '';
      const target = pair ? this.locator.deref(pair.value) : undefined;
      if (pair && (TRACKING_KINDS as readonly string[]).includes(key) && isScalar(target) && typeof target.value === 'string' && target.value.trim() !== '') {
        out.push({ value: target.value, range: this.locator.range(pair.value), kind: key as TrackingKind });
      } else {
        out.push({ value: '', range: this.locator.range(item), problem: `a tracking entry is a path or URL, or one of ${TRACKING_KINDS.map((k) => `{${k}: path}`).join(', ')}` });
      }
    }
    return out;
  }

  private typed<T>(e: KeyedNode | undefined, is: (v: unknown) => v is T): Field<T> | undefined {
    if (!e || !isScalar(e.value) || !is(e.value.value)) return undefined;
    return { value: e.value.value, range: e.range, keyRange: e.keyRange };
  }
}
