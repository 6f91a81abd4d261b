import type { Datatype, HostTensor } from './dtypes';
import { RequestError, badRequest } from './errors';
import { describeValue, stringify } from './json';
import { instancesToInputs, predictionsJson } from './protocol-v1';
import type { ModelSignature, TensorSpec } from './sessions';
import { flattenNested, rowsToInput, type RawInput } from './tensors';

/**
 * The MLflow scoring server's POST /invocations: a JSON body with exactly one of dataframe_split,
 * dataframe_records, instances or inputs (plus optional params), or text/csv with a header row.
 */

const FORMATS = ['dataframe_split', 'dataframe_records', 'instances', 'inputs'] as const;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export type MediaType = 'json' | 'csv';

/** The body's format from Content-Type; MLflow answers 415 to anything else. */
export function mlflowMediaType(contentType: string | undefined): MediaType {
  const type = (contentType ?? '').split(';')[0].trim().toLowerCase();
  if (type === '' || type === 'application/json') return 'json';
  if (type === 'text/csv') return 'csv';
  throw new RequestError(415, `content type ${describeValue(type)} is not supported; send application/json or text/csv`);
}

export function parseMlflowJson(body: unknown, signature: ModelSignature): RawInput[] {
  if (!isObj(body)) throw badRequest(`the body must be a JSON object with one of ${FORMATS.join(', ')}, got ${describeValue(body)}`);
  const present = FORMATS.filter((f) => body[f] !== undefined);
  const unknown = Object.keys(body).filter((k) => !(FORMATS as readonly string[]).includes(k) && k !== 'params');
  if (unknown.length > 0) throw badRequest(`unknown field ${describeValue(unknown[0])}; the body takes one of ${FORMATS.join(', ')} (and params)`);
  if (present.length !== 1) throw badRequest(`the body must have exactly one of ${FORMATS.join(', ')}; it has ${present.length === 0 ? 'none' : present.join(' and ')}`);
  const value = body[present[0]];
  switch (present[0]) {
    case 'dataframe_split':
      return fromSplit(value, signature);
    case 'dataframe_records':
      return fromRecords(value, signature);
    case 'instances':
      if (!Array.isArray(value)) throw badRequest('instances must be a list');
      return instancesToInputs(value, signature, 'instances');
    default:
      return fromTensors(value, signature);
  }
}

function fromSplit(split: unknown, signature: ModelSignature): RawInput[] {
  if (!isObj(split) || !Array.isArray(split.data)) throw badRequest('dataframe_split must be an object {columns, data: [[...], ...]}');
  const columns = split.columns;
  if (columns !== undefined && !(Array.isArray(columns) && columns.every((c) => typeof c === 'string' || typeof c === 'number'))) {
    throw badRequest('dataframe_split.columns must be a list of column names');
  }
  return fromTable(columns?.map(String), split.data, signature, 'dataframe_split.data', (_, v) => v);
}

function fromRecords(records: unknown, signature: ModelSignature): RawInput[] {
  if (!Array.isArray(records) || records.length === 0 || !records.every(isObj)) {
    throw badRequest('dataframe_records must be a non-empty list of objects {column: value}');
  }
  const columns = Object.keys(records[0]);
  const rows = (records as Obj[]).map((record, i) =>
    columns.map((c) => {
      if (!Object.hasOwn(record, c)) throw badRequest(`dataframe_records[${i}] has no column '${c}' (the first record has ${columns.join(', ')})`);
      return record[c];
    }),
  );
  return fromTable(columns, rows, signature, 'dataframe_records', (_, v) => v);
}

/**
 * A table as model inputs. When every column is named after an input, each column feeds its input
 * (one value, or a list, per row); otherwise a single-input model takes each row as its feature vector.
 */
function fromTable(
  columns: string[] | undefined,
  rows: unknown[],
  signature: ModelSignature,
  where: string,
  cell: (datatype: Datatype, value: unknown) => unknown,
): RawInput[] {
  if (rows.length === 0) throw badRequest(`${where} is empty: send at least one row`);
  rows.forEach((row, i) => {
    if (!Array.isArray(row)) throw badRequest(`${where}[${i}] must be a list of cell values, got ${describeValue(row)}`);
    if (columns && row.length !== columns.length) throw badRequest(`${where}[${i}] has ${row.length} values for ${columns.length} columns`);
  });
  const specs = new Map(signature.inputs.map((i) => [i.name, i]));
  const names = new Set(specs.keys());
  if (columns && columns.length > 0 && columns.every((c) => names.has(c))) {
    const missing = signature.inputs.filter((i) => !columns.includes(i.name)).map((i) => i.name);
    if (missing.length > 0) throw badRequest(`${where} has no column for input${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (columns: ${columns.join(', ')})`);
    const records = (rows as unknown[][]).map((row) => {
      const record: Obj = {};
      columns.forEach((c, j) => (record[c] = cell((specs.get(c) as TensorSpec).datatype, row[j])));
      return record;
    });
    return instancesToInputs(records, signature, where);
  }
  if (signature.inputs.length > 1) {
    throw badRequest(`the model has several inputs (${[...names].join(', ')}): name the columns after them (got ${columns ? columns.join(', ') : 'no column names'})`);
  }
  const spec = signature.inputs[0];
  const typed = (rows as unknown[][]).map((row) => row.map((v) => cell(spec.datatype, v)));
  return [rowsToInput(spec, typed, `input '${spec.name}' (${where})`)];
}

function fromTensors(value: unknown, signature: ModelSignature): RawInput[] {
  if (Array.isArray(value)) {
    if (signature.inputs.length > 1) throw badRequest(`the model has several inputs: inputs must be an object {${signature.inputs.map((i) => i.name).join(', ')}}`);
    const spec = signature.inputs[0];
    return [{ name: spec.name, ...flattenNested(value, `input '${spec.name}'`) }];
  }
  if (!isObj(value)) throw badRequest('inputs must be a nested list (one-input models) or an object {input: nested list}');
  return Object.entries(value).map(([name, tensor]) => ({ name, ...flattenNested(tensor, `input '${name}'`) }));
}

export function parseMlflowCsv(text: string, signature: ModelSignature): RawInput[] {
  const [header, ...rows] = parseCsv(text);
  if (!header) throw badRequest('the CSV body is empty: send a header row and at least one data row');
  rows.forEach((row, i) => {
    if (row.length !== header.length) throw badRequest(`CSV row ${i + 2} has ${row.length} fields, the header has ${header.length}`);
  });
  return fromTable(header, rows, signature, 'CSV', (datatype, v) => csvCell(datatype, v as string));
}

/** CSV cells are text: read each as its input's type would want it (int64 stays a digit string, exact). */
function csvCell(datatype: Datatype, cell: string): unknown {
  if (datatype === 'BYTES') return cell;
  if (datatype === 'BOOL') return /^(true|1)$/i.test(cell) ? true : /^(false|0)$/i.test(cell) ? false : cell;
  if ((datatype === 'INT64' || datatype === 'UINT64') && /^-?\d+$/.test(cell)) return cell;
  return /^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/.test(cell) ? Number(cell) : cell;
}

/** RFC 4180: comma-separated, double-quoted fields with "" for a quote, CRLF or LF; blank lines skipped. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let i = 0;
  const endRow = () => {
    row.push(field);
    if (row.length > 1 || row[0] !== '') rows.push(row);
    row = [];
    field = '';
  };
  while (i < text.length) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (field += '"'), (i += 2);
      else if (c === '"') (quoted = false), i++;
      else (field += c), i++;
    } else if (c === '"' && field === '') (quoted = true), i++;
    else if (c === ',') row.push(field), (field = ''), i++;
    else if (c === '\n' || c === '\r') {
      endRow();
      i += c === '\r' && text[i + 1] === '\n' ? 2 : 1;
    } else (field += c), i++;
  }
  if (quoted) throw badRequest('the CSV body ends inside a quoted field');
  if (field !== '' || row.length > 0) endRow();
  return rows;
}

export function mlflowResponse(outputs: ReadonlyMap<string, HostTensor>): string {
  return stringify({ predictions: predictionsJson(outputs) });
}
