/** A smoke report for people (text), for programs (json) and for GitHub Actions (annotations). */
import { displayPath, githubAnnotation } from '../check/format';
import { ms, type CheckName, type SmokeFinding, type SmokeReport } from './run';

export const SMOKE_FORMATS = ['text', 'json', 'github'] as const;
export type SmokeFormat = (typeof SMOKE_FORMATS)[number];

/** Findings listed in the text report; the counts cover all of them. */
const LISTED = 20;

export function formatSmoke(report: SmokeReport, format: SmokeFormat, cwd: string): string {
  const shown = { ...report, rows: { ...report.rows, file: displayPath(report.rows.file, cwd) }, findings: report.findings.map((f) => ({ ...f, file: displayPath(f.file, cwd) })) };
  if (format === 'json') return `${JSON.stringify(shown, null, 2)}\n`;
  if (format === 'github') {
    const annotations = shown.findings.map((f) =>
      githubAnnotation({ file: f.file, line: f.line ?? 1, column: 1, endLine: f.line ?? 1, endColumn: 1, severity: 'error', code: `smoke ${f.code}`, message: `${report.remoteName} at ${report.url}: ${f.message}` }),
    );
    return annotations.join('') + summaryLine(report) + '\n';
  }
  return textReport(shown, report);
}

const count = (n: number) => n.toLocaleString('en-US');

function textReport(shown: SmokeReport, report: SmokeReport): string {
  const r = report;
  const lines: string[] = [];
  const name = r.endpoint && r.endpoint !== r.model ? `endpoint ${r.endpoint} (model ${r.model})` : `model ${r.model}`;
  lines.push(`Smoke test of ${r.remoteName} at ${r.url} (${protocolName(r.protocol)}) against ${name}`);
  const versions = r.versions.length > 1 ? `versions ${r.versions.join(' and ')} of the split (${r.version} when an answer names none: ${r.versionReason})` : `version ${r.version} (${r.versionReason})`;
  lines.push(`  local: ${versions}`);
  const skipped = r.rows.skipped > 0 ? `; ${count(r.rows.skipped)} rows left out, their cells cannot be inputs (first: row ${r.rows.firstSkipped[0].row}: ${r.rows.firstSkipped[0].message})` : '';
  lines.push(`  rows: ${count(r.rows.sent)} of ${shown.rows.file} (${r.rows.from}), ${r.batch === 1 ? 'one request per row' : `${r.batch} rows per request`}${skipped}`);
  lines.push('');
  const checks: [CheckName, string][] = [
    ['health', healthText(r)],
    ['metadata', r.checks.metadata.status === 'not checked' ? (r.checks.metadata.note ?? '') : 'inputs and outputs against the local ONNX signature'],
    ['answers', answersText(r)],
    ['latency', latencyText(r)],
  ];
  for (const [check, text] of checks) {
    const status = r.checks[check].status;
    lines.push(`  ${status === 'pass' ? 'PASS' : status === 'fail' ? 'FAIL' : '----'}  ${check.padEnd(10)}${text}`);
    if (check === 'answers' && r.checks.answers.note) lines.push(`${' '.repeat(18)}${r.checks.answers.note}`);
  }
  if (r.findings.length > 0) {
    lines.push('');
    for (const f of shown.findings.slice(0, LISTED)) lines.push(`${where(f)}: ${f.check}: ${f.message}`);
    if (r.findings.length > LISTED) lines.push(`… and ${count(r.findings.length - LISTED)} more (--json lists them all)`);
  }
  lines.push('', summaryLine(r), '');
  return lines.join('\n');
}

function where(f: SmokeFinding): string {
  return `${f.file}${f.line !== undefined ? `:${f.line}` : ''}`;
}

function protocolName(p: SmokeReport['protocol']): string {
  return p === 'v2' ? 'Open Inference Protocol V2' : p === 'v1' ? 'KServe V1' : 'MLflow /invocations';
}

function healthText(r: SmokeReport): string {
  const path = r.protocol === 'v2' ? '/v2/health/ready and the model\'s /ready' : r.protocol === 'v1' ? `/v1/models/${r.remoteName}` : '/ping';
  return `${path}${r.checks.health.note ? ` (${r.checks.health.note})` : ''}`;
}

function answersText(r: SmokeReport): string {
  if (r.checks.answers.status === 'not checked') return 'not sent';
  const by = Object.entries(r.answeredBy);
  const from = by.length > 1 || r.versions.length > 1 ? ` (compared with ${by.map(([v, n]) => `version ${v}: ${count(n)}`).join(', ')})` : '';
  return `${count(r.matched)} of ${count(r.rows.sent)} rows match: labels equal, scores within ${r.tolerance.absolute} + ${r.tolerance.relative}·|expected|${from}`;
}

function latencyText(r: SmokeReport): string {
  const l = r.latency;
  if (l.requests === 0 || l.p95Ms === undefined) return 'no requests';
  const budget = l.budgetMs !== undefined ? ` vs a budget of ${ms(l.budgetMs)} (${l.budgetFrom})` : ` (${r.checks.latency.note ?? 'no budget'})`;
  return `p50 ${ms(l.p50Ms!)}, p95 ${ms(l.p95Ms)}, max ${ms(l.maxMs!)} over ${count(l.requests)} requests${budget}`;
}

function summaryLine(r: SmokeReport): string {
  if (r.passed) return `Smoke test passed: ${count(r.rows.sent)} rows in ${r.seconds.toFixed(1)} s.`;
  const failed = (Object.keys(r.checks) as CheckName[]).filter((c) => r.checks[c].status === 'fail');
  return `Smoke test failed: ${count(r.findings.length)} finding${r.findings.length === 1 ? '' : 's'} (${failed.join(', ')}).`;
}
