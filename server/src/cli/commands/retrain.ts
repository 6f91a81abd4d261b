import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { ModelHealth, RetrainCause, RetrainEvent } from '../../contract';
import { readManifestModel } from '../../manifest/model';
import { parseManifest } from '../../manifest/parse';
import { finishRetrain, formatScheduled, modelHealth, MonitorError, recordRetrain, retrainHistory } from '../../monitoring/index';
import { withStore } from '../../store/store';
import { EXIT_FINDINGS, EXIT_OK, UsageError, type Out } from '../usage';
import { folderManifest } from './ab';
import { indexedRuns } from './promote';

export const RETRAIN_HELP = `Usage: mlops retrain <model> [folder] [--due] [--watch] [--json] [--history]

Runs monitoring.<model>.retrain.command of folder/mlops.yaml (default folder: .) in the manifest's
folder, with MLOPS_RETRAIN_MODEL and MLOPS_RETRAIN_REASONS set, and records it in the audit log
(.mlops/index.db) with its cause, exit code and duration. Every retrain counts for the cooldown,
whether it ran from here or from the editor.

Options:
  --due       run only when a retrain is due: its schedule (retrain.schedule, in retrain.timezone)
              fell due, or monitoring found what retrain.on lists — and the cooldown is over.
              A schedule counts from the first time it is seen; of several missed times only the
              latest runs, once. Otherwise says why not and exits 0.
  --watch     keep running: check when the next scheduled time comes (and every minute for drift
              and degradation), and run the command whenever it is due (implies --due; Ctrl+C stops)
  --json      print {ran, decision, event} (with --history: the events)
  --history   list the model's retrains, newest first, and run nothing
  -h, --help  show this help

Exit codes: 0 ran and succeeded, or nothing was due; 1 the command failed; 2 bad usage.
`;

export async function retrainCommand(args: string[], out: Out): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      due: { type: 'boolean', default: false },
      watch: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      history: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    out.stdout(RETRAIN_HELP);
    return EXIT_OK;
  }
  if (positionals.length < 1 || positionals.length > 2) throw new UsageError('retrain takes a model name and at most one folder');
  const [model, folder = '.'] = positionals;
  const { root, manifestPath } = folderManifest(folder);
  if (values.history) {
    const events = withStore(root, (db) => retrainHistory(db, manifestPath, model));
    out.stdout(values.json ? JSON.stringify(events, null, 2) + '\n' : formatHistory(model, events));
    return EXIT_OK;
  }
  const once = (): Promise<number> => retrainOnce({ model, root, manifestPath, due: values.due || values.watch, json: values.json }, out);
  if (!values.watch) return once();
  return watch(once, { model, root, manifestPath }, out);
}

interface Target {
  model: string;
  root: string;
  manifestPath: string;
}

async function health(t: Target, out: Out): Promise<ModelHealth> {
  const manifest = readManifestModel(parseManifest(readFileSync(t.manifestPath, 'utf8')));
  const mon = manifest.monitoring?.entries.get(t.model);
  if (!mon?.retrain?.command?.value) throw new UsageError(`monitoring.${t.model}.retrain.command is not set in ${t.manifestPath}`);
  const runs = mon.degradation?.baseline ? await indexedRuns(t.root, out) : undefined;
  try {
    return withStore(t.root, (db) => modelHealth({ manifestPath: t.manifestPath, manifest, model: t.model, db, runs }));
  } catch (error) {
    if (error instanceof MonitorError) throw new UsageError(error.message);
    throw error;
  }
}

async function retrainOnce(t: Target & { due: boolean; json: boolean }, out: Out): Promise<number> {
  const h = await health(t, out);
  const decision = h.retrain;
  if (t.due && !decision.trigger) {
    out.stdout(t.json ? JSON.stringify({ ran: false, decision }, null, 2) + '\n' : `mlops retrain: ${t.model}: not due. ${decision.message}\n`);
    return EXIT_OK;
  }
  const cause: RetrainCause = !t.due ? 'manual' : decision.reasons.includes('schedule') ? 'schedule' : 'monitoring';
  const command = decision.command!;
  const scheduledFor = cause === 'schedule' ? (decision.schedule?.due ?? null) : null;
  const reasons = t.due ? decision.reasons : [];
  out.stderr(`mlops retrain: ${t.model} (${t.due ? decision.message.replace(/: retrain with .*$/, '') : 'requested'}): ${command}\n`);
  const id = withStore(t.root, (db) => recordRetrain(db, { manifest: t.manifestPath, model: t.model, reasons, command, cause, scheduledFor }));
  const started = Date.now();
  const exitCode = await runShell(command, h.cwd, { MLOPS_RETRAIN_MODEL: t.model, MLOPS_RETRAIN_REASONS: reasons.join(',') }, out);
  const durationMs = Date.now() - started;
  withStore(t.root, (db) => finishRetrain(db, id, { exitCode, durationMs }));
  const event = withStore(t.root, (db) => retrainHistory(db, t.manifestPath, t.model, 1)[0]);
  if (t.json) out.stdout(JSON.stringify({ ran: true, decision, event }, null, 2) + '\n');
  else out.stderr(`mlops retrain: ${t.model}: exit code ${exitCode ?? 'none (killed)'} after ${seconds(durationMs)}\n`);
  return exitCode === 0 ? EXIT_OK : EXIT_FINDINGS;
}

/** The command's output goes to ours (stderr when stdout is JSON) as it comes. */
function runShell(command: string, cwd: string, env: Record<string, string>, out: Out): Promise<number | null> {
  return new Promise((resolve) => {
    const child = spawn(command, { cwd, shell: true, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (chunk: Buffer) => out.stderr(chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => out.stderr(chunk.toString()));
    child.on('error', (error) => {
      out.stderr(`mlops retrain: could not start the command: ${error.message}\n`);
      resolve(null);
    });
    child.on('close', (code) => resolve(code));
  });
}

/** Until Ctrl+C: run when due, then sleep until the next scheduled time, at most a minute (drift can come any time). */
async function watch(once: () => Promise<number>, t: Target, out: Out): Promise<number> {
  let stop: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  const onSignal = (): void => stop();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    for (;;) {
      await once();
      const schedule = (await health(t, out)).retrain.schedule;
      const next = schedule?.next ?? null;
      const wait = Math.max(1_000, Math.min(60_000, next !== null ? next - Date.now() + 250 : 60_000));
      if (schedule && next !== null) out.stderr(`mlops retrain: next scheduled retrain of ${t.model}: ${formatScheduled(next, schedule.timezone)}\n`);
      let timer: NodeJS.Timeout | undefined;
      const woke = await Promise.race([stopped.then(() => 'stop'), new Promise<string>((resolve) => (timer = setTimeout(() => resolve('tick'), wait)))]);
      clearTimeout(timer);
      if (woke === 'stop') return EXIT_OK;
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

function seconds(ms: number): string {
  return ms < 120_000 ? `${(ms / 1000).toFixed(1)} s` : `${(ms / 60_000).toFixed(1)} min`;
}

function formatHistory(model: string, events: RetrainEvent[]): string {
  if (events.length === 0) return `No retrains of ${model} yet.\n`;
  const lines = events.map((e) => {
    const when = new Date(e.time).toISOString().replace(/\.\d+Z$/, 'Z');
    const why = e.cause === 'schedule' && e.scheduled_for !== null ? `schedule (${new Date(e.scheduled_for).toISOString().replace(/:00\.000Z$/, 'Z')})` : e.cause === 'monitoring' ? e.reasons.join(', ') : e.cause;
    const result = e.skipped ? 'skipped' : e.exit_code === null ? 'no exit code' : `exit ${e.exit_code}, ${seconds(e.duration_ms ?? 0)}`;
    return `  ${when}  ${why.padEnd(28)} ${result}`;
  });
  return `Retrains of ${model}, newest first:\n${lines.join('\n')}\n`;
}
