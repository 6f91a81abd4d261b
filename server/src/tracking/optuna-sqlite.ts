import type { ExperimentRecord, MetricPoint, RunRecord, RunStatus, TrackingSnapshot } from './model';
import { columns, quote, readDatabaseSnapshot, type Database, type Schema } from './sqlite-read';

/**
 * Reader for Optuna's RDB storage in SQLite, every schema from 0.9 on. A study is an experiment and
 * a trial a run named by its number. What changed between versions, and how it is read:
 *
 * - 0.9 has no `trials.number` (it is the `_number` system attribute) and 0.9/1.3 keep the objective
 *   in `trials.value` and the intermediate values in `trial_values (step, value)`; from 2.0 on
 *   `trial_values (objective, value)` holds one row per objective and `trial_intermediate_values`
 *   the intermediate ones; 3.x adds `value_type` (infinities are stored as NULL with INF_POS/INF_NEG).
 * - Directions: `studies.direction` before 2.0, `study_directions (objective, direction)` after.
 * - Metric names: the study's `study:metric_names` system attribute (Optuna 3.2+), else `value` for one
 *   objective and `value_0`, `value_1`, … for several.
 *
 * Params are decoded through their distribution: a categorical's stored index becomes the choice
 * itself, an integer distribution's float an integer; the distribution is kept as a tag
 * (`optuna.distribution.<param>`), so that its range, log scale and step are known. Intermediate
 * values are the objective's history by step; the final value follows the last of them. Optuna
 * writes naive local datetimes; they are read as UTC.
 */

type Row = Record<string, unknown>;

export interface OptunaReadOptions {
  busyTimeoutMs?: number;
  /** Now, for judging heartbeats (tests). */
  now?: number;
}

/** A RUNNING trial whose last heartbeat is older than this is shown as stale (Optuna's default grace is 120 s after a 60 s interval). */
export const STALE_HEARTBEAT_MS = 5 * 60_000;

const STATES: Record<string, RunStatus> = { COMPLETE: 'FINISHED', PRUNED: 'KILLED', FAIL: 'FAILED', RUNNING: 'RUNNING', WAITING: 'SCHEDULED' };

/** Whether the tables say this is an Optuna storage (not by its name). */
export function isOptunaSchema(schema: Schema): boolean {
  return schema.has('studies') && schema.has('trials') && schema.has('trial_params') && schema.has('version_info');
}

export function readOptunaDatabase(path: string, options: OptunaReadOptions = {}): TrackingSnapshot {
  return readDatabaseSnapshot(path, options.busyTimeoutMs ?? 2000, 'Optuna storages', (db, schema, snapshot) => {
    if (!isOptunaSchema(schema)) {
      snapshot.issues.push({ path, message: 'not an Optuna storage: it has no studies, trials, trial_params and version_info tables' });
      return;
    }
    const studies = readStudies(db, schema);
    snapshot.experiments = studies.map((s) => s.experiment);
    snapshot.runs = readTrials(db, schema, studies, options.now ?? Date.now(), (message) => snapshot.issues.push({ path, message }));
  });
}

interface Study {
  id: string;
  name: string;
  experiment: ExperimentRecord;
  directions: ('MINIMIZE' | 'MAXIMIZE')[];
  metricNames: string[];
}

/** `optuna:<study name>`: readable, and the same on every machine that opens the storage. */
export function studyExperimentId(studyName: string): string {
  return `optuna:${studyName}`;
}

export function trialRunId(studyName: string, number: number): string {
  return `optuna:${studyName}:${number}`;
}

function readStudies(db: Database, schema: Schema): Study[] {
  const studyRows = db.prepare(`SELECT ${columns(schema, 'studies', ['study_id', 'study_name', 'direction'])} FROM studies ORDER BY study_id`).all() as Row[];
  const directions = new Map<string, ('MINIMIZE' | 'MAXIMIZE')[]>();
  if (schema.has('study_directions')) {
    for (const r of db.prepare('SELECT study_id, objective, direction FROM study_directions ORDER BY study_id, objective').all() as Row[]) {
      const list = directions.get(String(r.study_id)) ?? [];
      list[Number(r.objective)] = direction(r.direction);
      directions.set(String(r.study_id), list);
    }
  }
  const userAttrs = attributes(db, schema, 'study_user_attributes', 'study_id');
  const systemAttrs = attributes(db, schema, 'study_system_attributes', 'study_id');
  return studyRows.map((r) => {
    const id = String(r.study_id);
    const name = String(r.study_name ?? id);
    const dirs = directions.get(id) ?? (r.direction !== null && r.direction !== undefined ? [direction(r.direction)] : ['MINIMIZE']);
    const names = metricNamesOf(systemAttrs.get(r.study_id)?.get('study:metric_names'), dirs.length);
    const tags: Record<string, string> = { 'optuna.directions': dirs.join(','), 'optuna.metrics': names.join(',') };
    for (const [k, v] of userAttrs.get(r.study_id) ?? []) tags[`optuna.user_attr.${k}`] = v;
    for (const [k, v] of systemAttrs.get(r.study_id) ?? []) tags[`optuna.system_attr.${k}`] = v;
    return {
      id,
      name,
      directions: dirs,
      metricNames: names,
      experiment: { experimentId: studyExperimentId(name), name, artifactLocation: null, lifecycleStage: 'active', creationTime: null, lastUpdateTime: null, tags },
    };
  });
}

function readTrials(db: Database, schema: Schema, studies: Study[], now: number, issue: (message: string) => void): RunRecord[] {
  const byStudy = new Map(studies.map((s) => [s.id, s]));
  const oldValues = !schema.has('trial_intermediate_values'); // 0.9 and 1.3
  // Rows as arrays, keyed by the trial's id as stored: 10,000 trials are 50,000 rows, and an object
  // and a string key per row cost more than the query.
  const trialRows = db.prepare(`SELECT ${columns(schema, 'trials', ['trial_id', 'number', 'study_id', 'state', 'value', 'datetime_start', 'datetime_complete'])} FROM trials ORDER BY trial_id`).raw().all() as unknown[][];
  const params = new Map<unknown, Record<string, string>>();
  const distributions = new Map<unknown, Record<string, string>>();
  for (const [trial, name, stored, distribution] of db.prepare('SELECT trial_id, param_name, param_value, distribution_json FROM trial_params ORDER BY param_id').raw().all() as unknown[][]) {
    const decoded = decodeParam(stored, distribution);
    (params.get(trial) ?? params.set(trial, {}).get(trial)!)[String(name)] = decoded;
    (distributions.get(trial) ?? distributions.set(trial, {}).get(trial)!)[`optuna.distribution.${String(name)}`] = String(distribution ?? '');
  }
  const finals = new Map<unknown, (number | undefined)[]>();
  const intermediate = new Map<unknown, { step: number; value: number }[]>();
  if (oldValues) {
    for (const [trial, step, value] of db.prepare('SELECT trial_id, step, value FROM trial_values ORDER BY trial_value_id').raw().all() as unknown[][]) push(intermediate, trial, { step: Number(step), value: numberOrNaN(value) });
  } else {
    const typed = schema.get('trial_values')?.has('value_type') ?? false;
    for (const [trial, objective, value, type] of db.prepare(`SELECT trial_id, objective, value${typed ? ', value_type' : ', NULL AS value_type'} FROM trial_values ORDER BY trial_value_id`).raw().all() as unknown[][]) {
      const list = finals.get(trial) ?? [];
      list[Number(objective)] = typedValue(value, type);
      finals.set(trial, list);
    }
    const typedIntermediate = schema.get('trial_intermediate_values')?.has('intermediate_value_type') ?? false;
    for (const [trial, step, value, type] of db.prepare(`SELECT trial_id, step, intermediate_value${typedIntermediate ? ', intermediate_value_type' : ', NULL AS intermediate_value_type'} FROM trial_intermediate_values ORDER BY step, trial_intermediate_value_id`).raw().all() as unknown[][]) {
      push(intermediate, trial, { step: Number(step), value: typedValue(value, type) ?? NaN });
    }
  }
  const userAttrs = attributes(db, schema, 'trial_user_attributes', 'trial_id');
  const systemAttrs = attributes(db, schema, 'trial_system_attributes', 'trial_id');
  const heartbeats = new Map<unknown, number>();
  if (schema.has('trial_heartbeats')) for (const [trial, beat] of db.prepare('SELECT trial_id, heartbeat FROM trial_heartbeats').raw().all() as unknown[][]) heartbeats.set(trial, time(beat) ?? 0);

  const runs: RunRecord[] = [];
  for (const [trial, trialNumber, studyId, trialState, trialValue, started, completed] of trialRows) {
    const study = byStudy.get(String(studyId));
    if (!study) {
      issue(`trial ${String(trial)} belongs to study ${String(studyId)}, which is not in the studies table; skipped`);
      continue;
    }
    const system = systemAttrs.get(trial);
    const number = trialNumber !== null && trialNumber !== undefined ? Number(trialNumber) : Number(system?.get('_number') ?? trial);
    const state = String(trialState ?? '').toUpperCase();
    const start = time(started);
    const end = time(completed);
    const tags: Record<string, string> = {
      'optuna.study': study.name,
      'optuna.number': String(number),
      'optuna.state': state,
      // Which way each objective goes, for Compare Runs' best run: {"value": "MINIMIZE"}.
      'optuna.directions': directionsJson(study),
      ...distributions.get(trial),
    };
    for (const [k, v] of userAttrs.get(trial) ?? []) tags[`optuna.user_attr.${k}`] = v;
    for (const [k, v] of system ?? []) if (k !== '_number') tags[`optuna.system_attr.${k}`] = v;
    const beat = heartbeats.get(trial);
    if (state === 'RUNNING' && beat !== undefined && now - beat > STALE_HEARTBEAT_MS) tags['optuna.heartbeat'] = `stale: last beat ${new Date(beat).toISOString()}`;

    const values = oldValues ? [trialValue === null || trialValue === undefined ? undefined : numberOrNaN(trialValue)] : (finals.get(trial) ?? []);
    const metrics: MetricPoint[] = [];
    const history = intermediate.get(trial) ?? [];
    const objective = study.metricNames[0];
    let lastStep = -1;
    for (const p of history) {
      metrics.push({ key: objective, value: p.value, timestamp: start ?? 0, step: p.step });
      lastStep = Math.max(lastStep, p.step);
    }
    study.metricNames.forEach((name, k) => {
      const v = values[k];
      // The final value comes after the intermediate ones, so it is the metric's latest.
      if (v !== undefined) metrics.push({ key: name, value: v, timestamp: end ?? start ?? 0, step: k === 0 ? lastStep + 1 : 0 });
    });
    runs.push({
      runId: trialRunId(study.name, number),
      experimentId: study.experiment.experimentId,
      name: String(number),
      status: STATES[state] ?? 'RUNNING',
      startTime: start,
      endTime: end,
      lifecycleStage: 'active',
      artifactUri: null,
      parentRunId: null,
      userId: null,
      params: params.get(trial) ?? {},
      tags,
      metrics,
    });
  }
  markBest(runs, studies);
  return runs;
}

/**
 * The best trial of a study with one objective (`optuna.best`), or the Pareto front of one with
 * several (`optuna.pareto`): among finished trials, by each objective's direction.
 */
function markBest(runs: RunRecord[], studies: Study[]): void {
  for (const study of studies) {
    const finished = runs.filter((r) => r.experimentId === study.experiment.experimentId && r.status === 'FINISHED');
    const objectives = (r: RunRecord) => study.metricNames.map((name, k) => {
      const point = r.metrics.filter((m) => m.key === name).reduce<MetricPoint | undefined>((a, b) => (a === undefined || b.step >= a.step ? b : a), undefined);
      const v = point?.value ?? NaN;
      // Minimized throughout: a maximized objective is negated.
      return study.directions[k] === 'MAXIMIZE' ? -v : v;
    });
    const scored = finished.map((r) => ({ r, o: objectives(r) })).filter(({ o }) => o.every((v) => !Number.isNaN(v)));
    if (study.metricNames.length === 1) {
      const best = scored.reduce<{ r: RunRecord; o: number[] } | undefined>((a, b) => (a === undefined || b.o[0] < a.o[0] ? b : a), undefined);
      if (best) best.r.tags['optuna.best'] = 'true';
      continue;
    }
    for (const a of scored) {
      const dominated = scored.some((b) => b !== a && b.o.every((v, k) => v <= a.o[k]) && b.o.some((v, k) => v < a.o[k]));
      if (!dominated) a.r.tags['optuna.pareto'] = 'true';
    }
  }
}

/** A param's stored float, as the value the objective saw. */
type Distribution = { name?: string; attributes?: { choices?: unknown[] } };

/** Parsed distributions by their JSON: a study repeats the same few for every trial. */
const parsedDistributions = new Map<string, Distribution | null>();

function parseDistribution(json: string): Distribution | null {
  let parsed = parsedDistributions.get(json);
  if (parsed === undefined) {
    try {
      parsed = JSON.parse(json) as Distribution;
    } catch {
      parsed = null;
    }
    if (parsedDistributions.size > 10_000) parsedDistributions.clear();
    parsedDistributions.set(json, parsed);
  }
  return parsed;
}

export function decodeParam(stored: unknown, distributionJson: unknown): string {
  const value = Number(stored);
  const distribution = parseDistribution(String(distributionJson));
  if (distribution === null || typeof distribution !== 'object') return String(value);
  const name = distribution.name ?? '';
  if (name === 'CategoricalDistribution') {
    const choices = distribution.attributes?.choices ?? [];
    const choice = Number.isInteger(value) && value >= 0 && value < choices.length ? choices[value] : undefined;
    return choice === undefined ? String(value) : typeof choice === 'string' ? choice : JSON.stringify(choice);
  }
  if (name === 'IntDistribution' || name === 'IntUniformDistribution' || name === 'IntLogUniformDistribution') return String(Math.round(value));
  return String(value);
}

const directionsOfStudy = new WeakMap<Study, string>();
function directionsJson(study: Study): string {
  let json = directionsOfStudy.get(study);
  if (json === undefined) directionsOfStudy.set(study, (json = JSON.stringify(Object.fromEntries(study.metricNames.map((m, k) => [m, study.directions[k] ?? 'MINIMIZE'])))));
  return json;
}

function metricNamesOf(json: string | undefined, objectives: number): string[] {
  if (json !== undefined) {
    try {
      const names = JSON.parse(json) as unknown;
      if (Array.isArray(names) && names.length === objectives && names.every((n) => typeof n === 'string' && n !== '')) return names as string[];
    } catch {
      // not JSON: the default names
    }
  }
  return objectives === 1 ? ['value'] : Array.from({ length: objectives }, (_, k) => `value_${k}`);
}

/** owner → key → value (value_json decoded: a JSON string becomes its text, anything else stays JSON). */
function attributes(db: Database, schema: Schema, table: string, owner: string): Map<unknown, Map<string, string>> {
  const out = new Map<unknown, Map<string, string>>();
  const present = schema.get(table);
  if (!present?.has(owner) || !present.has('key') || !present.has('value_json')) return out;
  for (const [who, key, json] of db.prepare(`SELECT ${quote(owner)} AS owner, key, value_json FROM ${quote(table)}`).raw().all() as unknown[][]) {
    let value = String(json ?? '');
    try {
      const parsed = JSON.parse(value) as unknown;
      if (typeof parsed === 'string') value = parsed;
    } catch {
      // kept as stored
    }
    (out.get(who) ?? out.set(who, new Map()).get(who)!).set(String(key), value);
  }
  return out;
}

function direction(value: unknown): 'MINIMIZE' | 'MAXIMIZE' {
  const text = String(value ?? '').toUpperCase();
  return text === 'MAXIMIZE' || text === '2' ? 'MAXIMIZE' : 'MINIMIZE';
}

/** 3.x stores infinities as NULL with their type; NaN is stored as NULL with type NAN (intermediate values). */
function typedValue(value: unknown, type: unknown): number | undefined {
  switch (String(type ?? '').toUpperCase()) {
    case 'INF_POS':
      return Infinity;
    case 'INF_NEG':
      return -Infinity;
    case 'NAN':
      return NaN;
  }
  return value === null || value === undefined ? undefined : numberOrNaN(value);
}

function numberOrNaN(value: unknown): number {
  return typeof value === 'number' ? value : Number(value);
}

/** "2021-09-01 12:23:35.949090" (naive, as Optuna writes it) → ms since the epoch, read as UTC. */
function time(value: unknown): number | null {
  if (value === null || value === undefined) return null;
  const text = String(value);
  // Two per trial: the usual form is read by position, anything else by the pattern.
  if (text.length === 26 && text[4] === '-' && text[7] === '-' && text[10] === ' ' && text[13] === ':' && text[16] === ':' && text[19] === '.') {
    const n = (from: number, to: number) => {
      let v = 0;
      for (let i = from; i < to; i++) {
        const d = text.charCodeAt(i) - 48;
        if (d < 0 || d > 9) return NaN;
        v = v * 10 + d;
      }
      return v;
    };
    const ms = Date.UTC(n(0, 4), n(5, 7) - 1, n(8, 10), n(11, 13), n(14, 16), n(17, 19), Math.floor(n(20, 26) / 1000));
    if (!Number.isNaN(ms)) return ms;
  }
  const m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?/.exec(text);
  if (!m) return null;
  const ms = m[7] ? Math.floor(Number(m[7].padEnd(6, '0')) / 1000) : 0;
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]), ms);
}

function push<T>(map: Map<unknown, T[]>, key: unknown, value: T): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
