import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { ModelHealth, PerformanceWindow } from '../../contract';
import { parseDuration } from '../../drift/index';
import { readManifestModel } from '../../manifest/model';
import { parseManifest } from '../../manifest/parse';
import { modelHealth, MonitorError } from '../../monitoring/index';
import { openStore } from '../../store/store';
import { EXIT_FINDINGS, EXIT_OK, UsageError, type Out } from '../usage';
import { folderManifest } from './ab';
import { parseSince } from './drift';
import { indexedRuns } from './promote';

export const MONITOR_HELP = `Usage: mlops monitor <model> [folder] [--window 1h | --since TIME] [--every 1h] [--json]

The health of a model of folder/mlops.yaml (default folder: .) from the prediction and feedback log
(folder/.mlops/index.db): per window the requests (with the rate over the span they came in), accuracy, precision, recall, F1 and ROC
AUC (classification) or MAE, RMSE and R² (regression) of the predictions that have feedback,
latency p50/p95/p99, throughput and error rate; degradation against the baseline run
(monitoring.<model>.degradation: a metric worse than the run's by more than the tolerance);
data drift of the logged inputs against monitoring.<model>.reference; alerts with a severity; and
whether monitoring.<model>.retrain should run (retrain.on, and the cooldown since the last one).

Options:
  --window D   how far back to look (default: monitoring.<model>.window, else the whole log)
  --since T    from time T on (ISO 8601, or ms since the epoch)
  --every D    width of the windows (30m, 1h, 1d; default 1h), on the clock in UTC: 1h windows
               are 14:00–15:00, 1d windows UTC days; the last one ends now
  --json       the health as JSON {state, drift, performance: {overall, windows, degraded, alerts}, retrain}
  -h, --help   show this help

Exit codes: 0 healthy (or not enough data), 1 drift or degradation found, 2 bad usage.
`;

export async function monitorCommand(args: string[], out: Out): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { every: { type: 'string' }, window: { type: 'string' }, since: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    out.stdout(MONITOR_HELP);
    return EXIT_OK;
  }
  if (positionals.length < 1 || positionals.length > 2) throw new UsageError('monitor takes a model name and at most one folder');
  const windowMs = values.every !== undefined ? parseDuration(values.every) : 3_600_000;
  if (windowMs === undefined) throw new UsageError(`--every must be a duration such as 30m, 1h or 1d, not "${values.every}"`);
  if (values.window !== undefined && parseDuration(values.window) === undefined) throw new UsageError(`--window must be a duration such as 30m, 1h or 1d, not "${values.window}"`);
  const { root, manifestPath } = folderManifest(positionals[1] ?? '.');
  const manifest = readManifestModel(parseManifest(readFileSync(manifestPath, 'utf8')));
  const runs = manifest.monitoring?.entries.get(positionals[0])?.degradation?.baseline ? await indexedRuns(root, out) : undefined;
  const db = openStore(root);
  let health: ModelHealth;
  try {
    health = modelHealth({ manifestPath, manifest, model: positionals[0], db, runs, windowMs, window: values.window, since: parseSince(values.since) });
  } catch (error) {
    if (error instanceof MonitorError) throw new UsageError(error.message);
    throw error;
  } finally {
    db.close();
  }
  out.stdout(values.json ? JSON.stringify(health, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v), 2) + '\n' : formatHealth(health));
  return health.state === 'drift' || health.state === 'degraded' ? EXIT_FINDINGS : EXIT_OK;
}

const fmt = (v: number | null | undefined, digits = 4) => (v === null || v === undefined ? '—' : String(Number(v.toPrecision(digits))));

const count = (n: number) => n.toLocaleString('en-US');

/** "2.3 s", "14 min", "3.5 h": the span the requests came in. */
export function formatSpan(ms: number): string {
  const s = ms / 1000;
  return s < 120 ? `${fmt(s, 2)} s` : s < 7200 ? `${fmt(s / 60, 2)} min` : `${fmt(s / 3600, 2)} h`;
}

/**
 * The requests and their rate over the span they came in (first to last), so a burst in a mostly
 * empty window does not read as a trickle; the rate over the whole window is in the JSON.
 */
function requestsText(w: PerformanceWindow): string {
  const n = `${count(w.requests)} request${w.requests === 1 ? '' : 's'}`;
  if (w.requests < 2 || w.span_ms <= 0) return `${n} (${count(w.with_feedback)} with feedback)`;
  return `${n} in ${formatSpan(w.span_ms)}, ${fmt((w.requests - 1) / (w.span_ms / 1000), 3)}/s (${count(w.with_feedback)} with feedback)`;
}

function windowLine(w: PerformanceWindow): string {
  const metrics = Object.entries(w.metrics)
    .map(([k, v]) => `${k} ${fmt(v)}`)
    .join(', ');
  return `${requestsText(w)}; ${metrics || 'no metrics'}; latency p50 ${fmt(w.latency_ms.p50, 3)} / p95 ${fmt(w.latency_ms.p95, 3)} / p99 ${fmt(w.latency_ms.p99, 3)} ms; error rate ${fmt(w.error_rate, 3)}`;
}

/** "1-min window", "1-h window", "1-day window". */
function widthText(ms: number): string {
  if (ms % 86_400_000 === 0) return `${ms / 86_400_000}-day window`;
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}-h window`;
  if (ms % 60_000 === 0) return `${ms / 60_000}-min window`;
  return `${fmt(ms / 1000, 3)}-s window`;
}

/** "2026-12-02T08:05Z" for a minute-wide window, "2026-12-02T14Z" for hours, "2026-12-02" for days. */
export function windowLabel(start: number, widthMs: number): string {
  const iso = new Date(start).toISOString();
  if (widthMs % 86_400_000 === 0) return iso.slice(0, 10);
  if (widthMs % 3_600_000 === 0) return `${iso.slice(0, 13)}Z`;
  return `${iso.slice(0, 16)}Z`;
}

export function formatHealth(h: ModelHealth): string {
  const lines = [`Model ${h.model}: ${h.state.toUpperCase()}`];
  if (h.drift) lines.push(`  drift: ${h.drift.dataset_drift ? 'DATA SET DRIFT' : 'none'} (${h.drift.drifted_features} of ${h.drift.features} features, ${(100 * h.drift.share).toFixed(1)}%)`);
  else if (h.drift_error) lines.push(`  drift: not computed — ${h.drift_error}`);
  const p = h.performance;
  if (!p) lines.push('  performance: no requests logged for this model');
  else {
    lines.push(`  overall: ${windowLine(p.overall)}`);
    const shown = p.windows.filter((w) => w.requests > 0).slice(-6);
    for (const w of shown) lines.push(`  ${windowLabel(w.start, p.window_ms)} (${widthText(p.window_ms)}): ${windowLine(w)}`);
    if (p.baseline) lines.push(`  baseline run ${p.baseline.run}: ${Object.entries(p.baseline.metrics).filter(([k]) => ['accuracy', 'f1_score', 'f1', 'roc_auc', 'precision', 'recall', 'mae', 'rmse', 'r2'].includes(k)).map(([k, v]) => `${k} ${fmt(v)}`).join(', ')} (tolerance ${p.baseline.tolerance})`);
    for (const a of p.alerts) lines.push(`  [${a.severity}] ${a.message}`);
  }
  lines.push(`  retrain: ${h.retrain.trigger ? 'YES — ' : ''}${h.retrain.message}`);
  return lines.join('\n') + '\n';
}
