import type { CodeLens } from 'vscode-languageserver/node';
import { formatScheduled, isTimeZone, parseSchedule } from '../../monitoring/index';
import type { Analysis } from './analysis';

/** Commands the lenses run; the client registers them (package.json documents them). */
export const LensCommands = {
  serve: 'mlops.startServing',
  promote: 'mlops.promoteVersion',
  rollback: 'mlops.rollback',
  analyze: 'mlops.analyzeExperiment',
  retrain: 'mlops.retrain',
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
  }
  return lenses;
}
