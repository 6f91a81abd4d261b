/**
 * The file checks of manifest validation: paths stay inside the workspace (symbolic links resolved)
 * and exist, ONNX files load, their outputs can be returned, and a monitoring reference's columns
 * match the model's inputs. Only a handful of stat/realpath calls per path, so they run on every edit.
 */
import { parseCsvHeader } from '../data/csv';
import { closeSync, openSync, readSync, realpathSync, statSync } from 'node:fs';
import { resolveLinks } from '../workspace/links';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import type { OnnxSignature } from '../onnx/inspect';
import type { Field, ManifestModel, ModelDecl, MonitorDecl } from './model';
import { closest } from './suggest';
import { checkData } from './validate-data';
import type { Report, Signatures, ValidationContext } from './validate';

/** Check every path of the manifest; returns the signatures of the ONNX files that are known. */
export function checkFiles(model: ManifestModel, ctx: ValidationContext, report: Report): Signatures {
  const signatures: Signatures = new Map();
  if (!ctx.manifestPath) {
    checkData(model, report, undefined, signatures);
    return signatures;
  }
  const files = new WorkspaceFiles(ctx.manifestPath, ctx.workspaceRoot, report, ctx.fileFacts);
  for (const entry of model.tracking?.items ?? []) if (!entry.problem) files.checkInside({ ...entry, keyRange: entry.range });
  for (const m of model.models?.entries.values() ?? []) signatures.set(m.name, checkVersions(m, files, ctx, report));
  for (const mon of model.monitoring?.entries.values() ?? []) {
    const m = model.models?.entries.get(mon.name);
    checkReference(mon, m && modelSignature(m, signatures.get(m.name)), files, report);
  }
  checkData(model, report, files, signatures);
  return signatures;
}

function checkVersions(m: ModelDecl, files: WorkspaceFiles, ctx: ValidationContext, report: Report): Map<string, OnnxSignature> {
  const sigs = new Map<string, OnnxSignature>();
  for (const v of m.versions?.entries.values() ?? []) {
    // A path that is not an .onnx file is a schema error already.
    if (!v.path?.value.endsWith('.onnx')) continue;
    const real = files.resolve(v.path, 'ONNX file');
    const inspection = real && ctx.onnx?.(real);
    if (!inspection || !v.path) continue;
    if ('error' in inspection) {
      report(v.path.range, 'error', 'onnx-load-failed', `ONNX Runtime cannot load ${v.path.value}: ${inspection.error}`);
      continue;
    }
    sigs.set(v.name, inspection);
    nonTensorOutputs(v.path, inspection, report);
  }
  return sigs;
}

/** onnxruntime-node can only return tensors; skl2onnx classifiers end in a ZipMap (a sequence of maps) by default. */
function nonTensorOutputs(path: Field<string>, sig: OnnxSignature, report: Report): void {
  const others = sig.outputs.filter((o) => !o.isTensor).map((o) => `\`${o.name}\``);
  if (others.length === 0) return;
  const tensors = sig.outputs.filter((o) => o.isTensor).map((o) => `\`${o.name}\``);
  const returned = tensors.length > 0 ? `only ${tensors.join(', ')}` : 'nothing';
  report(
    path.range,
    'warning',
    'onnx-non-tensor-output',
    `${others.join(', ')} ${others.length === 1 ? 'is not a tensor' : 'are not tensors'} (a sequence or map, such as skl2onnx's ZipMap), which ONNX Runtime for Node cannot return: the server will return ${returned}. ` +
      "To get class probabilities as a tensor, re-export with skl2onnx's convert_sklearn(..., options={id(model): {'zipmap': False}}).",
  );
}

/** The signature monitoring compares with: the production version's, else the first known. */
function modelSignature(m: ModelDecl, sigs: Map<string, OnnxSignature> | undefined): OnnxSignature | undefined {
  const production = m.aliases?.entries.get('production')?.value;
  return (production !== undefined ? sigs?.get(production) : undefined) ?? sigs?.values().next().value;
}

function checkReference(mon: MonitorDecl, sig: OnnxSignature | undefined, files: WorkspaceFiles, report: Report): void {
  if (!mon.reference) return;
  const real = files.resolve(mon.reference, 'Reference data');
  // Only CSV headers are read; other formats are checked for existence only.
  if (!real || !/\.csv$/i.test(real)) return;
  let header: string[] | undefined;
  try {
    header = readCsvHeader(real);
  } catch (error) {
    report(mon.reference.range, 'error', 'file-missing', `Reference data ${mon.reference.value} cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)}).`);
    return;
  }
  if (header) driftFeatureNames(mon, header, report);
  if (!sig) return;
  const problem = header === undefined ? 'has no header row.' : columnsProblem(header, sig);
  if (problem) report(mon.reference.range, 'error', 'reference-columns', `${mon.reference.value} ${problem}`);
}

/** Per-feature drift settings and exclusions must name columns of the reference. */
function driftFeatureNames(mon: MonitorDecl, header: string[], report: Report): void {
  const names = [
    ...[...(mon.drift?.features?.entries.values() ?? [])].map((f) => ({ value: f.name, range: f.keyRange })),
    ...(mon.drift?.exclude ?? []),
  ];
  for (const n of names) {
    if (header.includes(n.value)) continue;
    const suggestion = closest(n.value, header);
    report(n.range, 'warning', 'unknown-feature', `The reference ${mon.reference?.value} has no column \`${n.value}\`${suggestion ? `; did you mean \`${suggestion}\`?` : ` (its columns: ${preview(header)}).`}`, suggestion);
  }
}

/**
 * Named inputs (one per feature, as skl2onnx makes from a DataFrame) must each have a column. A single
 * [N, k] tensor input says nothing of names, only that rows have k features; a reference may add one
 * label column (drift reports often include the target), so k or k + 1 columns are accepted.
 */
function columnsProblem(header: string[], sig: OnnxSignature): string | undefined {
  const inputs = sig.inputs.filter((i) => i.isTensor);
  if (inputs.length > 1) {
    const columns = new Set(header);
    const missing = inputs.filter((i) => !columns.has(i.name)).map((i) => i.name);
    if (missing.length === 0) return undefined;
    return `has no column for the model's input${missing.length === 1 ? '' : 's'} ${missing.join(', ')} (its columns: ${preview(header)}).`;
  }
  const k = inputs[0]?.shape?.length === 2 ? inputs[0].shape[1] : undefined;
  if (typeof k !== 'number' || header.length === k || header.length === k + 1) return undefined;
  return `has ${header.length} column${header.length === 1 ? '' : 's'}, but the model's input \`${inputs[0].name}\` takes ${k} features per row (expected ${k} feature columns, plus at most one label column).`;
}

function preview(names: string[]): string {
  return names.length > 8 ? `${names.slice(0, 8).join(', ')}, …` : names.join(', ');
}

/** The first record of a CSV file (any delimiter, quotes and a UTF-8 BOM handled), from at most its first 64 KiB. */
export function readCsvHeader(path: string): string[] | undefined {
  let text: string;
  const fd = openSync(path, 'r');
  try {
    const buffer = Buffer.alloc(64 * 1024);
    text = buffer.subarray(0, readSync(fd, buffer, 0, buffer.length, 0)).toString('utf8').replace(/^\uFEFF/, '');
  } finally {
    closeSync(fd);
  }
  return parseCsvHeader(text);
}

/** What validation learns of a path on disk: its real path and whether that is a file, or why not. */
type PathFact = { real: string; isFile: boolean } | { code: string };

/**
 * Remembers what the file checks found for each path, so checks run on every keystroke do not stat
 * hundreds of model files each time. The language server clears it when watched files change; facts
 * also expire after `ttlMs`, for changes no watcher reports (a folder removed, a link retargeted).
 */
export class FileFacts {
  private readonly facts = new Map<string, PathFact>();
  private filledAt = 0;

  constructor(private readonly ttlMs = 2000) {}

  clear(): void {
    this.facts.clear();
  }

  lookup(absolute: string): PathFact {
    const now = Date.now();
    if (now - this.filledAt > this.ttlMs) {
      this.facts.clear();
      this.filledAt = now;
    }
    let fact = this.facts.get(absolute);
    if (!fact) {
      fact = readPathFact(absolute);
      this.facts.set(absolute, fact);
    }
    return fact;
  }
}

function readPathFact(absolute: string): PathFact {
  try {
    const real = realpathSync.native(absolute);
    return { real, isFile: statSync(real, { throwIfNoEntry: false })?.isFile() ?? false };
  } catch (error) {
    return { code: (error as NodeJS.ErrnoException).code ?? String(error) };
  }
}

/** Resolves manifest paths against its folder, and keeps them (and their symlink targets) in the workspace. */
export class WorkspaceFiles {
  private readonly base: string;
  private readonly root: string;
  private realRootCache: string | undefined;

  constructor(
    readonly manifestPath: string,
    workspaceRoot: string | undefined,
    private readonly report: Report,
    private readonly facts?: FileFacts,
  ) {
    this.base = dirname(manifestPath);
    this.root = resolve(workspaceRoot ?? this.base);
  }

  private get realRoot(): string {
    if (this.realRootCache === undefined) {
      try {
        this.realRootCache = realpathSync.native(this.root);
      } catch {
        this.realRootCache = this.root;
      }
    }
    return this.realRootCache;
  }

  /** Reports a path outside the workspace, as written; remote URLs are left to the tracking reader. */
  checkInside(field: Field<string>): boolean {
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(field.value)) return true;
    if (!outside(this.root, resolve(this.base, field.value))) return true;
    this.report(field.range, 'error', 'path-outside-workspace', `${field.value} is outside the workspace (${this.root}); keep models, data and run logs inside it.`);
    return false;
  }

  /** The real path of an existing file inside the workspace, or undefined after reporting why not. */
  resolve(field: Field<string>, what: string): string | undefined {
    if (!this.checkInside(field)) return undefined;
    const absolute = resolve(this.base, field.value);
    const fact = this.facts?.lookup(absolute) ?? readPathFact(absolute);
    if ('code' in fact) {
      const { code } = fact;
      // A link whose target does not exist yet still points somewhere: outside is refused now.
      const target = code === 'ENOENT' ? resolveLinks(absolute) : absolute;
      if (outside(this.realRoot, target) && target !== absolute) {
        this.report(field.range, 'error', 'path-outside-workspace', `${field.value} is a link to ${target}, outside the workspace; copy the file into the workspace instead.`);
        return undefined;
      }
      const why = code === 'ENOENT' || code === 'ENOTDIR' ? 'does not exist' : `cannot be read (${code})`;
      this.report(field.range, 'error', 'file-missing', `${what} ${field.value} ${why}${code === 'ENOENT' ? ` (looked for ${absolute})` : ''}.`);
      return undefined;
    }
    const { real } = fact;
    if (outside(this.realRoot, real)) {
      this.report(field.range, 'error', 'path-outside-workspace', `${field.value} is a link to ${real}, outside the workspace; copy the file into the workspace instead.`);
      return undefined;
    }
    if (!fact.isFile) {
      this.report(field.range, 'error', 'file-missing', `${what} ${field.value} is a folder, not a file.`);
      return undefined;
    }
    return real;
  }
}

function outside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '..' || rel.startsWith(`..${'/'}`) || rel.startsWith('..\\') || isAbsolute(rel);
}
