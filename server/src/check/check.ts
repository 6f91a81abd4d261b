import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { FileFindings, Finding } from '../contract';
import { decodeManifest, isManifestPath, parseManifest } from '../manifest/parse';
import { describeFsError, scanWorkspace } from '../workspace/scan';

export interface CheckReport {
  /** Every manifest checked, with its findings (possibly none), plus unreadable paths. */
  files: FileFindings[];
  manifestsChecked: number;
}

export class CheckUsageError extends Error {}

const START = { start: { line: 0, character: 0 }, end: { line: 0, character: 1 } };

/** Check every manifest below `target` (a folder), or `target` itself when it is a manifest file. */
export function checkPath(target: string): CheckReport {
  const absolute = resolve(target);
  let isFolder: boolean;
  try {
    isFolder = statSync(absolute).isDirectory();
  } catch (error) {
    throw new CheckUsageError(`cannot check ${target}: ${describeFsError(error)}`);
  }
  if (!isFolder) {
    if (!isManifestPath(absolute)) throw new CheckUsageError(`${target} is not a folder or an mlops.yaml file`);
    return { files: [checkManifestFile(absolute)], manifestsChecked: 1 };
  }

  const scan = scanWorkspace(absolute);
  const files = scan.manifests.map(checkManifestFile);
  for (const { path, reason } of scan.unreadable) {
    files.push({ file: path, findings: [{ range: START, severity: 'error', code: 'unreadable', message: `cannot read ${path}: ${reason}; its manifests were not checked` }] });
  }
  if (scan.truncated) {
    files.push({ file: absolute, findings: [{ range: START, severity: 'warning', code: 'scan-truncated', message: 'the folder holds too many files; the scan stopped early. Check a smaller folder.' }] });
  }
  return { files, manifestsChecked: scan.manifests.length };
}

/** Read and check one manifest from disk. Never throws. */
export function checkManifestFile(file: string): FileFindings {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    return { file, findings: [{ range: START, severity: 'error', code: 'unreadable', message: `cannot read ${file}: ${describeFsError(error)}` }] };
  }
  return { file, findings: checkManifestBytes(bytes) };
}

export function checkManifestBytes(bytes: Uint8Array): Finding[] {
  const decoded = decodeManifest(bytes);
  if ('finding' in decoded) return [decoded.finding];
  return checkManifestText(decoded.text);
}

/** The checks the language server runs on every edit and the CLI runs on every file. */
export function checkManifestText(text: string): Finding[] {
  return sortFindings(parseManifest(text).findings);
}

function sortFindings(findings: Finding[]): Finding[] {
  return [...findings].sort((a, b) => a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character);
}

export function countBySeverity(files: FileFindings[]): { errors: number; warnings: number } {
  let errors = 0;
  let warnings = 0;
  for (const f of files) {
    for (const finding of f.findings) {
      if (finding.severity === 'error') errors++;
      else if (finding.severity === 'warning') warnings++;
    }
  }
  return { errors, warnings };
}
