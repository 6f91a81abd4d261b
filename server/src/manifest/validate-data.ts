/**
 * Manifest checks of `data:`: expectations that cannot hold or cannot be checked (min above max, a
 * regular expression that does not compile, a bad date format), data set paths (inside the
 * workspace, existing, a glob that matches), listed columns against the file's header, and a
 * model's `input` data set against its ONNX signature. The data itself is checked by
 * `mlops validate`; here only what a keystroke can afford: a header read, no rows.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Range } from '../contract';
import type { OnnxSignature } from '../onnx/inspect';
import { compileDataset, type DatasetSpec } from '../validation/spec';
import { globFiles, isGlob } from '../workspace/glob';
import type { Field, ManifestModel } from './model';
import { closest } from './suggest';
import type { Report, Signatures } from './validate';
import { readCsvHeader, type WorkspaceFiles } from './validate-files';

export function checkData(model: ManifestModel, report: Report, files: WorkspaceFiles | undefined, signatures: Signatures): void {
  const specs = new Map<string, DatasetSpec>();
  const headers = new Map<string, string[] | undefined>();
  for (const decl of model.data?.entries.values() ?? []) {
    const { spec, problems } = compileDataset(decl);
    specs.set(spec.name, spec);
    for (const p of problems) report(p.range, p.severity, p.code, `Data set \`${spec.name}\`: ${p.message}`);
    if (!files || !decl.path) continue;
    const header = datasetHeader(decl.path, files, report, spec.name);
    headers.set(spec.name, header);
    if (header) columnsInHeader(spec, header, decl.path.value, report);
    if (decl.reference) files.resolve(decl.reference, 'Reference data');
  }
  for (const m of model.models?.entries.values() ?? []) {
    if (!m.input) continue;
    const spec = specs.get(m.input.value);
    if (!spec) {
      const names = [...specs.keys()];
      const suggestion = closest(m.input.value, names);
      report(m.input.range, 'error', 'unknown-dataset', `\`${m.input.value}\` is not a data set under \`data:\`${names.length > 0 ? ` (data sets: ${names.join(', ')})` : ' (there is no data: section)'}${suggestion ? `; did you mean \`${suggestion}\`?` : '.'}`, suggestion);
      continue;
    }
    const sigs = signatures.get(m.name);
    const production = m.aliases?.entries.get('production')?.value;
    const sig = (production !== undefined ? sigs?.get(production) : undefined) ?? sigs?.values().next().value;
    if (sig) inputAgainstSignature(spec, headers.get(spec.name), sig, m.input.range, m.name, report);
  }
}

/** The header of a data set's (first) file; reports a missing file or a glob that matches nothing. */
function datasetHeader(path: Field<string>, files: WorkspaceFiles, report: Report, name: string): string[] | undefined {
  let file: string | undefined;
  if (isGlob(path.value)) {
    if (!files.checkInside(path)) return undefined;
    const matched = globFiles(dirname(files.manifestPath), path.value);
    if (matched.length === 0) {
      report(path.range, 'warning', 'file-missing', `No file matches ${path.value} yet: data set \`${name}\` has nothing to check.`);
      return undefined;
    }
    file = matched[0];
  } else {
    file = files.resolve(path, 'Data file');
  }
  return file ? dataFileHeader(file) : undefined;
}

/** The column names of a CSV or JSON Lines file from its first 64 KiB; undefined for other formats or an unreadable file. */
export function dataFileHeader(file: string): string[] | undefined {
  try {
    if (/\.(csv|tsv|txt)$/i.test(file)) return readCsvHeader(file);
    if (/\.(jsonl|ndjson)$/i.test(file)) return jsonlHeader(file);
  } catch {
    return undefined; // unreadable: mlops validate says why, located
  }
  return undefined;
}

/** The first file of a data set's path (the first match of a glob), inside the workspace; undefined when none. */
export function firstDataFile(pathValue: string, manifestPath: string): string | undefined {
  return globFiles(dirname(manifestPath), pathValue)[0];
}

/** The keys of the first JSON Lines record, from at most the first 64 KiB. */
function jsonlHeader(file: string): string[] | undefined {
  const fd = openSync(file, 'r');
  let text: string;
  try {
    const buffer = Buffer.alloc(64 * 1024);
    text = buffer.subarray(0, readSync(fd, buffer, 0, buffer.length, 0)).toString('utf8').replace(/^\uFEFF/, '');
  } finally {
    closeSync(fd);
  }
  const first = text.split(/\r?\n/).find((l) => l.trim() !== '');
  if (first === undefined) return undefined;
  try {
    const record = JSON.parse(first) as unknown;
    return typeof record === 'object' && record !== null && !Array.isArray(record) ? Object.keys(record) : undefined;
  } catch {
    return undefined;
  }
}

function columnsInHeader(spec: DatasetSpec, header: string[], path: string, report: Report): void {
  for (const c of spec.columns) {
    if (header.includes(c.name)) continue;
    const suggestion = closest(c.name, header);
    const columns = header.length > 8 ? `${header.slice(0, 8).join(', ')}, …` : header.join(', ');
    report(c.keyRange, c.required ? 'error' : 'warning', 'data-column-missing', `${path} has no column \`${c.name}\`${suggestion ? `; did you mean \`${suggestion}\`?` : ` (its columns: ${columns}).`}`, suggestion);
  }
}

const STRING_TYPES = new Set(['string', 'category']);

/**
 * A model's input data set against the model's inputs: one input per column (as skl2onnx makes from
 * a DataFrame) needs each input's column, of a type the input takes; one [N, k] input needs k columns.
 */
function inputAgainstSignature(spec: DatasetSpec, header: string[] | undefined, sig: OnnxSignature, range: Range, model: string, report: Report): void {
  const inputs = sig.inputs.filter((i) => i.isTensor);
  const columns = header ?? spec.columns.map((c) => c.name);
  if (inputs.length > 1) {
    const missing = inputs.filter((i) => !columns.includes(i.name)).map((i) => i.name);
    if (missing.length > 0) report(range, 'error', 'input-columns', `Data set \`${spec.name}\` has no column for ${missing.length === 1 ? 'the input' : 'the inputs'} ${missing.join(', ')} of \`${model}\`.`);
    for (const input of inputs) {
      const column = spec.columns.find((c) => c.name === input.name);
      if (!column?.type || !input.type) continue;
      const textInput = input.type === 'string';
      if (textInput !== STRING_TYPES.has(column.type)) {
        report(column.typeRule?.range ?? column.keyRange, 'error', 'input-dtype', `\`${column.name}\` is declared ${column.type}, but the input \`${input.name}\` of \`${model}\` takes ${input.type}.`);
      }
    }
    return;
  }
  const k = inputs[0]?.shape?.length === 2 ? inputs[0].shape[1] : undefined;
  if (typeof k !== 'number') return;
  const text = spec.columns.filter((c) => c.type && STRING_TYPES.has(c.type)).map((c) => c.name);
  if (inputs[0].type !== 'string' && text.length > 0 && columns.length - text.length < k) {
    report(range, 'error', 'input-dtype', `\`${model}\` takes ${k} ${inputs[0].type} features per row, but data set \`${spec.name}\` declares ${text.join(', ')} as text, leaving ${columns.length - text.length} numeric columns.`);
  } else if (columns.length < k) {
    report(range, 'error', 'input-columns', `\`${model}\`'s input \`${inputs[0].name}\` takes ${k} features per row, but data set \`${spec.name}\` has ${columns.length} column${columns.length === 1 ? '' : 's'}.`);
  }
}
