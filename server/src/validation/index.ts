/**
 * Data validation: the `data:` section of mlops.yaml — named data sets and what valid data in them
 * is — checked against their files by `mlops validate`, `mlops check` and the editor. This is the
 * folder's public face; the CLI, the check and the language server use nothing else of it.
 */
import { readFileSync } from 'node:fs';
import { basename, dirname, extname, relative, resolve } from 'node:path';
import type { ColumnProfile, DataValidationReport, DatasetValidation, Finding } from '../contract';
import { readManifestModel, type DatasetDecl, type ManifestModel } from '../manifest/model';
import { decodeManifest, parseManifest } from '../manifest/parse';
import { openTable, DataFileError } from '../data/table';
import { globFiles } from '../workspace/glob';
import { isInside } from '../workspace/links';
import { inferColumn, inferredYaml, type InferredDataset } from './infer';
import { compileDataset, type DatasetSpec, type SpecProblem } from './spec';
import { profileColumns, validateFiles, ValidationCancelled, type ValidateOptions } from './validator';

export { compileDataset, ValidationCancelled, type DatasetSpec, type SpecProblem, type ValidateOptions };
export { COLUMN_TYPES } from './spec';
export { RowChecker, type RowViolation, type RowTensor } from './rows';

export class DataValidationError extends Error {}

/** The manifest has no `data:` section: nothing to validate. */
export class NoDatasetsError extends DataValidationError {}

/** The manifest's data sets, compiled, with the problems of their declarations. */
export function datasetsOf(model: ManifestModel): { spec: DatasetSpec; problems: SpecProblem[]; decl: DatasetDecl }[] {
  return [...(model.data?.entries.values() ?? [])].map((decl) => ({ decl, ...compileDataset(decl) }));
}

/** The files of a data set's path (a file or a glob), relative to the manifest; only those inside the workspace. */
export function datasetFiles(spec: DatasetSpec, manifestPath: string, workspaceRoot: string): string[] {
  if (!spec.path) return [];
  return globFiles(dirname(manifestPath), spec.path).filter((f) => inside(workspaceRoot, f));
}

const inside = (root: string, path: string): boolean => isInside(path, root);

function readModel(manifestPath: string): ManifestModel {
  let bytes: Buffer;
  try {
    bytes = readFileSync(manifestPath);
  } catch (error) {
    throw new DataValidationError(`cannot read ${manifestPath} (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  const decoded = decodeManifest(bytes);
  if ('finding' in decoded) throw new DataValidationError(`${manifestPath}: ${decoded.finding.message}`);
  const parsed = parseManifest(decoded.text);
  const fatal = parsed.findings.find((f) => f.severity === 'error');
  if (fatal) throw new DataValidationError(`${manifestPath}:${fatal.range.start.line + 1}:${fatal.range.start.character + 1}: ${fatal.message}`);
  return readManifestModel(parsed);
}

export interface ValidateRequest extends ValidateOptions {
  manifestPath: string;
  workspaceRoot: string;
  /** A data set's name, or a data file (checked against the data set whose path names it). Absent: every data set. */
  target?: string;
}

/** Validate the manifest's data sets (or the one `target` names). Throws DataValidationError on bad usage. */
export async function validateData(request: ValidateRequest): Promise<DataValidationReport> {
  const model = readModel(request.manifestPath);
  const all = datasetsOf(model);
  if (all.length === 0) throw new NoDatasetsError(`${request.manifestPath} declares no data sets; add a \`data:\` section (mlops validate --infer FILE proposes one)`);
  let chosen = all;
  let only: string | undefined;
  if (request.target !== undefined) {
    const byName = all.filter((d) => d.spec.name === request.target);
    if (byName.length > 0) chosen = byName;
    else {
      const file = resolve(request.target);
      const owners = all.filter((d) => datasetFiles(d.spec, request.manifestPath, request.workspaceRoot).includes(file));
      if (owners.length === 0) throw new DataValidationError(`"${request.target}" is neither a data set of ${request.manifestPath} (${all.map((d) => d.spec.name).join(', ')}) nor a file one of them names`);
      chosen = owners;
      only = file;
    }
  }
  const datasets: DatasetValidation[] = [];
  for (const d of chosen) {
    const files = only ? [only] : datasetFiles(d.spec, request.manifestPath, request.workspaceRoot);
    const reference = d.spec.reference !== undefined ? resolve(dirname(request.manifestPath), d.spec.reference) : undefined;
    datasets.push(await validateFiles(d.spec, files, { ...request, referencePath: reference && inside(request.workspaceRoot, reference) ? reference : undefined }));
  }
  const errors = datasets.reduce((n, d) => n + d.errors, 0);
  const warnings = datasets.reduce((n, d) => n + d.warnings, 0);
  return { manifest: request.manifestPath, datasets, passed: errors === 0, errors, warnings };
}

/** Failed expectations as findings on the manifest (for `mlops check` and the Problems panel). */
export function reportFindings(report: DataValidationReport): Finding[] {
  return report.datasets.flatMap((d) =>
    d.results.filter((r) => !r.passed).map((r) => ({ range: r.range, severity: r.severity, code: `data-${r.expectation.replace(/_/g, '-')}`, message: `${d.dataset}: ${r.message}` })),
  );
}

/** Every column's observed statistics in a file (hover, the report's histograms); throws DataFileError. */
export async function profileFile(file: string, signal?: AbortSignal): Promise<{ columns: string[]; rows: number; profiles: ColumnProfile[] }> {
  const reader = await openTable(resolve(file));
  const { profilers, rows } = await profileColumns(allColumns('file', reader.columns), reader, signal, false);
  return { columns: reader.columns, rows, profiles: profilers.map((p) => p.result()) };
}

function allColumns(name: string, columns: string[]): DatasetSpec {
  return {
    name,
    keyRange: ZERO,
    columns: columns.map((c) => ({ name: c, keyRange: ZERO, range: ZERO, required: true, requiredRule: { key: 'required', label: '', severity: 'error', range: ZERO, keyRange: ZERO } })),
    extraColumns: 'ignore',
  };
}

/** A proposed `data:` block for a file: its columns' types, ranges, categories, null shares and uniqueness. */
export async function inferExpectations(file: string, options: { name?: string; manifestPath?: string; signal?: AbortSignal; /** The path to write, as given (a glob, say). */ path?: string; withDataKey?: boolean } = {}): Promise<{ yaml: string; dataset: InferredDataset }> {
  const absolute = resolve(file);
  const reader = await openTable(absolute);
  const spec = allColumns(options.name ?? basename(absolute, extname(absolute)).replace(/[^A-Za-z0-9_-]+/g, '_'), reader.columns);
  const { profilers, rows } = await profileColumns(spec, reader, options.signal);
  const path = options.path ?? (options.manifestPath ? relative(dirname(options.manifestPath), absolute).split('\\').join('/') : file);
  const dataset: InferredDataset = { name: spec.name, path, rows, columns: profilers.map((p) => ({ name: p.column, expectations: inferColumn(p) })) };
  return { yaml: inferredYaml(dataset, { withDataKey: options.withDataKey ?? true }), dataset };
}

const ZERO = { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };

export { DataFileError };
