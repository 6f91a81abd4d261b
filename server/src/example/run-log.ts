/**
 * Writes a JSONL run log (docs/jsonl-run-log.md) line by line as training goes, so the editor charts
 * the run while it trains: the TypeScript counterpart of examples/loggers/mlops-log.mjs.
 */
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

export type RunEndStatus = 'FINISHED' | 'FAILED' | 'KILLED';

export interface RunLogStart {
  runId: string;
  experiment: string;
  name?: string;
  params?: Record<string, string | number | boolean>;
  tags?: Record<string, string>;
}

export class RunLogWriter {
  private fd: number;
  private ended = false;

  /** Starts the run's log over: a file already there is truncated. */
  constructor(
    readonly path: string,
    start: RunLogStart,
    private readonly clock: () => number = Date.now,
  ) {
    mkdirSync(dirname(path), { recursive: true });
    this.fd = openSync(path, 'w');
    this.write({
      type: 'run_start',
      run_id: start.runId,
      experiment: start.experiment,
      name: start.name ?? start.runId,
      time: this.clock(),
      ...(start.params ? { params: strings(start.params) } : {}),
      ...(start.tags ? { tags: strings(start.tags) } : {}),
    });
  }

  metrics(values: Record<string, number>, step: number): void {
    this.write({ type: 'metric', metrics: Object.fromEntries(Object.entries(values).map(([k, v]) => [k, jsonNumber(v)])), step, time: this.clock() });
  }

  end(status: RunEndStatus = 'FINISHED'): void {
    if (this.ended) return;
    this.write({ type: 'run_end', status, time: this.clock() });
    this.ended = true;
    closeSync(this.fd);
  }

  private write(record: Record<string, unknown>): void {
    if (this.ended) throw new Error(`the run has ended: ${this.path}`);
    writeSync(this.fd, `${JSON.stringify(record)}\n`);
  }
}

/** Runs `body` with a run log that ends FINISHED, or FAILED when `body` throws (the error is rethrown). */
export function withRunLog<T>(path: string, start: RunLogStart, body: (log: RunLogWriter) => T, clock?: () => number): T {
  const log = new RunLogWriter(path, start, clock);
  try {
    const result = body(log);
    log.end('FINISHED');
    return result;
  } catch (error) {
    log.end('FAILED');
    throw error;
  }
}

/** JSON has no NaN or infinities; the format spells them as strings. */
function jsonNumber(value: number): number | string {
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? 'Infinity' : '-Infinity';
  return value;
}

function strings(values: Record<string, string | number | boolean>): Record<string, string> {
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, String(v)]));
}
