import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { DriftReport } from '../../contract';
import { DRIFT_METHODS, DriftInputError, WASSERSTEIN_UNIT, driftReport, driftReportHtml, monitoredDrift, tableFromCsv, type Correction, type DriftMethod, type DriftOptions } from '../../drift/index';
import { readManifestModel } from '../../manifest/model';
import { parseManifest } from '../../manifest/parse';
import { StatsError } from '../../stats/index';
import { openStore } from '../../store/store';
import { EXIT_FINDINGS, EXIT_OK, UsageError, type Out } from '../usage';
import { folderManifest } from './ab';

export const DRIFT_HELP = `Usage: mlops drift --reference R.csv --current C.csv [options]
       mlops drift <model> [folder] [--window 1h | --since TIME] [options]

Per-feature data drift of current data against a reference, and whether the data set drifted.
Each feature's type (numeric, categorical, binary) is inferred and its test chosen as Evidently does:
with at most 1000 reference values KS (numeric), chi-square (categorical) or the z-test (binary);
with more, the normed Wasserstein distance (numeric) or Jensen-Shannon (categorical), drift at ≥ 0.1.
Categories only the current data has (from 1% of its values on), and a change in the share of missing
values, are drift too. Identifiers (ids, names: nearly every value distinct) are skipped with a note.
The data set drifts when at least drift_share (0.5) of the features drift.

The second form reads folder/mlops.yaml (default folder: .): the reference is monitoring.<model>.reference,
the current data the model's inputs in the prediction log (folder/.mlops/index.db) over the window
(default: monitoring.<model>.window, else the whole log); method, alpha, correction, drift_share,
exclude and per-feature settings come from monitoring.<model>.drift.

Options:
  --json                 the report as JSON {dataset_drift, share, features: [{name, type, test,
                         statistic, pvalue, distance, threshold, unit, drifted, …}], skipped, …}
  --since TIME           current data logged from TIME on (ISO 8601, or ms since the epoch)
  --html FILE            also write a self-contained HTML report (charts inline, nothing remote)
  --method M             auto (default), ks, chi-square, z-test, wasserstein, jensen-shannon, psi
  --alpha A              p-value level (default 0.05)
  --threshold T          distance threshold (default 0.1)
  --correction C         none (default for files), bonferroni, fdr
  --drift-share S        share of drifted features for data set drift (default 0.5)
  --exclude A,B          columns that are not features (ids, labels)
  -h, --help             show this help

Exit codes: 0 no data set drift, 1 data set drift, 2 bad usage or unreadable data (located).
`;

function readCsv(path: string, what: string): ReturnType<typeof tableFromCsv> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(`${what} ${path}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a folder' : (error as Error).message}`);
  }
  return tableFromCsv(text, path);
}

function numberOption(value: string | undefined, name: string, ok: (v: number) => boolean, range: string): number | undefined {
  if (value === undefined) return undefined;
  const v = Number(value);
  if (value.trim() === '' || !Number.isFinite(v) || !ok(v)) throw new UsageError(`--${name} must be ${range}, not "${value}"`);
  return v;
}

export async function driftCommand(args: string[], out: Out): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      reference: { type: 'string' },
      current: { type: 'string' },
      window: { type: 'string' },
      since: { type: 'string' },
      json: { type: 'boolean' },
      html: { type: 'string' },
      method: { type: 'string' },
      alpha: { type: 'string' },
      threshold: { type: 'string' },
      correction: { type: 'string' },
      'drift-share': { type: 'string' },
      exclude: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    out.stdout(DRIFT_HELP);
    return EXIT_OK;
  }
  if (values.method !== undefined && !(DRIFT_METHODS as readonly string[]).includes(values.method)) throw new UsageError(`--method must be one of ${DRIFT_METHODS.join(', ')}, not "${values.method}"`);
  if (values.correction !== undefined && !['none', 'bonferroni', 'fdr'].includes(values.correction)) throw new UsageError(`--correction must be none, bonferroni or fdr, not "${values.correction}"`);
  const overrides: DriftOptions = {
    method: values.method as DriftMethod | undefined,
    alpha: numberOption(values.alpha, 'alpha', (v) => v > 0 && v < 1, 'between 0 and 1'),
    threshold: numberOption(values.threshold, 'threshold', (v) => v > 0, 'a number above 0'),
    correction: values.correction as Correction | undefined,
    driftShare: numberOption(values['drift-share'], 'drift-share', (v) => v >= 0 && v <= 1, 'between 0 and 1'),
    exclude: values.exclude?.split(',').map((s) => s.trim()).filter((s) => s !== ''),
  };
  const defined = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined)) as DriftOptions;
  let report: DriftReport;
  let title: string;
  try {
    if (values.reference !== undefined || values.current !== undefined) {
      if (values.reference === undefined || values.current === undefined) throw new UsageError('give both --reference and --current (or a monitored model name)');
      if (positionals.length > 0) throw new UsageError('give either --reference and --current, or a model name, not both');
      if (values.window !== undefined || values.since !== undefined) throw new UsageError('--window and --since are for a monitored model (the prediction log), not for two files');
      report = driftReport(readCsv(values.reference, 'reference'), readCsv(values.current, 'current'), defined);
      title = `Data drift: ${values.current} against ${values.reference}`;
    } else {
      if (positionals.length < 1 || positionals.length > 2) throw new UsageError('drift takes a model name and at most one folder, or --reference and --current');
      const { root, manifestPath } = folderManifest(positionals[1] ?? '.');
      const manifest = readManifestModel(parseManifest(readFileSync(manifestPath, 'utf8')));
      const db = openStore(root);
      try {
        // Command-line options win over the manifest's settings.
        const r = monitoredDrift({ manifestPath, manifest, model: positionals[0], db, window: values.window, since: parseSince(values.since), overrides: defined });
        report = r.report;
        title = `Data drift of ${positionals[0]}${r.window ? ` (last ${r.window})` : ''}`;
      } finally {
        db.close();
      }
    }
  } catch (error) {
    if (error instanceof DriftInputError || error instanceof StatsError) throw new UsageError(error.message);
    throw error;
  }
  if (values.html) {
    try {
      writeFileSync(values.html, await driftReportHtml(report, title));
    } catch (error) {
      throw new UsageError(`--html ${values.html}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
  }
  out.stdout(values.json ? JSON.stringify(report, jsonNumbers, 2) + '\n' : formatDriftReport(report) + (values.html ? `HTML report: ${values.html}\n` : ''));
  return report.dataset_drift ? EXIT_FINDINGS : EXIT_OK;
}

/** --since: ISO 8601 or ms since the epoch. */
export function parseSince(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const t = /^\d+$/.test(text.trim()) ? Number(text) : Date.parse(text);
  if (!Number.isFinite(t)) throw new UsageError(`--since must be a time (ISO 8601, or ms since the epoch), not "${text}"`);
  return t;
}

function jsonNumbers(_key: string, value: unknown): unknown {
  return typeof value === 'number' && !Number.isFinite(value) ? String(value) : value;
}

export function formatDriftReport(r: DriftReport): string {
  const fmt = (v: number | null) => (v === null ? '—' : String(Number(v.toPrecision(4))));
  const width = Math.min(32, Math.max(7, ...r.features.map((f) => f.name.length)));
  const lines = [
    `${r.dataset_drift ? 'DATA SET DRIFT' : 'No data set drift'}: ${r.drifted_features} of ${r.features.length} features drifted (${(100 * r.share).toFixed(1)}%, threshold ${100 * r.drift_share}%)`,
    `reference ${r.reference.source} (${r.reference.rows} rows), current ${r.current.source} (${r.current.rows} rows); α = ${r.alpha}, correction ${r.correction}`,
    '',
    `${'feature'.padEnd(width)}  ${'type'.padEnd(11)}  ${'test'.padEnd(14)}  ${'statistic'.padStart(10)}  ${'p-value'.padStart(10)}  ${'distance'.padStart(10)}  ${'threshold'.padStart(10)}  drifted`,
  ];
  for (const f of r.features) {
    const name = f.name.length > width ? `${f.name.slice(0, width - 1)}…` : f.name;
    lines.push(
      `${name.padEnd(width)}  ${f.type.padEnd(11)}  ${(f.test ?? '—').padEnd(14)}  ${fmt(f.statistic).padStart(10)}  ${fmt(f.pvalue).padStart(10)}  ${fmt(f.distance).padStart(10)}  ${`${fmt(f.threshold)}${f.unit ? ' σ' : ''}`.padStart(10)}  ${f.drifted ? 'DRIFT' : 'no'}`,
    );
    for (const reason of f.drifted ? f.reasons : []) lines.push(`${' '.repeat(width + 2)}↳ ${reason}`);
    for (const note of f.notes) lines.push(`${' '.repeat(width + 2)}· ${note}`);
    if (f.error) lines.push(`${' '.repeat(width + 2)}↳ not tested: ${f.error}`);
  }
  const footnotes = [
    ...(r.features.some((f) => f.unit) ? [`σ: wasserstein distances and their thresholds are normed, ${WASSERSTEIN_UNIT}`] : []),
    ...r.skipped.map((s) => `skipped ${s.name}: ${s.reason}`),
  ];
  if (footnotes.length > 0) lines.push('', ...footnotes);
  return lines.join('\n') + '\n';
}
