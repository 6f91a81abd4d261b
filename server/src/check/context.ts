/**
 * `mlops check` with everything it can know: the files, the ONNX models (loaded with ONNX Runtime)
 * and the runs of the folder's tracking sources (indexed first), with gates enforced — the CI gate.
 * Each native module is optional: when one does not load, its checks are skipped with a note.
 */
import { existsSync } from 'node:fs';
import { inspectOnnx, peekOnnx } from '../onnx/inspect';
import { runLookup, type RunLookup, type ValidationContext } from '../manifest/validate';
import { resolveTrackingSources } from '../tracking/sources';
import { TrackingService } from '../tracking/service';
import { checkPath, checkRoot, type CheckReport, type ContextFor } from './check';
import { DataValidationError, reportFindings, validateData } from '../validation';

export interface CheckOptions {
  /** Check the data sets' files against their expectations too (default true; `--no-data` turns it off). */
  data?: boolean;
}

export async function checkPathWithContext(target: string, note: (message: string) => void, options: CheckOptions = {}): Promise<CheckReport> {
  const root = checkRoot(target);
  const runs = await indexedRuns(root, note);
  const base: ContextFor = (manifestPath, workspaceRoot) => ({ manifestPath, workspaceRoot, runs, gates: 'enforce' });

  // A first pass collects the ONNX files the manifests resolve to; they are inspected, then checked.
  const wanted = new Set<string>();
  checkPath(target, (m, r) => ({ ...base(m, r), onnx: (path) => void wanted.add(path) }));
  const onnx = await inspectAll(wanted, note);
  const report = checkPath(target, (m, r): ValidationContext => ({ ...base(m, r), onnx }));
  if (options.data !== false) await addDataFindings(report, root, note);
  return report;
}

/** Each manifest's data sets checked against their files: failed expectations join its findings. */
async function addDataFindings(report: CheckReport, root: string, note: (message: string) => void): Promise<void> {
  for (const file of report.files) {
    try {
      const data = await validateData({ manifestPath: file.file, workspaceRoot: root });
      const findings = reportFindings(data);
      if (findings.length > 0) file.findings = sortByPosition([...file.findings, ...findings]);
    } catch (error) {
      // No data sets, or a manifest that cannot be read or parsed: the check's own findings say so.
      if (error instanceof DataValidationError) continue;
      note(`the data sets of ${file.file} were not checked: ${firstLine(error)}`);
    }
  }
}

function sortByPosition<T extends { range: { start: { line: number; character: number } } }>(findings: T[]): T[] {
  return [...findings].sort((a, b) => a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character);
}

async function indexedRuns(root: string, note: (message: string) => void): Promise<RunLookup | undefined> {
  // Listed sources that do not exist yet hold no runs: no index is created for them.
  if (!resolveTrackingSources(root).sources.some((s) => existsSync(s.path))) return undefined;
  let service: TrackingService | undefined;
  try {
    service = TrackingService.open(root, note);
    await service.refresh();
    for (const p of service.sourceProblems) note(`${p.manifest}: tracking entry "${p.entry}": ${p.reason}`);
    return runLookup(service.runs());
  } catch (error) {
    note(`runs were not read, so run references and gates are not checked: ${firstLine(error)}`);
    return undefined;
  } finally {
    await service?.close();
  }
}

async function inspectAll(paths: Set<string>, note: (message: string) => void): Promise<ValidationContext['onnx']> {
  try {
    for (const path of paths) await inspectOnnx(path);
  } catch (error) {
    note(`ONNX Runtime did not load, so models were not loaded or compared: ${firstLine(error)}`);
    return undefined;
  }
  return peekOnnx;
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0];
}
