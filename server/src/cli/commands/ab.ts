import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { ExperimentReport, VariantReport } from '../../contract';
import { analyzeExperiment, ExperimentError } from '../../experiments/analysis';
import { experimentReportHtml } from '../../experiments/html';
import { readManifestModel } from '../../manifest/model';
import { MANIFEST_FILE_NAMES, parseManifest } from '../../manifest/parse';
import { openStore } from '../../store/store';
import { EXIT_FINDINGS, EXIT_OK, UsageError, type Out } from '../usage';

export const AB_HELP = `Usage: mlops ab <experiment> [folder] [--json] [--html FILE]

Analyzes an experiments: entry of folder/mlops.yaml (default folder: .) from the model server's
prediction and feedback log (folder/.mlops/index.db): per variant the requests, the metric (from
predictions joined with their feedback), latency p50/p95/p99 and error rate; the difference
treatment − control with its interval and p-value; the sample-ratio check against the traffic
split; and a verdict: treatment better, worse, inconclusive, or the samples still needed. With
\`sequential: true\` the interval is an always-valid confidence sequence: look as often as you like.

Options:
  --json       the report as JSON
  --html FILE  also write a self-contained HTML report (charts inline, nothing remote)
  -h, --help   show this help

Exit codes: 0 success, 1 the experiment cannot be analyzed, 2 bad usage.
`;

/** The manifest of a folder (mlops.yaml or mlops.yml); a usage error when there is none. */
export function folderManifest(folder: string): {
  root: string;
  manifestPath: string;
} {
  const root = resolve(folder);
  if (!statSync(root, { throwIfNoEntry: false })?.isDirectory()) throw new UsageError(`${folder} is not a folder`);
  const manifestPath = MANIFEST_FILE_NAMES.map((n) => join(root, n)).find((p) => existsSync(p));
  if (!manifestPath) throw new UsageError(`no mlops.yaml in ${folder}`);
  return { root, manifestPath };
}

export async function abCommand(args: string[], out: Out): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      json: { type: 'boolean' },
      html: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    out.stdout(AB_HELP);
    return EXIT_OK;
  }
  if (positionals.length < 1 || positionals.length > 2) throw new UsageError('ab takes an experiment name and at most one folder');
  const { root, manifestPath } = folderManifest(positionals[1] ?? '.');
  const manifest = readManifestModel(parseManifest(readFileSync(manifestPath, 'utf8')));
  const db = openStore(root);
  let report: ExperimentReport;
  try {
    report = analyzeExperiment(db, manifest, positionals[0]);
  } catch (error) {
    if (!(error instanceof ExperimentError)) throw error;
    out.stderr(`mlops: ${error.message}\n`);
    return EXIT_FINDINGS;
  } finally {
    db.close();
  }
  if (values.html) {
    try {
      writeFileSync(values.html, await experimentReportHtml(report));
    } catch (error) {
      throw new UsageError(`--html ${values.html}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
  }
  out.stdout(values.json ? JSON.stringify(report, jsonNumbers, 2) + '\n' : formatReport(report) + (values.html ? `HTML report: ${values.html}\n` : ''));
  return EXIT_OK;
}

/** NaN and infinities as strings, as the other commands print them. */
function jsonNumbers(_key: string, value: unknown): unknown {
  return typeof value === 'number' && !Number.isFinite(value) ? String(value) : value;
}

export function formatReport(r: ExperimentReport): string {
  const fmt = (v: number | null | undefined, digits = 4) => (v === null || v === undefined || Number.isNaN(v) ? '—' : String(Number(v.toPrecision(digits))));
  const variant = (role: string, v: VariantReport) => {
    const metric = v.metrics[r.metric] ?? v.metrics[r.metric === 'f1_score' ? 'f1' : r.metric];
    const others = Object.entries(v.metrics)
      .filter(([k]) => k !== r.metric)
      .map(([k, x]) => `${k} ${fmt(x)}`)
      .join(', ');
    return [
      `  ${role} "${v.version}": ${v.n} requests, ${v.withFeedback} with feedback`,
      `    ${r.metric} ${fmt(metric)}${others ? ` (${others})` : ''}`,
      `    latency p50 ${fmt(v.latency.p50, 3)} ms, p95 ${fmt(v.latency.p95, 3)} ms, p99 ${fmt(v.latency.p99, 3)} ms; error rate ${fmt(v.errorRate, 3)}`,
    ].join('\n');
  };
  const lines = [
    `Experiment ${r.experiment} (endpoint ${r.endpoint}, model ${r.model}, metric ${r.metric}, ${r.sequential ? 'sequential' : 'fixed horizon'}, α = ${r.alpha})`,
    variant('control', r.control),
    variant('treatment', r.treatment),
  ];
  if (r.difference) {
    const d = r.difference;
    lines.push(`  difference (treatment − control): ${fmt(d.estimate)} [${fmt(d.lower)}, ${fmt(d.upper)}], p = ${fmt(d.pvalue, 3)} (${d.method})`);
  }
  if (r.srm)
    lines.push(
      `  sample ratio: ${r.srm.observed.join('/')} for a ${r.srm.expected.join('/')} split, p = ${fmt(r.srm.pvalue, 3)}${r.srm.flagged ? ' — MISMATCH' : ''}`,
    );
  lines.push(`Verdict: ${r.verdict.message}`);
  for (const n of r.notes) lines.push(`Note: ${n}`);
  return lines.join('\n') + '\n';
}
