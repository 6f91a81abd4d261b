/**
 * The local side of a smoke test: the first N rows of the data file as input tensors (the batch
 * scorer's column mapping and encoding), and every accepted version's ONNX answers for them.
 */
import { encodeRows, planInputs, ColumnMappingError } from '../batch/inputs';
import { safeFacts } from '../batch/score';
import { openTable, DataFileError, type Cell, type TableFormat } from '../data/table';
import { acceptsMissingValues, featureNames } from '../onnx/facts';
import { sliceData, type HostTensor } from '../serving/dtypes';
import { ModelSession, readModelFile, type ModelSignature } from '../serving/sessions';
import { describeSpec } from '../serving/tensors';
import { SmokeUsageError, type SmokeTarget } from './target';

export interface LocalRows {
  file: string;
  format: TableFormat;
  /** How columns became inputs (batch scoring's words). */
  mapping: string;
  /** Data row number (from 1) of each row sent, in order. */
  rowNumbers: number[];
  /** Every sent row, stacked: [N, …] per input. */
  inputs: Map<string, HostTensor>;
  /** Rows left out because a cell cannot be an input (they are the data's problem, not the endpoint's). */
  skipped: { row: number; column?: string | number; message: string }[];
  skippedTotal: number;
}

export interface LocalVersion {
  id: string;
  signature: ModelSignature;
  /** The version's outputs for all rows: [N, …] per tensor output. */
  outputs: Map<string, HostTensor>;
}

/** Skipped rows listed in a report; the count covers all of them. */
const LISTED_SKIPS = 10;

export async function localExpectations(target: SmokeTarget, count: number): Promise<{ rows: LocalRows; versions: Map<string, LocalVersion> }> {
  const sessions = new Map<string, ModelSession>();
  try {
    let allowMissing = false;
    let names: string[] | undefined;
    for (const [id, path] of target.versions) {
      const file = await readModelFile(path).catch((error: NodeJS.ErrnoException) => {
        throw new SmokeUsageError(`model ${target.model.name} version ${id}: cannot read ${path} (${error.code ?? error.message})`);
      });
      const { session } = await ModelSession.load(path, file).catch((error: Error) => {
        throw new SmokeUsageError(`model ${target.model.name} version ${id}: onnxruntime cannot load ${path} (${error.message})`);
      });
      sessions.set(id, session);
      if (id === target.version) {
        const facts = safeFacts(file.bytes);
        allowMissing = facts ? acceptsMissingValues(facts) : false;
        names = facts && featureNames(facts);
      }
    }
    const main = sessions.get(target.version)!;
    for (const [id, s] of sessions) {
      const a = main.signature.inputs.map(describeSpec).join(', ');
      const b = s.signature.inputs.map(describeSpec).join(', ');
      if (a !== b) throw new SmokeUsageError(`versions ${target.version} and ${id} share the endpoint's traffic but take different inputs (${a} / ${b}); compare one with --version`);
    }
    const rows = await readRows(target, main.signature, count, allowMissing, names);
    const versions = new Map<string, LocalVersion>();
    for (const [id, s] of sessions) {
      const outputs = await s.run(rows.inputs, s.signature.outputs.map((o) => o.name));
      versions.set(id, { id, signature: s.signature, outputs });
    }
    return { rows, versions };
  } finally {
    await Promise.all([...sessions.values()].map((s) => s.release()));
  }
}

async function readRows(target: SmokeTarget, signature: ModelSignature, count: number, allowMissing: boolean, featureNames: string[] | undefined): Promise<LocalRows> {
  const file = target.rowsFile.path;
  try {
    const reader = await openTable(file, { batchRows: Math.min(count, 8192) });
    let plan;
    try {
      plan = planInputs(reader.columns, signature.inputs, { featureNames, reference: target.reference });
    } catch (error) {
      if (error instanceof ColumnMappingError) throw new SmokeUsageError(`${file}: ${error.message}`);
      throw error;
    }
    const good: Cell[][] = [];
    const rowNumbers: number[] = [];
    const skipped: LocalRows['skipped'] = [];
    let skippedCount = 0;
    const skip = (s: LocalRows['skipped'][number]) => {
      if (skippedCount++ < LISTED_SKIPS) skipped.push(s);
    };
    for await (const batch of reader.batches()) {
      for (const p of batch.problems) skip({ row: p.row, column: p.column, message: p.message });
      // Encoded once here to learn which rows can be inputs, and once more below for the chosen ones.
      const { ok, problems } = encodeRows(plan, reader.columns, batch.rows, allowMissing);
      for (const p of problems) skip({ row: batch.firstRow + p.index, column: p.column, message: p.message });
      for (let i = 0; i < batch.rows.length && good.length < count; i++) {
        if (!ok[i]) continue;
        good.push(batch.rows[i]!);
        rowNumbers.push(batch.firstRow + i);
      }
      if (good.length >= count) break;
    }
    if (good.length === 0) throw new SmokeUsageError(`${file}: no row can be sent${skippedCount > 0 ? ` (${skippedCount} cannot be inputs; the first: row ${skipped[0].row}: ${skipped[0].message})` : ' (it has no data rows)'}`);
    const { tensors } = encodeRows(plan, reader.columns, good, allowMissing);
    return { file, format: reader.format, mapping: plan.mapping, rowNumbers, inputs: tensors, skipped, skippedTotal: skippedCount };
  } catch (error) {
    if (error instanceof DataFileError) throw new SmokeUsageError(error.message);
    throw error;
  }
}

/** Rows [start, start + n) of stacked [N, …] tensors. */
export function sliceRows(tensors: ReadonlyMap<string, HostTensor>, start: number, n: number): Map<string, HostTensor> {
  const out = new Map<string, HostTensor>();
  for (const [name, t] of tensors) {
    const width = t.shape.slice(1).reduce((a, b) => a * b, 1);
    out.set(name, { datatype: t.datatype, shape: [n, ...t.shape.slice(1)], data: sliceData(t.data, start * width, (start + n) * width) });
  }
  return out;
}
