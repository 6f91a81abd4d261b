// Log a training run as a JSONL run log that MLOps Workbench reads live (docs/jsonl-run-log.md).
// Copy this file into your project; it has no dependencies (Node 18 or newer).
//
//   import { RunLog, withRunLog } from './mlops-log.mjs';
//
//   await withRunLog('runs/lr-v1.jsonl', { experiment: 'churn', name: 'lr-v1', params: { C: 1 } }, async (run) => {
//     for (let epoch = 0; epoch < 10; epoch++) run.logMetric('loss', loss, epoch);
//     run.logMetrics({ accuracy: acc, f1_score: f1 });
//   });
//
// One file per run: opening a path that exists starts that run's log over. Every line is written
// synchronously, so the editor sees metrics while training runs. withRunLog ends the run FAILED when
// the callback throws; with a bare RunLog, call end() yourself.
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { basename, dirname, extname, resolve } from 'node:path';

export class RunLog {
  #fd;
  #ended = false;

  constructor(path, { experiment = 'Default', name, params, tags, runId } = {}) {
    mkdirSync(dirname(resolve(path)), { recursive: true });
    this.path = path;
    this.#fd = openSync(path, 'w');
    const record = { type: 'run_start', experiment, name: name ?? basename(path, extname(path)), time: Date.now() };
    if (runId !== undefined) record.run_id = String(runId);
    if (params) record.params = strings(params);
    if (tags) record.tags = strings(tags);
    this.#write(record);
  }

  logMetric(key, value, step) {
    this.#write({ type: 'metric', key: String(key), value: number(value), ...stepOf(step), time: Date.now() });
  }

  logMetrics(metrics, step) {
    const values = Object.fromEntries(Object.entries(metrics).map(([k, v]) => [k, number(v)]));
    this.#write({ type: 'metric', metrics: values, ...stepOf(step), time: Date.now() });
  }

  logParam(key, value) {
    this.#write({ type: 'param', key: String(key), value: String(value) });
  }

  logParams(params) {
    this.#write({ type: 'param', params: strings(params) });
  }

  setTag(key, value) {
    this.#write({ type: 'tag', key: String(key), value: String(value) });
  }

  end(status = 'FINISHED') {
    if (this.#ended) return;
    this.#write({ type: 'run_end', status, time: Date.now() });
    this.#ended = true;
    closeSync(this.#fd);
  }

  #write(record) {
    if (this.#ended) throw new Error(`the run has ended: ${this.path}`);
    writeSync(this.#fd, `${JSON.stringify(record)}\n`);
  }
}

/** Run `fn(run)` and end the run FINISHED, or FAILED if it throws (the error is rethrown). */
export async function withRunLog(path, options, fn) {
  const run = new RunLog(path, options);
  try {
    const result = await fn(run);
    run.end('FINISHED');
    return result;
  } catch (error) {
    run.end('FAILED');
    throw error;
  }
}

// JSON.stringify writes NaN and Infinity as null; the format spells them as strings.
function number(value) {
  const n = Number(value);
  if (Number.isNaN(n)) return 'NaN';
  if (!Number.isFinite(n)) return n > 0 ? 'Infinity' : '-Infinity';
  return n;
}

function strings(object) {
  return Object.fromEntries(Object.entries(object).map(([k, v]) => [k, String(v)]));
}

function stepOf(step) {
  return step === undefined || step === null ? {} : { step: Math.trunc(Number(step)) };
}
