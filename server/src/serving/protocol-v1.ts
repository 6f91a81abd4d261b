import { encodeNested, type HostTensor } from './dtypes';
import { badRequest } from './errors';
import { RawJson, describeValue, stringify } from './json';
import type { ModelSignature } from './sessions';
import { rowsToInput, type RawInput } from './tensors';

/** KServe V1: POST /v1/models/{m}:predict {instances: [...]} → {predictions: [...]}. */

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export function parseV1Request(body: unknown, signature: ModelSignature): RawInput[] {
  if (!isObj(body)) throw badRequest(`the body must be a JSON object {"instances": [...]}, got ${describeValue(body)}`);
  if (body.instances === undefined) throw badRequest(`the body has no "instances": send {"instances": [row, ...]}`);
  if (!Array.isArray(body.instances)) throw badRequest(`instances must be a list of rows, got ${describeValue(body.instances)}`);
  return instancesToInputs(body.instances, signature, 'instances');
}

/**
 * One entry per row. A model with one input takes each instance as that input's row; a model with
 * several takes objects {input: row}. An object instance is read by input name either way.
 */
export function instancesToInputs(instances: unknown[], signature: ModelSignature, where: string): RawInput[] {
  if (instances.length === 0) throw badRequest(`${where} is empty: send at least one instance`);
  const byName = instances.every(isObj);
  if (!byName && signature.inputs.length > 1) {
    const names = signature.inputs.map((i) => i.name).join(', ');
    throw badRequest(`the model has several inputs (${names}): each of ${where} must be an object {${names}}`);
  }
  if (!byName) return [rowsToInput(signature.inputs[0], instances, `input '${signature.inputs[0].name}' (${where})`)];
  return columnsToInputs(instances as Obj[], signature, where);
}

function columnsToInputs(records: Obj[], signature: ModelSignature, where: string): RawInput[] {
  const known = new Set(signature.inputs.map((i) => i.name));
  records.forEach((record, i) => {
    for (const key of Object.keys(record)) {
      if (!known.has(key)) throw badRequest(`${where}[${i}] has unknown input ${describeValue(key)}; the model's inputs are ${[...known].join(', ')}`);
    }
  });
  return signature.inputs.map((spec) => {
    const column = records.map((record, i) => {
      if (!Object.hasOwn(record, spec.name)) throw badRequest(`${where}[${i}] is missing input '${spec.name}'`);
      return record[spec.name];
    });
    return rowsToInput(spec, column, `input '${spec.name}' (${where})`);
  });
}

/**
 * Row-oriented predictions, as KServe V1 and MLflow return them: with one output, that output's
 * rows; with several that share the row count, one object per row {output: value}; otherwise an
 * object {output: whole tensor}.
 */
export function predictionsJson(outputs: ReadonlyMap<string, HostTensor>): RawJson {
  const tensors = [...outputs];
  if (tensors.length === 1) {
    const [, t] = tensors[0];
    return new RawJson(encodeNested(t.datatype, t.data, t.shape));
  }
  const rows = tensors[0][1].shape[0];
  const perRow = tensors.every(([, t]) => t.shape.length > 0 && t.shape[0] === rows);
  if (!perRow) {
    const parts = tensors.map(([name, t]) => `${JSON.stringify(name)}:${encodeNested(t.datatype, t.data, t.shape)}`);
    return new RawJson(`{${parts.join(',')}}`);
  }
  return new RawJson(rowRecords(outputs));
}

/** Tensors that share their first dimension as JSON, one object per row: [{name: row, …}, …]. */
export function rowRecords(tensors: ReadonlyMap<string, HostTensor>): string {
  const all = [...tensors];
  const records: string[] = [];
  for (let r = 0; r < all[0][1].shape[0]; r++) {
    const fields = all.map(([name, t]) => {
      const rowShape = t.shape.slice(1);
      const width = rowShape.reduce((a, b) => a * b, 1);
      return `${JSON.stringify(name)}:${encodeNested(t.datatype, t.data, rowShape, r * width)}`;
    });
    records.push(`{${fields.join(',')}}`);
  }
  return `[${records.join(',')}]`;
}

export function v1Response(outputs: ReadonlyMap<string, HostTensor>): string {
  return stringify({ predictions: predictionsJson(outputs) });
}
