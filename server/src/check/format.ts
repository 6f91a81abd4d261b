import { isAbsolute, relative } from 'node:path';
import type { FileFindings, Severity } from '../contract';
import { countBySeverity, type CheckReport } from './check';

export const CHECK_FORMATS = ['text', 'json', 'github'] as const;
export type CheckFormat = (typeof CHECK_FORMATS)[number];

/** One finding as `mlops check --format json` prints it: 1-based lines and columns. */
export interface JsonFinding {
  file: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  severity: Severity;
  code: string;
  message: string;
}

/** Paths below the working folder print relative to it (as CI annotations need), others absolute. */
export function displayPath(file: string, cwd: string): string {
  const rel = relative(cwd, file);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel.split('\\').join('/') : file;
}

export function toJsonFindings(files: FileFindings[], cwd: string): JsonFinding[] {
  return files.flatMap(({ file, findings }) =>
    findings.map((f) => ({
      file: displayPath(file, cwd),
      line: f.range.start.line + 1,
      column: f.range.start.character + 1,
      endLine: f.range.end.line + 1,
      endColumn: f.range.end.character + 1,
      severity: f.severity,
      code: f.code,
      message: f.message,
    })),
  );
}

export function formatReport(report: CheckReport, format: CheckFormat, cwd: string): string {
  const rows = toJsonFindings(report.files, cwd);
  switch (format) {
    case 'json':
      return JSON.stringify(rows, null, 2) + '\n';
    case 'github':
      return rows.map(githubAnnotation).join('');
    case 'text':
      return formatText(report, rows);
  }
}

function formatText(report: CheckReport, rows: JsonFinding[]): string {
  const lines = rows.map((r) => `${r.file}:${r.line}:${r.column}: ${r.severity} [${r.code}] ${r.message}`);
  const { errors, warnings } = countBySeverity(report.files);
  const manifests = `${report.manifestsChecked} manifest${report.manifestsChecked === 1 ? '' : 's'}`;
  if (report.manifestsChecked === 0 && rows.length === 0) {
    lines.push('No mlops.yaml found. Create one (see examples/churn/mlops.yaml) to declare models, serving and monitoring.');
  } else {
    lines.push(`${manifests} checked: ${plural(errors, 'error')}, ${plural(warnings, 'warning')}.`);
  }
  return lines.join('\n') + '\n';
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

const GITHUB_COMMAND: Record<Severity, string> = { error: 'error', warning: 'warning', information: 'notice', hint: 'notice' };

/** A GitHub Actions workflow command: `::error file=F,line=L,col=C,...::message`. */
export function githubAnnotation(r: JsonFinding): string {
  const props = [
    `file=${escapeProperty(r.file)}`,
    `line=${r.line}`,
    `col=${r.column}`,
    `endLine=${r.endLine}`,
    `endColumn=${r.endColumn}`,
    `title=${escapeProperty(`mlops ${r.code}`)}`,
  ].join(',');
  return `::${GITHUB_COMMAND[r.severity]} ${props}::${escapeData(r.message)}\n`;
}

// Escaping rules of GitHub Actions workflow commands (as in @actions/core).
function escapeData(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

function escapeProperty(s: string): string {
  return escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
}
