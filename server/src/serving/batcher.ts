import { concatData, sliceData, type HostTensor } from './dtypes';
import type { ModelSession } from './sessions';

export interface BatchOptions {
  maxBatchSize: number;
  maxDelayMs: number;
}

type Outputs = Map<string, HostTensor>;

interface Item {
  inputs: ReadonlyMap<string, HostTensor>;
  rows: number;
  resolve: (outputs: Outputs) => void;
  reject: (error: unknown) => void;
}

const product = (dims: readonly number[]) => dims.reduce((a, b) => a * b, 1);

/** Runs of one version that may be in flight at once before new requests queue for the next batch. */
const MAX_RUNS_IN_FLIGHT = 1;

/**
 * Coalesces concurrent requests to one model version into one session.run along the first
 * dimension, then hands each request its own rows. Requests run as soon as the model is free: a
 * lone request never waits, and requests that arrive while a run is in flight queue up and go
 * together when it ends. A batch also closes when it holds maxBatchSize rows, or maxDelayMs after
 * its first request arrived even if the model is still busy. Every tensor output is fetched;
 * callers pick theirs.
 */
export class Batcher {
  private items: Item[] = [];
  private rows = 0;
  private key = '';
  private inFlight = 0;
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;

  constructor(
    private readonly session: ModelSession,
    private readonly options: BatchOptions,
    /** Whose runs these are, for the session's per-version count. */
    private readonly caller?: string,
  ) {}

  run(inputs: ReadonlyMap<string, HostTensor>): Promise<Outputs> {
    const rows = rowCount(inputs);
    if (rows === undefined || rows === 0 || rows >= this.options.maxBatchSize) return this.track(this.runAlone(inputs));
    // Rows stack only when everything past the first dimension agrees.
    const key = [...inputs].map(([name, t]) => `${name}:${t.shape.slice(1).join('x')}`).join('|');
    if (this.items.length > 0 && (key !== this.key || this.rows + rows > this.options.maxBatchSize)) this.flush();
    return new Promise<Outputs>((resolve, reject) => {
      this.items.push({ inputs, rows, resolve, reject });
      this.rows += rows;
      this.key = key;
      if (this.rows >= this.options.maxBatchSize) this.flush();
      else if (this.items.length === 1) this.schedule();
    });
  }

  private schedule(): void {
    // The rest of this turn of the event loop may bring more requests: let them join first.
    if (this.inFlight < MAX_RUNS_IN_FLIGHT) this.immediate = setImmediate(() => this.flush());
    else if (this.options.maxDelayMs > 0) this.timer = setTimeout(() => this.flush(), this.options.maxDelayMs);
  }

  private flush(): void {
    clearTimeout(this.timer);
    clearImmediate(this.immediate);
    this.timer = undefined;
    this.immediate = undefined;
    const items = this.items;
    this.items = [];
    this.rows = 0;
    if (items.length === 1) settle(items[0], this.track(this.runAlone(items[0].inputs)));
    else if (items.length > 1) void this.track(this.runBatch(items));
  }

  /** Counts a run in flight; when the model frees up, whatever queued meanwhile goes next. */
  private track<T>(run: Promise<T>): Promise<T> {
    this.inFlight++;
    const done = () => {
      this.inFlight--;
      if (this.items.length > 0 && this.immediate === undefined && this.inFlight < MAX_RUNS_IN_FLIGHT) this.flush();
    };
    run.then(done, done);
    return run;
  }

  private runAlone(inputs: ReadonlyMap<string, HostTensor>): Promise<Outputs> {
    return this.session.run(inputs, this.fetch(), this.caller);
  }

  private fetch(): string[] {
    return this.session.signature.outputs.map((o) => o.name);
  }

  private async runBatch(items: Item[]): Promise<void> {
    const total = items.reduce((n, i) => n + i.rows, 0);
    const stacked = new Map<string, HostTensor>();
    for (const [name, first] of items[0].inputs) {
      const parts = items.map((i) => (i.inputs.get(name) as HostTensor).data);
      stacked.set(name, { datatype: first.datatype, shape: [total, ...first.shape.slice(1)], data: concatData(first.datatype, parts) });
    }
    let outputs: Outputs;
    try {
      outputs = await this.session.run(stacked, this.fetch(), this.caller);
    } catch {
      // One bad request must not fail the others: each runs alone and gets its own answer or error.
      for (const item of items) settle(item, this.runAlone(item.inputs));
      return;
    }
    if (![...outputs.values()].every((t) => t.shape[0] === total)) {
      // An output that is not per row (a reduction over the batch) cannot be split back.
      for (const item of items) settle(item, this.runAlone(item.inputs));
      return;
    }
    let offset = 0;
    for (const item of items) {
      const own = new Map<string, HostTensor>();
      for (const [name, t] of outputs) {
        const width = product(t.shape.slice(1));
        own.set(name, { datatype: t.datatype, shape: [item.rows, ...t.shape.slice(1)], data: sliceData(t.data, offset * width, (offset + item.rows) * width) });
      }
      offset += item.rows;
      item.resolve(own);
    }
  }
}

/** The shared first dimension of all inputs, or undefined when they disagree (such a request runs alone). */
function rowCount(inputs: ReadonlyMap<string, HostTensor>): number | undefined {
  let rows: number | undefined;
  for (const t of inputs.values()) {
    if (t.shape.length === 0 || (rows !== undefined && t.shape[0] !== rows)) return undefined;
    rows = t.shape[0];
  }
  return rows;
}

function settle(item: Item, result: Promise<Outputs>): void {
  result.then(item.resolve, item.reject);
}
