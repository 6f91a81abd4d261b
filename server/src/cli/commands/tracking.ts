import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { QuerySyntaxError } from '../../tracking/query';
import type { RunSummary } from '../../tracking/repository';
import { TrackingService } from '../../tracking/service';
import { toRunInfo } from '../../tracking/tree';
import { EXIT_OK, UsageError, type Out } from '../usage';

/** `mlops runs` JSON: one object per run, times in ms, metrics as their latest values. */
export interface RunJson {
  run_id: string;
  experiment_id: string;
  experiment: string;
  name: string;
  status: string;
  start_time: number | null;
  end_time: number | null;
  params: Record<string, string>;
  tags: Record<string, string>;
  metrics: Record<string, number | string>;
  source: string;
}

export const RUNS_HELP = `Usage: mlops runs [folder] [--filter EXPR] [--order-by ORDER] [--all] [--json]

Indexes the folder's tracking sources (MLflow mlruns/, mlflow.db, JSONL run logs) into
folder/.mlops/index.db — only what changed since the last time — and lists the runs.

Options:
  --filter EXPR      MLflow search syntax, plus "or" and parentheses, e.g.
                     "metrics.accuracy > 0.9 and params.model = 'rf'", "tags.team IN ('a','b')",
                     "attributes.status = 'FINISHED'", "params.lr LIKE '0.0%'"
  --order-by ORDER   e.g. "metrics.accuracy DESC, params.model" (default: newest first)
  --all              include deleted runs and runs of deleted experiments
  --json             a JSON array of {run_id, experiment_id, experiment, name, status,
                     start_time, end_time, params, tags, metrics, source}; non-finite metric
                     values are the strings "NaN", "Infinity", "-Infinity"

Exit codes: 0 success, 2 bad usage or a bad filter (the message gives the column).
`;

export const MODELS_HELP = `Usage: mlops models [folder] [--json]

Lists the registered models of the folder's MLflow stores and databases with their versions,
stages and aliases. --json prints [{name, versions: [{version, stage, aliases, run_id, source}]}].
`;

async function indexed(folder: string, out: Out): Promise<TrackingService> {
  const root = resolve(folder);
  if (!statSync(root, { throwIfNoEntry: false })?.isDirectory()) throw new UsageError(`${folder} is not a folder`);
  const service = TrackingService.open(root, (note) => out.stderr(`mlops: ${note}\n`));
  const result = await service.refresh();
  for (const p of service.sourceProblems) out.stderr(`mlops: ${p.manifest}: tracking entry "${p.entry}": ${p.reason}\n`);
  for (const issue of result.newIssues) {
    const at = issue.line ? `:${issue.line}${issue.column ? `:${issue.column}` : ''}` : '';
    out.stderr(`mlops: warning: ${issue.path}${at}: ${issue.message}\n`);
  }
  return service;
}

export async function runsCommand(args: string[], out: Out): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      filter: { type: 'string' },
      'order-by': { type: 'string' },
      all: { type: 'boolean' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    out.stdout(RUNS_HELP);
    return EXIT_OK;
  }
  if (positionals.length > 1) throw new UsageError('runs takes at most one folder');
  const service = await indexed(positionals[0] ?? '.', out);
  try {
    let runs: RunSummary[];
    try {
      runs = service.runs({ filter: values.filter, orderBy: values['order-by'], includeDeleted: values.all });
    } catch (error) {
      if (error instanceof QuerySyntaxError) throw new UsageError(error.message);
      throw error;
    }
    if (values.json) out.stdout(JSON.stringify(runs.map(toRunJson), null, 2) + '\n');
    else out.stdout(runsTable(runs));
    return EXIT_OK;
  } finally {
    await service.close();
  }
}

export function toRunJson(r: RunSummary): RunJson {
  const info = toRunInfo(r);
  return {
    run_id: info.runId,
    experiment_id: info.experimentId,
    experiment: info.experiment,
    name: info.name,
    status: info.status,
    start_time: info.startTime,
    end_time: info.endTime,
    params: info.params,
    tags: info.tags,
    metrics: info.metrics,
    source: info.source,
  };
}

function runsTable(runs: RunSummary[]): string {
  if (runs.length === 0) return 'No runs. Log runs with MLflow or the JSONL loggers in examples/loggers/, or loosen the filter.\n';
  const rows = runs.map((r) => [
    r.runId.slice(0, 12),
    r.experimentName,
    r.name || '-',
    r.status,
    r.startTime ? new Date(r.startTime).toISOString().replace('T', ' ').slice(0, 19) : '-',
    Object.entries(r.metrics)
      .slice(0, 3)
      .map(([k, v]) => `${k}=${formatNumber(v)}`)
      .join(' '),
  ]);
  const header = ['RUN', 'EXPERIMENT', 'NAME', 'STATUS', 'STARTED (UTC)', 'METRICS'];
  const widths = header.map((h, i) => Math.min(40, Math.max(h.length, ...rows.map((r) => r[i].length))));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.slice(0, widths[i]).padEnd(widths[i]))).join('  ');
  return [line(header), ...rows.map(line), `${runs.length} run${runs.length === 1 ? '' : 's'}`].join('\n') + '\n';
}

function formatNumber(v: number): string {
  return Number.isFinite(v) ? String(Number(v.toPrecision(6))) : String(v);
}

export async function modelsCommand(args: string[], out: Out): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help) {
    out.stdout(MODELS_HELP);
    return EXIT_OK;
  }
  if (positionals.length > 1) throw new UsageError('models takes at most one folder');
  const service = await indexed(positionals[0] ?? '.', out);
  try {
    const models = service.repo.registeredModels().map((m) => ({
      name: m.name,
      versions: m.versions.map((v) => ({ version: v.version, stage: v.stage, aliases: v.aliases, run_id: v.runId, source: v.source })),
    }));
    if (values.json) {
      out.stdout(JSON.stringify(models, null, 2) + '\n');
    } else if (models.length === 0) {
      out.stdout('No registered models. Register versions in an MLflow model registry, or declare models in mlops.yaml.\n');
    } else {
      for (const m of models) {
        out.stdout(`${m.name}\n`);
        for (const v of m.versions) out.stdout(`  v${v.version}  ${v.stage}${v.aliases.length ? '  @' + v.aliases.join(' @') : ''}  run ${v.run_id ?? '-'}\n`);
      }
    }
    return EXIT_OK;
  } finally {
    await service.close();
  }
}
