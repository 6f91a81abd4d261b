import { readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { FileFindings, Finding } from '../contract';
import type { ManifestModel } from '../manifest/model';
import { decodeManifest, isManifestPath, parseManifest, type ParsedManifest } from '../manifest/parse';
import { validateManifest, type ValidationContext } from '../manifest/validate';
import { describeFsError, scanWorkspace } from '../workspace/scan';

export interface CheckReport {
  /** Every manifest checked, with its findings (possibly none), plus unreadable paths. */
  files: FileFindings[];
  manifestsChecked: number;
}

export class CheckUsageError extends Error {}

const START = { start: { line: 0, character: 0 }, end: { line: 0, character: 1 } };

/** The validation context of one manifest, given the workspace folder being checked. */
export type ContextFor = (manifestPath: string, workspaceRoot: string) => ValidationContext;

/** The folder a check target stands for: the folder itself, or a manifest file's folder. Throws CheckUsageError. */
export function checkRoot(target: string): string {
  const absolute = resolve(target);
  let isFolder: boolean;
  try {
    isFolder = statSync(absolute).isDirectory();
  } catch (error) {
    throw new CheckUsageError(`cannot check ${target}: ${describeFsError(error)}`);
  }
  if (isFolder) return absolute;
  if (!isManifestPath(absolute)) throw new CheckUsageError(`${target} is not a folder or an mlops.yaml file`);
  return dirname(absolute);
}

/**
 * Check every manifest below `target` (a folder), or `target` itself when it is a manifest file.
 * Without `contextFor` only the text is checked (no files, runs or ONNX models).
 */
export function checkPath(target: string, contextFor?: ContextFor): CheckReport {
  const root = checkRoot(target);
  const absolute = resolve(target);
  const check = (file: string) => checkManifestFile(file, contextFor?.(file, root));
  if (absolute !== root) return { files: [check(absolute)], manifestsChecked: 1 };

  const scan = scanWorkspace(absolute);
  const files = scan.manifests.map(check);
  for (const { path, reason } of scan.unreadable) {
    files.push({ file: path, findings: [{ range: START, severity: 'error', code: 'unreadable', message: `cannot read ${path}: ${reason}; its manifests were not checked` }] });
  }
  if (scan.truncated) {
    files.push({ file: absolute, findings: [{ range: START, severity: 'warning', code: 'scan-truncated', message: 'the folder holds too many files; the scan stopped early. Check a smaller folder.' }] });
  }
  return { files, manifestsChecked: scan.manifests.length };
}

/** Read and check one manifest from disk. Never throws. */
export function checkManifestFile(file: string, ctx?: ValidationContext): FileFindings {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    return { file, findings: [{ range: START, severity: 'error', code: 'unreadable', message: `cannot read ${file}: ${describeFsError(error)}` }] };
  }
  return { file, findings: checkManifestBytes(bytes, ctx) };
}

export function checkManifestBytes(bytes: Uint8Array, ctx?: ValidationContext): Finding[] {
  const decoded = decodeManifest(bytes);
  if ('finding' in decoded) return [decoded.finding];
  return checkManifestText(decoded.text, ctx);
}

/**
 * The checks the language server runs on every edit and the CLI runs on every file: parsing, then
 * validation with whatever the context knows (see ValidationContext; none: the text alone).
 */
export function checkManifestText(text: string, ctx?: ValidationContext): Finding[] {
  return checkParsed(parseManifest(text), text, ctx);
}

/** checkManifestText for text already parsed (and its model already read), so an editor parses once per edit. */
export function checkParsed(parsed: ParsedManifest, text: string, ctx?: ValidationContext, model?: ManifestModel): Finding[] {
  return sortFindings(keepInside([...parsed.findings, ...validateManifest(parsed, ctx, model)], text));
}

/**
 * Clamp every range to the text's lines: the YAML parser can place an error past the end of a line,
 * and an editor given a position outside the document may drop the diagnostic.
 */
function keepInside(findings: Finding[], text: string): Finding[] {
  if (findings.length === 0) return findings;
  const lengths = lineLengths(text, Math.max(...findings.map((f) => f.range.end.line)));
  const clamp = (p: Finding['range']['start']) => {
    const line = Math.min(Math.max(0, p.line), lengths.length - 1);
    return { line, character: Math.min(Math.max(0, p.character), lengths[line]) };
  };
  return findings.map((f) => {
    const start = clamp(f.range.start);
    let end = clamp(f.range.end);
    if (end.line < start.line || (end.line === start.line && end.character <= start.character)) {
      // Never empty, so it can be shown: one character, or the end of an empty line.
      end = { line: start.line, character: start.character + 1 };
    }
    const same = start.line === f.range.start.line && start.character === f.range.start.character && end.line === f.range.end.line && end.character === f.range.end.character;
    return same ? f : { ...f, range: { start, end } };
  });
}

function sortFindings(findings: Finding[]): Finding[] {
  return [...findings].sort((a, b) => a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character);
}

/** Lengths of the text's lines up to `lastLine` (without CR), reading no further than needed. */
function lineLengths(text: string, lastLine: number): number[] {
  const lengths: number[] = [];
  let start = 0;
  while (lengths.length <= lastLine) {
    const newline = text.indexOf('\n', start);
    const end = newline === -1 ? text.length : newline;
    lengths.push(end - start - (text[end - 1] === '\r' && end > start ? 1 : 0));
    if (newline === -1) break;
    start = newline + 1;
  }
  return lengths;
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
