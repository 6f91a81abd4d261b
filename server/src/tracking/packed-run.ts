import { createHash } from 'node:crypto';
import { relative, sep } from 'node:path';
import { readRunDirInto, type FileStamp, type MetricSink } from './mlflow-files';
import { latestMetrics, type MetricPoint, type ReadIssue, type RunRecord } from './model';

/**
 * A run in the form the index stores it: attributes, params and tags as read, the latest metric
 * values as JSON, and every metric history packed into three Float64 arrays. This form crosses a
 * worker boundary cheaply (strings and transferable buffers, no object per metric point).
 */
export interface PackedRun {
  run: Omit<RunRecord, 'metrics'>;
  /** Latest value per key; "NaN", "Infinity", "-Infinity" for the values JSON cannot hold. */
  metricsJson: string;
  /** Null when the run has no metric points, or when its points are all its summary implies (see impliedHistory). */
  history: PackedHistory | null;
}

export interface PackedHistory {
  /** [[key, count], ...]: each key's points, in this order, sorted by (step, timestamp). */
  keysJson: string;
  steps: Float64Array;
  timestamps: Float64Array;
  values: Float64Array;
}

/** What reading one MLflow run folder yields for the index. */
export interface RunFolderRead {
  runId: string;
  experimentId: string;
  packed: PackedRun | null;
  issues: ReadIssue[];
  fingerprint: string;
}

export function packRun(run: RunRecord): PackedRun {
  const { metrics, ...rest } = run;
  return { run: rest, metricsJson: encodeLatest(metrics), history: metrics.length > 0 && !isImpliedHistory(run) ? packHistory(metrics) : null };
}

/** When a run's one point per metric is dated: its end, else its start (as a finished trial's value is). */
export function impliedTimestamp(run: { startTime: number | null; endTime: number | null }): number {
  return run.endTime ?? run.startTime ?? 0;
}

/**
 * Whether a run's history says nothing its summary does not: one point per metric, at step 0, dated
 * impliedTimestamp(run), with a value the summary's JSON holds exactly. Such a history (every Optuna
 * trial without intermediate values, many database runs) is not stored; impliedHistory gives it back.
 */
function isImpliedHistory(run: RunRecord): boolean {
  const at = impliedTimestamp(run);
  const seen = new Set<string>();
  for (const p of run.metrics) {
    if (p.step !== 0 || p.timestamp !== at || Object.is(p.value, -0) || seen.has(p.key)) return false;
    seen.add(p.key);
  }
  return true;
}

/** The history isImpliedHistory left out: each latest value at step 0, keys in stored order. */
export function impliedHistory(metricsJson: string, run: { startTime: number | null; endTime: number | null }): PackedHistory | null {
  const latest = decodeLatest(metricsJson);
  const keys = Object.keys(latest).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (keys.length === 0) return null;
  const at = impliedTimestamp(run);
  return {
    keysJson: JSON.stringify(keys.map((k) => [k, 1])),
    steps: new Float64Array(keys.length),
    timestamps: new Float64Array(keys.length).fill(at),
    values: Float64Array.from(keys, (k) => latest[k]),
  };
}

/** Read and pack one run folder of an MLflow file store, with the fingerprint of the files read. */
export function readRunFolder(dir: string, runId: string, experimentId: string): RunFolderRead {
  const history = new HistoryBuilder();
  const { run, issues, files } = readRunDirInto(dir, experimentId, history);
  const packed = run ? { run, metricsJson: history.latestJson(), history: history.pack() } : null;
  return { runId, experimentId, packed, issues, fingerprint: fingerprintOf(dir, files) };
}

/** Names, sizes and modification times of a run's files, as one short string. */
export function fingerprintOf(dir: string, stamps: FileStamp[]): string {
  const prefix = dir + sep;
  // Stamped paths are joined onto `dir`, so slicing is relative() without its cost per file.
  const lines = stamps.map((s) => `${s.path.startsWith(prefix) ? s.path.slice(prefix.length) : relative(dir, s.path)}:${s.size}:${s.mtimeMs}`).sort();
  return createHash('sha1').update(lines.join('\n')).digest('base64');
}

/** The points of a packed history, key by key in stored order. */
export function historyPoints(history: PackedHistory | null): MetricPoint[] {
  if (!history) return [];
  const out: MetricPoint[] = [];
  let i = 0;
  for (const [key, count] of JSON.parse(history.keysJson) as [string, number][]) {
    for (const end = i + count; i < end; i++) out.push({ key, step: history.steps[i], timestamp: history.timestamps[i], value: history.values[i] });
  }
  return out;
}

function encodeLatest(points: MetricPoint[]): string {
  const out: Record<string, number | string> = {};
  for (const [key, p] of latestMetrics(points)) out[key] = Number.isFinite(p.value) ? p.value : String(p.value);
  return JSON.stringify(out);
}

export function decodeLatest(json: string): Record<string, number> {
  const raw = JSON.parse(json) as Record<string, number | string>;
  const out: Record<string, number> = {};
  for (const key of Object.keys(raw)) out[key] = Number(raw[key]);
  return out;
}

function packHistory(points: MetricPoint[]): PackedHistory {
  const sorted = [...points].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.step - b.step || a.timestamp - b.timestamp));
  const steps = new Float64Array(sorted.length);
  const timestamps = new Float64Array(sorted.length);
  const values = new Float64Array(sorted.length);
  const keys: [string, number][] = [];
  for (let i = 0; i < sorted.length; i++) {
    const p = sorted[i];
    steps[i] = p.step;
    timestamps[i] = p.timestamp;
    values[i] = p.value;
    const last = keys[keys.length - 1];
    if (last && last[0] === p.key) last[1]++;
    else keys.push([p.key, 1]);
  }
  return { keysJson: JSON.stringify(keys), steps, timestamps, values };
}

interface KeySegment {
  key: string;
  start: number;
  end: number;
  /** Whether the points are in (step, timestamp) order as read, as MLflow writes them. */
  ordered: boolean;
}

/**
 * Collects a run's metric points straight into growing typed arrays, key by key as the files are
 * read, and packs them exactly as packHistory would: keys in order, each key's points by
 * (step, timestamp), equal ones in file order. Files written by MLflow are already in step order,
 * so the usual case copies without sorting.
 */
export class HistoryBuilder implements MetricSink {
  private steps = new Float64Array(1024);
  private timestamps = new Float64Array(1024);
  private values = new Float64Array(1024);
  private length = 0;
  private readonly segments: KeySegment[] = [];
  private segment: KeySegment | undefined;

  beginKey(key: string): void {
    this.closeSegment();
    this.segment = { key, start: this.length, end: -1, ordered: true };
    this.segments.push(this.segment);
  }

  point(timestamp: number, value: number, step: number): void {
    if (this.length === this.steps.length) this.grow();
    const segment = this.segment!;
    if (segment.ordered && this.length > segment.start) {
      const previousStep = this.steps[this.length - 1];
      if (previousStep > step || (previousStep === step && this.timestamps[this.length - 1] > timestamp)) segment.ordered = false;
    }
    this.steps[this.length] = step;
    this.timestamps[this.length] = timestamp;
    this.values[this.length] = value;
    this.length++;
  }

  /** Room for `more` points beyond those held, so that adding them copies nothing twice. */
  reserve(more: number): void {
    const size = this.length + more;
    if (size <= this.steps.length) return;
    for (const name of ['steps', 'timestamps', 'values'] as const) {
      const bigger = new Float64Array(size);
      bigger.set(this[name].subarray(0, this.length));
      this[name] = bigger;
    }
  }

  /** A whole series of one key at once (copied), as a reader that groups points by key hands them over. */
  addSeries(key: string, steps: Float64Array, timestamps: Float64Array, values: Float64Array): void {
    this.beginKey(key);
    const n = steps.length;
    if (this.length + n > this.steps.length) this.reserve(Math.max(n, this.length));
    this.steps.set(steps, this.length);
    this.timestamps.set(timestamps, this.length);
    this.values.set(values, this.length);
    const segment = this.segment!;
    for (let i = 1; i < n && segment.ordered; i++) {
      if (steps[i - 1] > steps[i] || (steps[i - 1] === steps[i] && timestamps[i - 1] > timestamps[i])) segment.ordered = false;
    }
    this.length += n;
  }

  /** Latest value per key, as latestMetrics picks it: the greatest (step, timestamp, value), first of equals. */
  latestJson(): string {
    this.closeSegment();
    const best = new Map<string, number>();
    for (const { key, start, end, ordered } of this.segments) {
      // In order, only the trailing points that share the last (step, timestamp) can be the latest.
      let from = start;
      if (ordered && end > start && !best.has(key)) {
        from = end - 1;
        while (from > start && this.compareOrder(from - 1, end - 1) === 0) from--;
      }
      for (let i = from; i < end; i++) {
        const current = best.get(key);
        if (current === undefined || this.compareLatest(i, current) > 0) best.set(key, i);
      }
    }
    const out: Record<string, number | string> = {};
    for (const [key, i] of best) out[key] = Number.isFinite(this.values[i]) ? this.values[i] : String(this.values[i]);
    return JSON.stringify(out);
  }

  pack(): PackedHistory | null {
    this.closeSegment();
    const live = this.segments.filter((s) => s.end > s.start);
    if (live.length === 0) return null;
    // Stable by key: points of a key read twice (never in practice) keep file order.
    const ordered = live.map((s, i) => ({ s, i })).sort((a, b) => (a.s.key < b.s.key ? -1 : a.s.key > b.s.key ? 1 : a.i - b.i)).map((x) => x.s);
    const steps = new Float64Array(this.length);
    const timestamps = new Float64Array(this.length);
    const values = new Float64Array(this.length);
    const keys: [string, number][] = [];
    let at = 0;
    for (let k = 0; k < ordered.length; ) {
      const key = ordered[k].key;
      const only = ordered[k];
      if (only.ordered && (k + 1 === ordered.length || ordered[k + 1].key !== key)) {
        // The usual case: one file for the key, already in order; copied as blocks.
        steps.set(this.steps.subarray(only.start, only.end), at);
        timestamps.set(this.timestamps.subarray(only.start, only.end), at);
        values.set(this.values.subarray(only.start, only.end), at);
        at += only.end - only.start;
        keys.push([key, only.end - only.start]);
        k++;
        continue;
      }
      const indices: number[] = [];
      let sorted = true;
      for (; k < ordered.length && ordered[k].key === key; k++) {
        for (let i = ordered[k].start; i < ordered[k].end; i++) {
          if (sorted && indices.length > 0 && this.compareOrder(indices[indices.length - 1], i) > 0) sorted = false;
          indices.push(i);
        }
      }
      if (!sorted) indices.sort((a, b) => this.compareOrder(a, b) || a - b);
      for (const i of indices) {
        steps[at] = this.steps[i];
        timestamps[at] = this.timestamps[i];
        values[at] = this.values[i];
        at++;
      }
      keys.push([key, indices.length]);
    }
    return { keysJson: JSON.stringify(keys), steps, timestamps, values };
  }

  private closeSegment(): void {
    const last = this.segments[this.segments.length - 1];
    if (last && last.end === -1) last.end = this.length;
  }

  private grow(): void {
    const size = this.steps.length * 2;
    for (const name of ['steps', 'timestamps', 'values'] as const) {
      const bigger = new Float64Array(size);
      bigger.set(this[name]);
      this[name] = bigger;
    }
  }

  /** Order within a key's history: step, then timestamp. */
  private compareOrder(a: number, b: number): number {
    return this.steps[a] - this.steps[b] || this.timestamps[a] - this.timestamps[b];
  }

  /** compareMetricPoints over stored points: step, timestamp, then value with NaN above every number. */
  private compareLatest(a: number, b: number): number {
    const order = this.compareOrder(a, b);
    if (order !== 0) return order;
    const x = this.values[a];
    const y = this.values[b];
    if (Number.isNaN(x) || Number.isNaN(y)) return Number.isNaN(x) === Number.isNaN(y) ? 0 : Number.isNaN(x) ? 1 : -1;
    return x === y ? 0 : x < y ? -1 : 1;
  }
}
