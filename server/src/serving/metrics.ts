import type { CacheEvent } from './cache';

/** Latency histogram bucket bounds, in seconds (Prometheus base unit). */
const BUCKETS = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
/** Quantiles are over this many most recent requests per series. */
const WINDOW = 1024;
/** Requests per second are averaged over this many seconds. */
const RATE_SECONDS = 10;
const QUANTILES = [0.5, 0.95, 0.99];

export interface SeriesStats {
  endpoint: string;
  version: string;
  requests: number;
  /** Requests by how they came: v2, v1, mlflow (REST) or grpc. */
  protocols: Record<string, number>;
  errors: number;
  /** Over the last 10 seconds. */
  requestsPerSecond: number;
  /** Milliseconds, over the last 1024 requests; null before the first. */
  p50: number | null;
  p95: number | null;
  p99: number | null;
  /** The endpoint's prediction cache, for this version, since start: present once it was looked in. */
  cache?: { hits: number; misses: number; evictions: number; hitRate: number };
  /** Values that broke the input data set's expectations (`validate:`), by column, since start: present once one did. */
  violations?: Record<string, number>;
}

class Series {
  readonly codes = new Map<number, number>();
  readonly protocols = new Map<string, number>();
  readonly buckets = new Array<number>(BUCKETS.length).fill(0);
  count = 0;
  errors = 0;
  sum = 0;
  mirrored = 0;
  cacheHits = 0;
  cacheMisses = 0;
  cacheEvictions = 0;
  private readonly window = new Float64Array(WINDOW);
  private filled = 0;
  private next = 0;
  private readonly perSecond = new Map<number, number>();

  constructor(
    readonly endpoint: string,
    readonly version: string,
  ) {}

  observe(status: number, seconds: number, now: number): void {
    this.codes.set(status, (this.codes.get(status) ?? 0) + 1);
    this.count++;
    if (status >= 400) this.errors++;
    this.sum += seconds;
    for (let i = 0; i < BUCKETS.length; i++) if (seconds <= BUCKETS[i]) this.buckets[i]++;
    this.window[this.next] = seconds;
    this.next = (this.next + 1) % WINDOW;
    this.filled = Math.min(this.filled + 1, WINDOW);
    const second = Math.floor(now / 1000);
    this.perSecond.set(second, (this.perSecond.get(second) ?? 0) + 1);
    if (this.perSecond.size > RATE_SECONDS + 1) {
      for (const s of this.perSecond.keys()) if (s <= second - RATE_SECONDS) this.perSecond.delete(s);
    }
  }

  /** Nearest-rank quantiles of the recent window, in seconds. */
  quantiles(): number[] | undefined {
    if (this.filled === 0) return undefined;
    const sorted = this.window.slice(0, this.filled).sort();
    return QUANTILES.map((q) => sorted[Math.min(this.filled - 1, Math.ceil(q * this.filled) - 1)]);
  }

  rate(now: number): number {
    const current = Math.floor(now / 1000);
    let n = 0;
    // Whole seconds only: the current, partial second would read low.
    for (const [s, c] of this.perSecond) if (s < current && s >= current - RATE_SECONDS) n += c;
    return n / RATE_SECONDS;
  }
}

/** A gauge or counter owned elsewhere (session runs, loaded models), read at exposition time. */
export interface ExternalSample {
  name: string;
  type: 'counter' | 'gauge';
  help: string;
  labels: Record<string, string>;
  value: number;
}

/** Request counters, latency histograms and recent-latency summaries per endpoint and version. */
export class Metrics {
  private readonly series = new Map<string, Series>();

  /** Counts a prediction cache's lookups and evictions (deployments come and go; the counts stay). */
  readonly countCache = (endpoint: string, version: string, event: CacheEvent): void => {
    const s = this.get(endpoint, version);
    if (event === 'hit') s.cacheHits++;
    else if (event === 'miss') s.cacheMisses++;
    else s.cacheEvictions++;
  };

  /** Violations of `validate:` by endpoint, version, column and expectation (served with warn, refused with reject). */
  private readonly violations = new Map<string, { endpoint: string; version: string; column: string; expectation: string; count: number }>();

  readonly countViolations = (endpoint: string, version: string, found: readonly { column: string; expectation: string }[]): void => {
    for (const v of found) {
      const key = JSON.stringify([endpoint, version, v.column, v.expectation]);
      const entry = this.violations.get(key);
      if (entry) entry.count++;
      else this.violations.set(key, { endpoint, version, column: v.column, expectation: v.expectation, count: 1 });
    }
  };

  /** `version` is '' when the request never reached one (unknown model, unreadable body). */
  observe(endpoint: string, version: string, status: number, latencyMs: number, mirrored = false, protocol?: string): void {
    const s = this.get(endpoint, version);
    if (mirrored) s.mirrored++;
    else {
      s.observe(status, latencyMs / 1000, Date.now());
      if (protocol !== undefined) s.protocols.set(protocol, (s.protocols.get(protocol) ?? 0) + 1);
    }
  }

  snapshot(): SeriesStats[] {
    const now = Date.now();
    return [...this.series.values()].map((s) => {
      const q = s.quantiles();
      const ms = (i: number) => (q ? q[i] * 1000 : null);
      const stats: SeriesStats = { endpoint: s.endpoint, version: s.version, requests: s.count, protocols: Object.fromEntries(s.protocols), errors: s.errors, requestsPerSecond: s.rate(now), p50: ms(0), p95: ms(1), p99: ms(2) };
      const lookups = s.cacheHits + s.cacheMisses;
      if (lookups > 0) stats.cache = { hits: s.cacheHits, misses: s.cacheMisses, evictions: s.cacheEvictions, hitRate: s.cacheHits / lookups };
      for (const v of this.violations.values()) {
        if (v.endpoint !== s.endpoint || v.version !== s.version) continue;
        stats.violations ??= {};
        stats.violations[v.column] = (stats.violations[v.column] ?? 0) + v.count;
      }
      return stats;
    });
  }

  /** Prometheus text exposition format, version 0.0.4. */
  render(external: readonly ExternalSample[] = []): string {
    const out: string[] = [];
    const all = [...this.series.values()];
    const family = (name: string, type: string, help: string) => out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    const ev = (s: Series, extra = '') => `endpoint="${escapeLabel(s.endpoint)}",version="${escapeLabel(s.version)}"${extra}`;

    family('mlops_requests_total', 'counter', 'Requests answered, by endpoint, model version and HTTP status.');
    for (const s of all) for (const [code, n] of s.codes) out.push(`mlops_requests_total{${ev(s, `,code="${code}"`)}} ${n}`);
    family('mlops_requests_by_protocol_total', 'counter', 'Requests answered, by endpoint, model version and how they came: v2, v1, mlflow (REST) or grpc.');
    for (const s of all) for (const [protocol, n] of s.protocols) out.push(`mlops_requests_by_protocol_total{${ev(s, `,protocol="${escapeLabel(protocol)}"`)}} ${n}`);
    family('mlops_request_errors_total', 'counter', 'Requests answered with a 4xx or 5xx status.');
    for (const s of all) if (s.count > 0) out.push(`mlops_request_errors_total{${ev(s)}} ${s.errors}`);
    family('mlops_mirrored_requests_total', 'counter', 'Shadow requests sent to a mirror version (responses discarded).');
    for (const s of all) if (s.mirrored > 0) out.push(`mlops_mirrored_requests_total{${ev(s)}} ${s.mirrored}`);

    // Only for versions behind a cache: a cacheless endpoint has no cache series at all.
    const cached = all.filter((s) => s.cacheHits + s.cacheMisses + s.cacheEvictions > 0);
    family('mlops_cache_hits_total', 'counter', 'Requests answered from the prediction cache, without a session.run of their own (still logged and counted as requests).');
    for (const s of cached) out.push(`mlops_cache_hits_total{${ev(s)}} ${s.cacheHits}`);
    family('mlops_cache_misses_total', 'counter', 'Prediction cache lookups that found no entry and ran the model.');
    for (const s of cached) out.push(`mlops_cache_misses_total{${ev(s)}} ${s.cacheMisses}`);
    family('mlops_cache_evictions_total', 'counter', "Prediction cache entries of the version pushed out by the endpoint's max_entries or max_bytes.");
    for (const s of cached) out.push(`mlops_cache_evictions_total{${ev(s)}} ${s.cacheEvictions}`);

    if (this.violations.size > 0) {
      family('mlops_validation_violations_total', 'counter', "Values of requests that broke an expectation of the model's input data set (validate: warn serves them, reject refuses them), by column and expectation.");
      for (const v of this.violations.values()) out.push(`mlops_validation_violations_total{endpoint="${escapeLabel(v.endpoint)}",version="${escapeLabel(v.version)}",column="${escapeLabel(v.column)}",expectation="${escapeLabel(v.expectation)}"} ${v.count}`);
    }

    family('mlops_request_duration_seconds', 'histogram', 'Time from request received to response sent.');
    for (const s of all) {
      if (s.count === 0) continue;
      BUCKETS.forEach((le, i) => out.push(`mlops_request_duration_seconds_bucket{${ev(s, `,le="${le}"`)}} ${s.buckets[i]}`));
      out.push(`mlops_request_duration_seconds_bucket{${ev(s, ',le="+Inf"')}} ${s.count}`);
      out.push(`mlops_request_duration_seconds_sum{${ev(s)}} ${s.sum}`, `mlops_request_duration_seconds_count{${ev(s)}} ${s.count}`);
    }
    family('mlops_request_latency_seconds', 'summary', `Latency quantiles over the last ${WINDOW} requests.`);
    for (const s of all) {
      const q = s.quantiles();
      if (!q) continue;
      QUANTILES.forEach((quantile, i) => out.push(`mlops_request_latency_seconds{${ev(s, `,quantile="${quantile}"`)}} ${q[i]}`));
      out.push(`mlops_request_latency_seconds_sum{${ev(s)}} ${s.sum}`, `mlops_request_latency_seconds_count{${ev(s)}} ${s.count}`);
    }

    const byName = new Map<string, ExternalSample[]>();
    for (const e of external) byName.set(e.name, [...(byName.get(e.name) ?? []), e]);
    for (const [name, samples] of byName) {
      family(name, samples[0].type, samples[0].help);
      for (const e of samples) {
        const labels = Object.entries(e.labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',');
        out.push(`${name}${labels ? `{${labels}}` : ''} ${e.value}`);
      }
    }
    return out.join('\n') + '\n';
  }

  private get(endpoint: string, version: string): Series {
    const key = `${endpoint}\u0000${version}`;
    let s = this.series.get(key);
    if (!s) this.series.set(key, (s = new Series(endpoint, version)));
    return s;
  }
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}
