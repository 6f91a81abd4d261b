/**
 * Batch scoring: a table file through a model version into another table file, as a stream.
 * Reading, inference and writing overlap: while onnxruntime runs one batch on its own thread, the
 * next is parsed and the one before is written. Memory follows the batch size, not the file.
 */
import { readFileSync, realpathSync } from 'node:fs';
import { dirname, extname, isAbsolute, relative, resolve } from 'node:path';
import type { ScoreSummary, ScoreProgress, ScoreRowError } from '../contract';
import { openTable, tableFormatOf, DataFileError, type TableReader } from '../data/table';
import { JsonText, type Cell } from '../data/types';
import { createTableWriter, type OutputColumn, type TableWriter } from '../data/writer';
import { parseManifest } from '../manifest/parse';
import { acceptsMissingValues, featureNames, onnxFacts } from '../onnx/facts';
import { loadServingConfig, ServingConfigError, type ModelConfig } from '../serving/config';
import { elementEncoder, type HostTensor } from '../serving/dtypes';
import { ModelSession, readModelFile } from '../serving/sessions';
import { readCsvHeader } from '../manifest/validate-files';
import { ColumnMappingError, encodeRows, planInputs, type InputPlan } from './inputs';

/**
 * Rows per session.run. Measured on the churn model (26 features, logistic regression) here: rows/s
 * rise steeply to about 2,000 rows per run and are flat past 8,000; larger batches only cost memory.
 */
export const DEFAULT_BATCH_ROWS = 8192;
/** Errors listed in a summary; the count covers all of them. */
const LISTED_ERRORS = 10;

/** Why a scoring job could not run at all (no such model, an unreadable file, columns that do not map). */
export class ScoreError extends Error {
  override name = 'ScoreError';
}

export class ScoreCancelled extends Error {
  override name = 'ScoreCancelled';
  constructor() {
    super('scoring was cancelled; the output was not written');
  }
}

export interface ScoreOptions {
  manifestPath: string;
  workspaceRoot: string;
  /** `model`, `model@version` or `model@alias`. */
  model: string;
  input: string;
  output: string;
  onError?: 'fail' | 'skip';
  /** Feature columns for a single `[N, k]` input, in order. */
  features?: string[];
  batchRows?: number;
  signal?: AbortSignal;
  onProgress?: (progress: ScoreProgress) => void;
  /** How often onProgress is called (default 250 ms). */
  progressEveryMs?: number;
}

interface Resolved {
  model: ModelConfig;
  version: string;
  path: string;
  reference?: { names: string[]; path: string };
}

/** The version a `model[@version|alias]` reference names: a version, an alias, else production, else the highest version. */
export function resolveModelRef(manifestPath: string, workspaceRoot: string, ref: string): Resolved {
  const [name, wanted] = ref.includes('@') ? [ref.slice(0, ref.indexOf('@')), ref.slice(ref.indexOf('@') + 1)] : [ref, undefined];
  let config;
  try {
    config = loadServingConfig(manifestPath, workspaceRoot);
  } catch (error) {
    if (error instanceof ServingConfigError) throw new ScoreError(`${manifestPath} has problems:\n  ${error.problems.join('\n  ')}`);
    throw error;
  }
  const model = config.models.get(name);
  if (!model) throw new ScoreError(`no model "${name}" in ${manifestPath}${config.models.size > 0 ? ` (models: ${[...config.models.keys()].join(', ')})` : ''}`);
  const ids = [...model.versions.keys()];
  let version: string | undefined;
  if (wanted !== undefined) {
    version = model.versions.has(wanted) ? wanted : model.aliases.get(wanted);
    if (version === undefined || !model.versions.has(version)) {
      throw new ScoreError(`model ${name} has no version or alias "${wanted}" (versions: ${ids.join(', ')}${model.aliases.size > 0 ? `; aliases: ${[...model.aliases.keys()].join(', ')}` : ''})`);
    }
  } else {
    version = model.aliases.get('production') ?? ids.sort((a, b) => a.localeCompare(b, undefined, { numeric: true })).at(-1);
    if (version === undefined) throw new ScoreError(`model ${name} declares no versions`);
  }
  return { model, version, path: model.versions.get(version)!.path, reference: monitoringReference(manifestPath, workspaceRoot, name) };
}

/** The header of monitoring.<model>.reference, when there is one inside the workspace. */
function monitoringReference(manifestPath: string, workspaceRoot: string, model: string): { names: string[]; path: string } | undefined {
  try {
    const doc = parseManifest(readFileSync(manifestPath, 'utf8')).document?.toJS() as { monitoring?: Record<string, { reference?: unknown }> } | undefined;
    const ref = doc?.monitoring?.[model]?.reference;
    if (typeof ref !== 'string') return undefined;
    const path = resolve(dirname(manifestPath), ref);
    const rel = relative(realpathSync(workspaceRoot), realpathSync(path));
    if (rel.startsWith('..') || isAbsolute(rel)) return undefined;
    const names = readCsvHeader(path);
    return names ? { names, path: ref } : undefined;
  } catch {
    return undefined;
  }
}

/** `data/customers.csv` → `data/customers.predictions.csv`: beside the input, in its format. */
export function defaultOutputPath(input: string): string {
  const ext = extname(input);
  return `${ext ? input.slice(0, -ext.length) : input}.predictions${ext || '.csv'}`;
}

export async function scoreFile(o: ScoreOptions): Promise<ScoreSummary> {
  const started = performance.now();
  const onError = o.onError ?? 'fail';
  const outFormat = tableFormatOf(o.output);
  if (!outFormat) throw new ScoreError(`${o.output}: cannot tell the output format from its extension; use .csv, .tsv, .jsonl, .ndjson or .parquet`);
  if (resolve(o.input) === resolve(o.output)) throw new ScoreError('the output would overwrite the input; name another file');
  const target = resolveModelRef(o.manifestPath, o.workspaceRoot, o.model);
  const file = await readModelFile(target.path).catch((error: NodeJS.ErrnoException) => {
    throw new ScoreError(`model ${target.model.name} version ${target.version}: cannot read ${target.path} (${error.code ?? error.message})`);
  });
  const facts = safeFacts(file.bytes);
  let reader: TableReader;
  try {
    reader = await openTable(o.input, { batchRows: o.batchRows ?? DEFAULT_BATCH_ROWS });
  } catch (error) {
    if (error instanceof DataFileError) throw new ScoreError(error.message);
    throw error;
  }
  const { session } = await ModelSession.load(target.path, file).catch((error: Error) => {
    throw new ScoreError(`model ${target.model.name} version ${target.version}: onnxruntime cannot load ${target.path} (${error.message})`);
  });
  try {
    let plan: InputPlan;
    try {
      plan = planInputs(reader.columns, session.signature.inputs, { featureNames: facts && featureNames(facts), reference: target.reference, explicit: o.features });
    } catch (error) {
      if (error instanceof ColumnMappingError) throw new ScoreError(`${o.input}: ${error.message}`);
      throw error;
    }
    const allowMissing = facts ? acceptsMissingValues(facts) : false;
    const fetch = session.signature.outputs.map((s) => s.name);
    const summary: ScoreSummary = {
      model: target.model.name,
      version: target.version,
      input: o.input,
      output: o.output,
      format: { input: reader.format, output: outFormat },
      mapping: plan.mapping,
      rows: 0,
      scored: 0,
      rejected: 0,
      errors: [],
      outputs: [],
      skippedOutputs: session.signature.nonTensorOutputs,
      seconds: 0,
      written: false,
    };
    const note = (e: ScoreRowError) => {
      summary.rejected++;
      if (summary.errors.length < LISTED_ERRORS) summary.errors.push(e);
    };
    let writer: TableWriter | undefined;
    let outputColumns: string[] = [];
    let lastProgress = 0;
    const progress = (force = false) => {
      const now = performance.now();
      if (!o.onProgress || (!force && now - lastProgress < (o.progressEveryMs ?? 250))) return;
      lastProgress = now;
      const elapsedMs = now - started;
      const fraction = reader.totalRows ? summary.rows / reader.totalRows : reader.totalBytes > 0 ? reader.bytesRead() / reader.totalBytes : 0;
      o.onProgress({
        rows: summary.rows,
        rejected: summary.rejected,
        totalRows: reader.totalRows,
        fraction: Math.min(1, fraction),
        elapsedMs,
        rowsPerSecond: elapsedMs > 0 ? (summary.rows / elapsedMs) * 1000 : 0,
        etaSeconds: fraction > 0.01 && fraction < 1 ? ((elapsedMs / fraction) * (1 - fraction)) / 1000 : undefined,
      });
    };

    // One batch in flight in onnxruntime while the next is parsed; its rows are written once it is back.
    type Pending = { run: Promise<Map<string, HostTensor>>; rows: (Cell[] | null)[]; ok: Uint8Array; scored: number };
    let inFlight: Pending | undefined;
    const finish = async (p: Pending) => {
      const results = await p.run;
      if (!writer) {
        const made = outputLayout(plan, reader.columns, fetch, results, session.signature.outputs.map((s) => s.datatype));
        outputColumns = made.columns.map((c) => c.name);
        summary.outputs = made.outputNames;
        writer = createTableWriter(o.output, outFormat, made.columns, { delimiter: reader.format === 'csv' && outFormat === 'csv' ? reader.delimiter : undefined });
      }
      await writer.write(assemble(plan, fetch, results, p.rows, p.ok, p.scored));
      summary.scored += p.scored;
    };
    let failed = false;
    try {
      for await (const batch of reader.batches()) {
        if (o.signal?.aborted) throw new ScoreCancelled();
        for (const p of batch.problems) note({ row: p.row, line: p.line, column: p.column, message: p.message });
        const encoded = encodeRows(plan, reader.columns, batch.rows, allowMissing);
        for (const p of encoded.problems) note({ row: batch.firstRow + p.index, column: p.column, message: p.message });
        summary.rows += batch.rows.length;
        if (summary.rejected > 0 && onError === 'fail') {
          failed = true;
          // Nothing more is scored; reading on only finds the first ten problems to report.
          if (summary.errors.length >= LISTED_ERRORS) break;
          continue;
        }
        if (inFlight) await finish(inFlight);
        inFlight = encoded.scored > 0 ? { run: session.run(encoded.tensors, fetch), rows: batch.rows, ok: encoded.ok, scored: encoded.scored } : undefined;
        progress();
      }
      if (!failed && inFlight) await finish(inFlight);
      inFlight = undefined;
      if (summary.rows === 0) throw new ScoreError(`${o.input}: the file has a header but no data rows`);
      if (failed) {
        summary.seconds = (performance.now() - started) / 1000;
        await writer?.abort();
        return summary;
      }
      if (!writer) {
        // Every row was rejected (and skipped): the output still says what its columns would be.
        throw new ScoreError(`${o.input}: no row could be scored (${summary.rejected} rejected)`);
      }
      await writer.commit();
      summary.written = true;
      void outputColumns;
    } catch (error) {
      await inFlight?.run.catch(() => undefined);
      await writer?.abort();
      if (error instanceof DataFileError) throw new ScoreError(error.message);
      throw error;
    }
    summary.seconds = (performance.now() - started) / 1000;
    progress(true);
    return summary;
  } finally {
    await session.release();
  }
}

/** The model file's facts, or none when its protobuf cannot be read (the session may still load). */
export function safeFacts(bytes: Uint8Array) {
  try {
    return onnxFacts(bytes);
  } catch {
    return undefined;
  }
}

/** Output columns: the pass-through columns, then each output (one column, or name_0 … name_{k-1}). */
function outputLayout(plan: InputPlan, columns: string[], fetch: string[], results: Map<string, HostTensor>, datatypes: string[]): { columns: OutputColumn[]; outputNames: string[] } {
  const out: OutputColumn[] = plan.passThrough.map((c) => ({ name: columns[c], type: 'STRING' }));
  const taken = new Set(out.map((c) => c.name));
  const outputNames: string[] = [];
  fetch.forEach((name, i) => {
    const t = results.get(name)!;
    const width = t.shape.slice(1).reduce((a, b) => a * b, 1);
    const type = parquetTypeOf(datatypes[i]);
    const base = taken.has(name) ? `predicted_${name}` : name;
    const names = width === 1 ? [base] : Array.from({ length: width }, (_, j) => `${base}_${j}`);
    for (const n of names) {
      out.push({ name: n, type });
      taken.add(n);
      outputNames.push(n);
    }
  });
  return { columns: out, outputNames };
}

function parquetTypeOf(datatype: string): OutputColumn['type'] {
  if (datatype === 'FP32' || datatype === 'FP16') return 'FLOAT';
  if (datatype === 'FP64') return 'DOUBLE';
  if (datatype === 'INT64' || datatype === 'UINT64' || datatype === 'UINT32') return 'INT64';
  if (datatype === 'BOOL') return 'BOOLEAN';
  if (datatype === 'BYTES') return 'STRING';
  return 'INT32';
}

/** The written batch as columns: pass-through cells of the scored rows, then the outputs' values. */
function assemble(plan: InputPlan, fetch: string[], results: Map<string, HostTensor>, rows: (Cell[] | null)[], ok: Uint8Array, scored: number): Cell[][] {
  const cols: Cell[][] = [];
  for (const c of plan.passThrough) {
    const col: Cell[] = new Array(scored);
    let n = 0;
    for (let r = 0; r < rows.length; r++) if (ok[r]) col[n++] = rows[r]![c];
    cols.push(col);
  }
  for (const name of fetch) {
    const t = results.get(name)!;
    const width = t.shape.slice(1).reduce((a, b) => a * b, 1);
    const data = t.data as ArrayLike<number | bigint | string>;
    // Floats as the model server writes them (a float32's shortest text), so both answer alike.
    const float = t.datatype === 'FP32' || t.datatype === 'FP64' || t.datatype === 'FP16';
    const text = float ? elementEncoder(t.datatype) : undefined;
    const bool = t.datatype === 'BOOL';
    for (let j = 0; j < width; j++) {
      const col: Cell[] = new Array(scored);
      for (let r = 0; r < scored; r++) {
        const at = r * width + j;
        col[r] = text ? new JsonText(text(t.data, at)) : bool ? data[at] === 1 : (data[at] as Cell);
      }
      cols.push(col);
    }
  }
  return cols;
}

