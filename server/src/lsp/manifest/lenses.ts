import type { CodeLens } from 'vscode-languageserver/node';
import { formatScheduled, isTimeZone, parseSchedule } from '../../monitoring/index';
import { deployBlocks, effectiveDeploy, type EffectiveDeploy } from '../../manifest/deploy';
import type { Analysis } from './analysis';

/** Commands the lenses run; the client registers them (package.json documents them). */
export const LensCommands = {
  serve: 'mlops.startServing',
  promote: 'mlops.promoteVersion',
  rollback: 'mlops.rollback',
  analyze: 'mlops.analyzeExperiment',
  retrain: 'mlops.retrain',
  exportPipeline: 'mlops.exportPipeline',
} as const;

/** Commands the language server itself runs (workspace/executeCommand); the editor only forwards them. */
export const ServerCommands = {
  inferExpectations: 'mlops.server.inferExpectations',
} as const;

/** Serve, Promote…, Roll Back over each model; Serve over each endpoint; Analyze over each experiment; Infer over each data set; Retrain (and the next scheduled time) over each `retrain:`. */
export function codeLenses(a: Analysis, now = Date.now()): CodeLens[] {
  const lenses: CodeLens[] = [];
  const lens = (range: CodeLens['range'], title: string, command: string, args: Record<string, string>) =>
    lenses.push({ range, command: { title, command, arguments: [{ manifest: a.path, ...args }] } });
  for (const m of a.model.models?.entries.values() ?? []) {
    lens(m.keyRange, '$(play) Serve', LensCommands.serve, { model: m.name });
    lens(m.keyRange, '$(arrow-up) Promote…', LensCommands.promote, { model: m.name });
    lens(m.keyRange, '$(history) Roll Back', LensCommands.rollback, { model: m.name });
  }
  for (const e of a.model.serving?.endpoints?.entries.values() ?? []) lens(e.keyRange, '$(play) Serve', LensCommands.serve, { endpoint: e.name });
  for (const e of a.model.experiments?.entries.values() ?? []) lens(e.keyRange, '$(graph) Analyze', LensCommands.analyze, { experiment: e.name });
  for (const d of a.model.data?.entries.values() ?? []) {
    if (d.path) lens(d.keyRange, d.columns ? '$(wand) Infer expectations again from the file' : '$(wand) Infer expectations from this file', ServerCommands.inferExpectations, { dataset: d.name });
  }
  for (const mon of a.model.monitoring?.entries.values() ?? []) {
    const r = mon.retrain;
    if (!r?.command?.value) continue;
    lens(r.keyRange, '$(sync) Retrain now…', LensCommands.retrain, { model: mon.name });
    const zone = r.timezone?.value ?? 'UTC';
    const parsed = r.schedule && isTimeZone(zone) ? parseSchedule(r.schedule.value, zone) : undefined;
    const next = parsed?.ok ? parsed.schedule.next(now) : null;
    // The schedule's next time, where it is written; the Models view's tooltip says whether one is due.
    if (next !== null && next !== undefined) lens(r.keyRange, `$(clock) Next scheduled: ${formatScheduled(next, zone)}`, LensCommands.retrain, { model: mon.name });
    lens(r.keyRange, '$(github-action) Export Pipeline…', LensCommands.exportPipeline, { target: 'github-actions' });
  }
  // Over each deploy: what the endpoint is sized as (its own block over its model's), and the export.
  for (const block of deployBlocks(a.model)) {
    const endpoint = block.owner === 'endpoint' ? block.name : a.model.serving?.endpoints ? [...a.model.serving.endpoints.entries.values()].find((e) => e.model?.value === block.name)?.name : block.name;
    const sized = endpoint ? effectiveDeploy(a.model, endpoint) : undefined;
    const summary = sized ? deploySummary(sized) : '';
    lens(block.decl.keyRange, `$(cloud-upload) Export for Kubernetes…${summary ? ` · ${summary}` : ''}`, LensCommands.exportPipeline, { target: 'kubernetes' });
  }
  return lenses;
}

/** "2–6 replicas · scale at 8 concurrent · requests 500m CPU, 512Mi · limits 1 CPU, 1Gi": short enough for a lens. */
export function deploySummary(d: EffectiveDeploy): string {
  const parts: string[] = [];
  const { min, max } = d.replicas;
  if (min || max) parts.push(min && max ? `${min.value}–${max.value} replicas` : min ? `≥ ${min.value} replicas` : `≤ ${max!.value} replicas`);
  if (d.autoscaling) {
    const unit: Record<string, string> = { concurrency: 'concurrent', rps: 'req/s', cpu: '% CPU', memory: '% memory' };
    parts.push(`scale at ${d.autoscaling.target.value}${d.autoscaling.metric.value === 'cpu' || d.autoscaling.metric.value === 'memory' ? '' : ' '}${unit[d.autoscaling.metric.value] ?? d.autoscaling.metric.value}`);
  }
  const list = (r: EffectiveDeploy['requests']) => [r.cpu ? `${r.cpu.value} CPU` : undefined, r.memory?.value].filter(Boolean).join(', ');
  if (list(d.requests)) parts.push(`requests ${list(d.requests)}`);
  if (list(d.limits)) parts.push(`limits ${list(d.limits)}`);
  return parts.join(' · ');
}
