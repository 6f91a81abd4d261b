/**
 * Semantic validation of mlops.yaml: the schema, then everything a schema cannot say — references
 * between models, versions, endpoints, experiments and runs; traffic splits; metric bounds; files.
 *
 * Pure and synchronous, for every keystroke: whatever lives outside the text (runs, ONNX signatures,
 * where the manifest is) comes in through the context, and each part of it is optional — a check
 * whose input is not known is skipped, never guessed. docs/diagnostics.md documents every code.
 */
import { isMap } from 'yaml';
import type { Finding, Range } from '../contract';
import type { OnnxInspection, OnnxSignature } from '../onnx/inspect';
import type { RunSummary } from '../tracking/repository';
import { isLoopbackHost, trackingServerUrl } from '../tracking/sources';
import { checkDeployOrder, checkDeployQuantities, deployBlocks, effectiveDeploy, mergeDeploy } from './deploy';
import { checkFiles, type FileFacts } from './validate-files';
import { describeRange, inRange, isLiveMetric, LIVE_METRICS, metricRange } from './metrics';
import { Locator, readManifestModel, type DeployDecl, type EndpointDecl, type ExperimentDecl, type Field, type GateDecl, type ManifestModel, type ModelDecl, type MonitorDecl } from './model';
import { isTimeZone, knownTimeZones, parseSchedule } from '../monitoring/schedule';
import type { ParsedManifest } from './parse';
import { checkSchema } from './schema';
import { closest } from './suggest';

/** What validation needs to know about a run. */
export interface RunFacts {
  name: string;
  /** Latest value of each metric. */
  metrics: Record<string, number>;
  params: Record<string, string>;
}

export interface RunLookup {
  get(runId: string): RunFacts | undefined;
  /** Every metric name the indexed runs logged. */
  metricNames(): Iterable<string>;
}

export interface ValidationContext {
  /** Absolute path of the manifest; without it no file is checked. */
  manifestPath?: string;
  /** Absolute path of the workspace folder that files must stay in; defaults to the manifest's folder. */
  workspaceRoot?: string;
  /** The run index; without it run references, metric names and gates are not checked. */
  runs?: RunLookup;
  /** An ONNX file's signature by absolute (real) path; undefined when not known (yet). */
  onnx?: (absolutePath: string) => OnnxInspection | undefined;
  /** 'enforce' (`mlops check`, the CI gate): a failed gate is an error and unverifiable gates are noted. Default 'warn'. */
  gates?: 'warn' | 'enforce';
  /** A cache of path lookups for checks repeated on every edit; without it each check stats afresh. */
  fileFacts?: FileFacts;
}

/** A finding, plus what a quick fix needs: text that, put in place of the range, fixes it. */
export interface ManifestFinding extends Finding {
  data?: { replacement?: string };
}

/**
 * Validate a parsed manifest. Parse errors are the parser's findings; while the YAML does not parse
 * (other than duplicate keys) nothing else is reported, since a half-recovered tree gives misleading
 * errors. Pass `model` when it was read already (an editor reads it for its other features). Never throws.
 */
/** Requests a canary guard waits for when `min_requests` is absent. */
export const DEFAULT_GUARD_MIN_REQUESTS = 100;

export function validateManifest(parsed: ParsedManifest, ctx: ValidationContext = {}, model: ManifestModel = readManifestModel(parsed)): ManifestFinding[] {
  const doc = parsed.document;
  if (!doc || doc.errors.some((e) => e.code !== 'DUPLICATE_KEY')) return [];
  const locator = new Locator(parsed);
  const root = locator.deref(doc.contents);
  if (!isMap(root)) return [];
  const findings = checkSchema(root, locator);
  const report = (range: Range, severity: Finding['severity'], code: string, message: string, replacement?: string): void => {
    findings.push({ range, severity, code, message, ...(replacement !== undefined ? { data: { replacement } } : {}) });
  };
  const schemaFindings = [...findings];
  checkTrackingServers(model, report);
  const signatures = checkFiles(model, ctx, report);
  new Checker(model, ctx, report, signatures, schemaFindings).run();
  return findings;
}

/** A lookup over runs from the index (`TrackingService.runs()`), for the context. */
export function runLookup(runs: readonly RunSummary[]): RunLookup {
  const byId = new Map<string, RunSummary>();
  for (const run of runs) if (!byId.has(run.runId)) byId.set(run.runId, run);
  let names: string[] | undefined;
  return {
    get: (runId) => byId.get(runId),
    metricNames: () => (names ??= [...new Set(runs.flatMap((r) => Object.keys(r.metrics)))]),
  };
}

/** `tracking:` entries that are URLs name MLflow tracking servers: http(s) only, no credentials, TLS off this machine. */
function checkTrackingServers(model: ManifestModel, report: Report): void {
  for (const entry of model.tracking?.items ?? []) {
    if (entry.problem) {
      report(entry.range, 'error', 'tracking-entry', `Not a tracking source: ${entry.problem}.`);
      continue;
    }
    if (entry.kind) continue;
    if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(entry.value)) continue;
    const resolved = trackingServerUrl(entry.value);
    if ('reason' in resolved) {
      report(entry.range, 'error', 'tracking-url', `Tracking server ${entry.value}: ${resolved.reason}.`);
      continue;
    }
    const url = new URL(resolved.url);
    if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
      report(entry.range, 'warning', 'tracking-plain-http', `${entry.value} is not on this machine and is reached without TLS: runs and the bearer token cross the network in clear text. Use https://.`, entry.value.replace(/^http:/i, 'https:'));
    }
  }
}

export type Report = (range: Range, severity: Finding['severity'], code: string, message: string, replacement?: string) => void;

/** Signatures of the versions whose ONNX file is known, by model name then version id. */
export type Signatures = Map<string, Map<string, OnnxSignature>>;

class Checker {
  private readonly models: ReadonlyMap<string, ModelDecl>;
  private readonly endpoints: ReadonlyMap<string, EndpointDecl>;

  constructor(
    private readonly model: ManifestModel,
    private readonly ctx: ValidationContext,
    private readonly report: Report,
    private readonly signatures: Signatures,
    private readonly schemaFindings: readonly Finding[],
  ) {
    this.models = model.models?.entries ?? new Map();
    this.endpoints = model.serving?.endpoints?.entries ?? new Map();
  }

  run(): void {
    for (const m of this.models.values()) this.modelDecl(m);
    for (const e of this.endpoints.values()) this.endpoint(e);
    for (const x of this.model.experiments?.entries.values() ?? []) this.experiment(x);
    this.monitoring();
    this.host();
    this.deploy();
  }

  /**
   * `deploy` blocks: their quantities as written, then what cannot hold — each model's block on its
   * own, then each endpoint's effective settings. A fault an endpoint inherits from its model is the
   * model's, reported once there. Blocks with schema errors (a replica count of 2.5) are not compared:
   * the comparison would only repeat them.
   */
  private deploy(): void {
    const seen = new Set<string>();
    const once: Report = (range, severity, code, message, replacement) => {
      const key = `${code}@${range.start.line}:${range.start.character}`;
      if (seen.has(key)) return;
      seen.add(key);
      this.report(range, severity, code, message, replacement);
    };
    for (const { decl } of deployBlocks(this.model)) checkDeployQuantities(decl, once);
    const clean = (...blocks: (DeployDecl | undefined)[]) => blocks.every((b) => !b || !this.schemaReportedWithin(b.range));
    for (const m of this.models.values()) {
      if (m.deploy && clean(m.deploy)) checkDeployOrder(mergeDeploy(m.name, m.name, undefined, m.deploy), `Model \`${m.name}\``, once, () => m.deploy?.replicas?.range);
    }
    for (const e of this.endpoints.values()) {
      const effective = effectiveDeploy(this.model, e.name);
      const m = e.model && this.models.get(e.model.value);
      if (effective && clean(e.deploy, m?.deploy)) checkDeployOrder(effective, `Endpoint \`${e.name}\``, once, (from) => (from === 'endpoint' ? e.deploy : m?.deploy)?.replicas?.range);
    }
  }

  private modelDecl(m: ModelDecl): void {
    for (const [name, alias] of m.aliases?.entries ?? []) this.versionRef(m, alias, `Alias \`${name}\``, { aliases: false });
    for (const gate of m.gates?.entries.values() ?? []) {
      this.gateBounds(gate.name, gate.min, gate.max, gate.range);
      this.metricName(gate.name, gate.keyRange);
    }
    if (this.ctx.runs) this.versionRuns(m);
  }

  /**
   * A version reference must name a declared version; where traffic is routed (traffic keys, mirror,
   * experiment arms) an alias of the model names its version too, as the server resolves them.
   * Returns the version id it stands for.
   */
  private versionRef(m: ModelDecl, ref: Field<string> | undefined, what: string, options: { range?: Range; aliases?: boolean } = {}): string | undefined {
    if (!ref) return undefined;
    const version = resolveVersion(m, ref.value, options.aliases ?? true);
    if (version !== undefined) return version;
    const declared = [...(m.versions?.entries.keys() ?? [])];
    const aliases = options.aliases === false ? [] : [...(m.aliases?.entries.keys() ?? [])];
    const known = declared.length === 0 ? `\`${m.name}\` declares no versions yet` : `versions: ${declared.map((v) => `"${v}"`).join(', ')}${aliases.length > 0 ? `; aliases: ${aliases.join(', ')}` : ''}`;
    const kind = options.aliases === false ? 'a version' : 'a version or an alias';
    this.report(options.range ?? ref.range, 'error', 'unknown-version', `${what} names "${ref.value}", which is not ${kind} of model \`${m.name}\` (${known}).`, closest(ref.value, [...declared, ...aliases]));
    return undefined;
  }

  private gateBounds(metric: string, min: Field<number> | undefined, max: Field<number> | undefined, range: Range): void {
    const r = metricRange(metric);
    for (const [name, bound] of [['min', min], ['max', max]] as const) {
      if (!bound || !r || inRange(bound.value, r)) continue;
      // Past the metric's upper end a min can never be met; past its lower end it never fails (and conversely for max).
      const never = (name === 'min') === bound.value > r.min;
      const effect = never ? 'can never be met' : 'lets every value pass';
      this.report(bound.range, 'error', 'threshold-range', `\`${metric}\` is ${r.kind}, so ${name} ${bound.value} ${effect}; use a value ${describeRange(r)}.`);
    }
    if (min && max && min.value > max.value) this.report(range, 'error', 'threshold-order', `The gate on \`${metric}\` has min ${min.value} above max ${max.value}: no value can pass it.`);
  }

  /** Metric names are checked against the runs' only when there are runs to know them from. */
  private metricName(name: string, range: Range): void {
    if (isLiveMetric(name) || !this.ctx.runs) return;
    const names = this.metricNames();
    if (names.size === 0 || names.has(name)) return;
    const suggestion = closest(name, [...names, ...LIVE_METRICS]);
    const tail = suggestion ? `; did you mean \`${suggestion}\`?` : '.';
    this.report(range, 'warning', 'unknown-metric', `No indexed run logs a metric named \`${name}\`${tail}`, suggestion);
  }

  private metricNamesCache: Set<string> | undefined;

  private metricNames(): Set<string> {
    return (this.metricNamesCache ??= new Set(this.ctx.runs?.metricNames() ?? []));
  }

  /** Each version's run must be indexed; its latest metrics are held against the model's gates. */
  private versionRuns(m: ModelDecl): void {
    const gates = [...(m.gates?.entries.values() ?? [])];
    for (const v of m.versions?.entries.values() ?? []) {
      if (!v.run) {
        const checkable = gates.filter((g) => !isLiveMetric(g.name)).map((g) => g.name);
        if (this.ctx.gates === 'enforce' && checkable.length > 0) {
          this.report(v.keyRange, 'information', 'gate-unverified', `Version "${v.name}" of \`${m.name}\` has no \`run\`, so its gates (${checkable.join(', ')}) are not checked.`);
        }
        continue;
      }
      const run = this.ctx.runs?.get(v.run.value);
      if (!run) {
        this.report(v.run.range, 'warning', 'unknown-run', `No indexed run has the id \`${v.run.value}\`; check the id, or that its tracking folder is listed under \`tracking\`.`);
        continue;
      }
      for (const gate of gates) this.gate(m.name, v.name, v.run, run, gate);
    }
  }

  /** Serving metrics (latency, error rate) are judged while serving; a run that logs one is judged on it too. */
  private gate(model: string, version: string, runRef: Field<string>, run: RunFacts, gate: GateDecl): void {
    const value = Object.hasOwn(run.metrics, gate.name) ? run.metrics[gate.name] : undefined;
    const min = gate.min?.value;
    const max = gate.max?.value;
    if (value === undefined) {
      if (this.ctx.gates === 'enforce' && !isLiveMetric(gate.name)) {
        this.report(runRef.range, 'information', 'gate-unverified', `Run \`${runRef.value}\` logs no \`${gate.name}\`, so that gate is not checked for version "${version}".`);
      }
      return;
    }
    const bound = gateFailure(value, min, max);
    if (bound === undefined) return;
    const where = run.name && run.name !== runRef.value ? `run \`${run.name}\` (${runRef.value})` : `run \`${runRef.value}\``;
    const severity = this.ctx.gates === 'enforce' ? 'error' : 'warning';
    this.report(runRef.range, severity, 'gate-failed', `Version "${version}" of \`${model}\` fails its gate: \`${gate.name}\` is ${Number(value.toPrecision(6))} in ${where}; the gate needs ${bound}.`);
  }

  private endpoint(e: EndpointDecl): void {
    if (!e.model) return;
    const m = this.models.get(e.model.value);
    if (!m) {
      this.unknownName(e.model, 'unknown-model', 'model', 'models', [...this.models.keys()]);
      return;
    }
    if (e.validate && e.validate.value !== 'off' && !m.input) {
      this.report(e.validate.range, 'error', 'validate-no-dataset', `Endpoint \`${e.name}\` validates requests, but model \`${m.name}\` names no input data set: add \`input: <data set>\` to it (the data set's expectations are what requests are checked against).`);
    }
    const routed: Routed[] = [];
    for (const [id, share] of e.traffic?.entries ?? []) {
      const version = this.versionRef(m, { ...share, value: id }, `The traffic of endpoint \`${e.name}\``, { range: share.keyRange });
      if (version !== undefined) routed.push({ version, share: share.value, range: share.keyRange });
    }
    this.trafficSum(e);
    const mirrored = this.versionRef(m, e.mirror?.version, `The mirror of endpoint \`${e.name}\``);
    if (mirrored !== undefined && e.mirror?.version) routed.push({ version: mirrored, share: 0, range: e.mirror.version.range });
    if (!e.traffic) this.defaultRoute(e, m);
    this.guard(e, routed);
    this.routedSignatures(e, m, routed);
    this.routes.set(e, routed);
  }

  /** A canary guard must bound something, and its bounds must be judgeable with its request count. */
  private guard(e: EndpointDecl, routed: Routed[]): void {
    const g = e.guard;
    if (!g || this.schemaReportedWithin(g.range)) return;
    const errors = g.maxErrorRateIncrease?.value;
    if (errors === undefined && g.maxP95LatencyRatio === undefined) {
      this.report(g.keyRange, 'warning', 'guard-empty', `The guard of endpoint \`${e.name}\` sets no bound: add \`max_error_rate_increase\` or \`max_p95_latency_ratio\`, or it never rolls back.`);
      return;
    }
    const minRequests = g.minRequests?.value ?? DEFAULT_GUARD_MIN_REQUESTS;
    if (errors !== undefined && g.maxErrorRateIncrease && errors > 0 && 1 / minRequests > errors) {
      this.report(
        (g.minRequests ?? g.maxErrorRateIncrease).range,
        'warning',
        'guard-bounds',
        `With \`min_requests: ${minRequests}\` one failed request raises the canary's error rate by ${Number((100 / minRequests).toPrecision(3))} points, more than \`max_error_rate_increase: ${errors}\` tolerates: a single error rolls it back. Raise \`min_requests\` to at least ${Math.ceil(1 / errors)}.`,
      );
    }
    if (routed.filter((r) => r.share > 0).length < 2) {
      this.report(g.keyRange, 'hint', 'guard-idle', `The guard of endpoint \`${e.name}\` acts while its traffic is split between two versions (a canary); now it has nothing to judge.`);
    }
  }

  /** What each endpoint routes to (traffic shares, then the mirror), by version id; read by its experiments. */
  private readonly routes = new Map<EndpointDecl, Routed[]>();

  /** Every version an endpoint routes to (or mirrors) must take the inputs the first one takes. */
  private routedSignatures(e: EndpointDecl, m: ModelDecl, routed: Routed[]): void {
    const sigs = this.signatures.get(m.name);
    const known = routed.filter((r) => sigs?.has(r.version));
    const first = known[0];
    for (const other of known.slice(1)) {
      if (other.version === first.version) continue;
      const diff = signatureDifference(sigs!.get(first.version)!, sigs!.get(other.version)!, first.version, other.version);
      if (diff) this.report(other.range, 'error', 'onnx-signature-mismatch', `Endpoint \`${e.name}\` routes to versions "${first.version}" and "${other.version}", which take different inputs: ${diff}.`);
    }
  }

  private trafficSum(e: EndpointDecl): void {
    if (!e.traffic) return;
    const shares = [...e.traffic.entries.values()];
    // A share that is not a number in [0, 100] is already an error of its own; a sum over it would only repeat it.
    if (this.schemaReportedWithin(e.traffic.range)) return;
    const sum = shares.reduce((total, s) => total + s.value, 0);
    if (Math.abs(sum - 100) > 1e-6) {
      const detail = shares.length === 0 ? 'is empty' : `sums to ${Number(sum.toFixed(6))}`;
      this.report(e.traffic.range, 'error', 'traffic-sum', `The traffic of endpoint \`${e.name}\` ${detail}; the percentages must sum to 100.`);
    }
  }

  private schemaReportedWithin(range: Range): boolean {
    return this.schemaFindings.some((f) => contains(range, f.range));
  }

  /** Without a traffic split an endpoint serves the `production` alias, or the model's only version. */
  private defaultRoute(e: EndpointDecl, m: ModelDecl): void {
    const versions = m.versions?.entries.size ?? 0;
    if (m.aliases?.entries.has('production') || versions === 1) return;
    const why = versions === 0 ? `model \`${m.name}\` has no versions yet` : `model \`${m.name}\` has ${versions} versions and no \`production\` alias`;
    this.report(e.keyRange, 'error', 'traffic-missing', `Endpoint \`${e.name}\` has no \`traffic\` and ${why}: add \`traffic\` (e.g. { "1": 100 }) or an alias \`production\`.`);
  }

  private experiment(x: ExperimentDecl): void {
    if (x.metric) this.metricName(x.metric.value, x.metric.range);
    if (!x.endpoint) return;
    const e = this.endpoints.get(x.endpoint.value);
    if (!e) {
      this.unknownName(x.endpoint, 'unknown-endpoint', 'endpoint', 'serving.endpoints', [...this.endpoints.keys()]);
      return;
    }
    const m = e.model && this.models.get(e.model.value);
    if (!m) return;
    const what = `Experiment \`${x.name}\``;
    const control = this.versionRef(m, x.control, what);
    const treatment = this.versionRef(m, x.treatment, what);
    if (control === undefined || treatment === undefined || !x.control || !x.treatment) return;
    if (control === treatment) {
      this.report(x.treatment.range, 'error', 'experiment-same-version', `${what} compares version "${control}" with itself; the treatment must be another version.`);
      return;
    }
    const routed = this.routes.get(e) ?? [];
    for (const [arm, version] of [[x.control, control], [x.treatment, treatment]] as const) {
      if (e.traffic && !routed.some((r) => r.version === version && r.share > 0)) {
        this.report(arm.range, 'warning', 'experiment-no-traffic', `Version "${version}" gets no traffic on endpoint \`${e.name}\`, so ${what.toLowerCase()} collects no data for it.`);
      }
    }
    // An endpoint that routes to both arms has compared their inputs already.
    const both = routed.some((r) => r.version === control) && routed.some((r) => r.version === treatment);
    const sigs = this.signatures.get(m.name);
    const a = sigs?.get(control);
    const b = sigs?.get(treatment);
    const diff = !both && a && b && signatureDifference(a, b, control, treatment);
    if (diff) this.report(x.treatment.range, 'error', 'onnx-signature-mismatch', `Versions "${control}" and "${treatment}" of \`${m.name}\` take different inputs: ${diff}.`);
  }

  /** A schedule that croner and GitHub's cron both read, in a time zone this runtime knows; the error sits on the character. */
  private retrainSchedule(retrain: NonNullable<MonitorDecl['retrain']>): void {
    const { schedule, timezone } = retrain;
    if (timezone && !isTimeZone(timezone.value)) {
      const zone = closest(timezone.value, knownTimeZones());
      this.report(timezone.range, 'error', 'schedule-timezone', `"${timezone.value}" is not an IANA time zone${zone ? `; did you mean ${zone}?` : ' (such as UTC, Europe/Berlin, America/New_York)'}.`, zone);
    }
    if (!schedule) return;
    const parsed = parseSchedule(schedule.value, timezone && isTimeZone(timezone.value) ? timezone.value : 'UTC');
    if (parsed.ok) return;
    this.report(scalarSubRange(schedule, parsed.problem.offset, parsed.problem.length), 'error', 'schedule-invalid', `Schedule: ${parsed.problem.message}.`);
  }

  private monitoring(): void {
    for (const mon of this.model.monitoring?.entries.values() ?? []) {
      if (!this.models.has(mon.name)) this.unknownName({ value: mon.name, range: mon.keyRange, keyRange: mon.keyRange }, 'unknown-model', 'model', 'models', [...this.models.keys()]);
      const baseline = mon.degradation?.baseline;
      const runId = baseline?.value.startsWith('run:') ? baseline.value.slice(4).trim() : undefined;
      if (baseline && runId && this.ctx.runs && !this.ctx.runs.get(runId)) {
        this.report(baseline.range, 'warning', 'unknown-run', `No indexed run has the id \`${runId}\`; check the baseline's id, or that its tracking folder is listed under \`tracking\`.`);
      }
      // A threshold of a p-value test is its alpha, so it must be below 1.
      const global = mon.drift?.method?.value;
      for (const f of mon.drift?.features?.entries.values() ?? []) {
        const method = f.method?.value ?? global ?? 'auto';
        if (f.threshold && f.threshold.value >= 1 && ['ks', 'chi-square', 'z-test'].includes(method)) {
          this.report(f.threshold.range, 'error', 'drift-threshold', `The threshold of ${method} is its alpha, a p-value level below 1, not ${f.threshold.value}.`);
        }
        if (f.method?.value === 'z-test' && f.type && f.type.value !== 'binary') {
          this.report(f.method.range, 'error', 'drift-method', `The z-test compares the share of one value, so it needs a binary feature; \`${f.name}\` is declared ${f.type.value}.`);
        }
        if (f.method && ['ks', 'wasserstein'].includes(f.method.value) && f.type?.value === 'categorical') {
          this.report(f.method.range, 'error', 'drift-method', `${f.method.value} needs numbers; \`${f.name}\` is declared categorical (use chi-square, jensen-shannon or psi).`);
        }
      }
      if (mon.retrain && mon.retrain.on.length === 0 && !mon.retrain.schedule && mon.retrain.command?.value) {
        this.report(mon.retrain.keyRange, 'warning', 'retrain-never', 'retrain has no `on:` list and no `schedule:`, so it never fires; add `on: [drift, degradation]` or `schedule: weekly`.');
      }
      if (mon.retrain) this.retrainSchedule(mon.retrain);
    }
  }

  private host(): void {
    const host = this.model.serving?.host;
    if (!host || isLoopback(host.value) || this.model.serving?.tokenEnv) return;
    this.report(host.range, 'warning', 'host-exposed', `Host ${host.value} makes the model server reachable from other machines, without a token: set \`token_env\` to the environment variable holding one, or bind to 127.0.0.1.`);
  }

  private unknownName(ref: Field<string>, code: string, noun: string, section: string, names: string[]): void {
    const suggestion = closest(ref.value, names);
    const tail = suggestion ? `; did you mean \`${suggestion}\`?` : names.length > 0 ? ` (declared: ${names.slice(0, 8).join(', ')}${names.length > 8 ? ', …' : ''}).` : '.';
    this.report(ref.range, 'error', code, `No ${noun} \`${ref.value}\` is declared under \`${section}\`${tail}`, suggestion);
  }
}

/** A version routed to by an endpoint: its share of the traffic (0 for the mirror) and where it is named. */
interface Routed {
  version: string;
  share: number;
  range: Range;
}

/**
 * Whether a metric value fails a gate: undefined when it passes, else the bound it misses (`≥ 0.8`).
 * NaN passes no bound: a metric that could not be computed is no evidence of quality.
 */
export function gateFailure(value: number, min: number | undefined, max: number | undefined): string | undefined {
  const fails = Number.isNaN(value) || (min !== undefined && value < min) || (max !== undefined && value > max);
  if (!fails) return undefined;
  return min !== undefined && !(value >= min) ? `≥ ${min}` : `≤ ${max}`;
}

/** The version an id stands for: a declared version, or (where allowed) an alias of one. */
export function resolveVersion(m: ModelDecl, id: string, aliases = true): string | undefined {
  if (m.versions?.entries.has(id)) return id;
  const target = aliases ? m.aliases?.entries.get(id)?.value : undefined;
  return target !== undefined && m.versions?.entries.has(target) ? target : undefined;
}

function contains(outer: Range, inner: Range): boolean {
  const before = (a: Range['start'], b: Range['start']) => a.line < b.line || (a.line === b.line && a.character <= b.character);
  return before(outer.start, inner.start) && before(inner.end, outer.end);
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** How two signatures' inputs differ (names, dtypes, shapes; symbolic or unknown dimensions match anything), or undefined. */
export function signatureDifference(a: OnnxSignature, b: OnnxSignature, nameA: string, nameB: string): string | undefined {
  const diffs: string[] = [];
  const byName = new Map(b.inputs.map((i) => [i.name, i]));
  for (const input of a.inputs) {
    const other = byName.get(input.name);
    if (!other) diffs.push(`input \`${input.name}\` of "${nameA}" is missing from "${nameB}"`);
    else if (input.type !== other.type) diffs.push(`input \`${input.name}\` is ${input.type} in "${nameA}" but ${other.type} in "${nameB}"`);
    else if (!shapesAgree(input.shape, other.shape)) diffs.push(`input \`${input.name}\` has shape ${formatShape(input.shape)} in "${nameA}" but ${formatShape(other.shape)} in "${nameB}"`);
  }
  const names = new Set(a.inputs.map((i) => i.name));
  for (const input of b.inputs) if (!names.has(input.name)) diffs.push(`"${nameB}" takes an input \`${input.name}\` that "${nameA}" does not`);
  return diffs.length > 0 ? diffs.slice(0, 3).join('; ') + (diffs.length > 3 ? `; and ${diffs.length - 3} more` : '') : undefined;
}

function shapesAgree(a: (number | string)[] | undefined, b: (number | string)[] | undefined): boolean {
  if (!a || !b) return true;
  if (a.length !== b.length) return false;
  return a.every((d, i) => typeof d !== 'number' || typeof b[i] !== 'number' || d === b[i]);
}

export function formatShape(shape: (number | string)[] | undefined): string {
  return shape ? `[${shape.map((d) => (typeof d === 'number' ? d : d || '?')).join(', ')}]` : '[?]';
}

/**
 * The range of characters [offset, offset + length) of a one-line scalar's value, quoted or plain;
 * the whole value when the text as written is not the value itself (escapes, folded lines).
 */
function scalarSubRange(field: Field<string>, offset: number, length: number): Range {
  const { start, end } = field.range;
  const width = end.character - start.character;
  if (start.line !== end.line || (width !== field.value.length && width !== field.value.length + 2)) return field.range;
  const first = start.character + (width === field.value.length + 2 ? 1 : 0) + offset;
  return { start: { line: start.line, character: first }, end: { line: start.line, character: first + Math.max(1, length) } };
}
