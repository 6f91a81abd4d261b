import { spawn, type ChildProcess } from 'node:child_process';
import { MODEL_SERVER_NODE_FLAGS } from '../serving/server';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Connection } from 'vscode-languageserver/node';
import { Notifications, type ServingStatus, type TreeNode, type TreeViewId } from '../contract';
import type { EndpointSummary } from '../serving/http';
import type { SeriesStats } from '../serving/metrics';

/** Restart delays after a crash; after the last one the server stays down and says why. */
const BACKOFF_MS = [1000, 2000, 4000, 8000, 16000];
/** A run this long resets the backoff: the crash was not a crash loop. */
const STABLE_MS = 60_000;
const STATS_INTERVAL_MS = 1000;

/**
 * Runs the model server as a child process — `mlops serve --json`, the same code as the CLI — for one
 * workspace folder: starts and stops it, restarts it with backoff when it crashes (and says why),
 * and polls its statistics for the Serving view.
 */
export class ServingHost {
  private child: ChildProcess | undefined;
  private status: ServingStatus = { state: 'stopped' };
  private endpoints: EndpointSummary[] = [];
  private stats: SeriesStats[] = [];
  private statsTimer: NodeJS.Timeout | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  private crashes = 0;
  private folder: string | undefined;
  private stderrTail: string[] = [];
  /** Called when the server starts, stops or fails (the Models view says what is served). */
  onStatusChanged: ((status: ServingStatus) => void) | undefined;
  /** Called with every poll's numbers (the canary guard judges them). */
  onStats: ((folder: string, endpoints: EndpointSummary[], stats: SeriesStats[]) => void) | undefined;

  constructor(
    private readonly connection: Connection,
    private readonly cliPath: string = join(__dirname, 'cli.js'),
  ) {}

  current(): ServingStatus {
    return this.status;
  }

  /** Start serving the folder's mlops.yaml; resolves when the server answers or fails to start. */
  async start(folder: string): Promise<ServingStatus> {
    if (this.child && this.folder === folder && this.status.state === 'running') return this.status;
    await this.stop();
    this.folder = folder;
    this.crashes = 0;
    return this.launch();
  }

  async stop(): Promise<ServingStatus> {
    clearTimeout(this.restartTimer);
    clearInterval(this.statsTimer);
    const child = this.child;
    this.child = undefined;
    if (child && child.exitCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    this.endpoints = [];
    this.stats = [];
    this.setStatus({ state: 'stopped' });
    return this.status;
  }

  private launch(): Promise<ServingStatus> {
    const folder = this.folder!;
    if (!existsSync(this.cliPath)) return Promise.resolve(this.setStatus({ state: 'failed', message: `the model server is missing (${this.cliPath})` }));
    this.setStatus({ state: 'starting', message: `Loading the models of ${folder}` });
    this.stderrTail = [];
    const child = spawn(process.execPath, [...MODEL_SERVER_NODE_FLAGS, this.cliPath, 'serve', folder, '--json'], { cwd: folder, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    const startedAt = Date.now();
    return new Promise((resolve) => {
      let answered = false;
      const answer = (status: ServingStatus) => {
        if (!answered) resolve(status);
        answered = true;
      };
      createInterface({ input: child.stdout! }).on('line', (line) => {
        if (answered) return;
        try {
          const { url, grpc, endpoints } = JSON.parse(line) as { url: string; grpc?: string; endpoints: EndpointSummary[] };
          this.endpoints = endpoints;
          answer(this.setStatus({ state: 'running', url, ...(grpc ? { grpc } : {}), protocols: protocolsText(url, grpc), endpoints: endpoints.length, pid: child.pid }));
          this.pollStats(url);
        } catch {
          // not the announcement line
        }
      });
      createInterface({ input: child.stderr! }).on('line', (line) => this.onServerEvent(line));
      child.on('exit', (code, signal) => {
        if (this.child !== child) return answer(this.status); // stopped on purpose
        this.child = undefined;
        clearInterval(this.statsTimer);
        const why = this.stderrTail.slice(-3).join(' ').trim() || `exit code ${code ?? signal}`;
        if (Date.now() - startedAt > STABLE_MS) this.crashes = 0;
        // A server that never came up (bad manifest, port in use) is not restarted: retrying cannot help.
        if (this.status.state !== 'running' || this.crashes >= BACKOFF_MS.length) {
          answer(this.setStatus({ state: 'failed', message: why }));
          this.connection.console.error(`Model server stopped: ${why}`);
          return;
        }
        const delay = BACKOFF_MS[this.crashes++];
        this.connection.console.error(`Model server crashed (${why}); restarting in ${delay / 1000} s`);
        this.setStatus({ state: 'restarting', message: `crashed: ${why}; restarting in ${delay / 1000} s` });
        this.restartTimer = setTimeout(() => void this.launch(), delay);
      });
    });
  }

  private onServerEvent(line: string): void {
    this.stderrTail = [...this.stderrTail.slice(-9), line];
    try {
      const event = JSON.parse(line) as { type: string; message?: string; notes?: string[]; problems?: string[] };
      const text = event.message ?? [...(event.notes ?? []), ...(event.problems ?? [])].join('; ');
      this.connection.console.info(`Model server ${event.type}${text ? `: ${text}` : ''}`);
      if (event.type === 'reloaded' || event.type === 'reload-failed') void this.refreshStats();
    } catch {
      this.connection.console.info(`Model server: ${line}`);
    }
  }

  private pollStats(url: string): void {
    clearInterval(this.statsTimer);
    this.statsTimer = setInterval(() => void this.refreshStats(url), STATS_INTERVAL_MS);
    void this.refreshStats(url);
  }

  private async refreshStats(url = this.status.url): Promise<void> {
    if (!url) return;
    try {
      const response = await fetch(`${url}/mlops/stats`, { signal: AbortSignal.timeout(2000) });
      const body = (await response.json()) as { endpoints: EndpointSummary[]; series: SeriesStats[] };
      this.endpoints = body.endpoints;
      this.stats = body.series;
      if (this.folder) this.onStats?.(this.folder, body.endpoints, body.series);
      void this.connection.sendNotification(Notifications.treeChanged.method, { view: 'serving' satisfies TreeViewId });
    } catch {
      // The next poll tries again; a dead server is reported by its exit.
    }
  }

  private setStatus(status: ServingStatus): ServingStatus {
    const changed = this.status.state !== status.state;
    this.status = status;
    if (changed) this.onStatusChanged?.(status);
    void this.connection.sendNotification(Notifications.servingStatus.method, status);
    void this.connection.sendNotification(Notifications.treeChanged.method, { view: 'serving' satisfies TreeViewId });
    return status;
  }

  /** The Serving view: endpoint → versions with traffic, req/s, latency percentiles and errors. */
  children(parentId: string | null): TreeNode[] {
    if (this.status.state !== 'running' && this.status.state !== 'restarting') return [];
    if (parentId === null) {
      return this.endpoints.map((e) => {
        const series = this.stats.filter((s) => s.endpoint === e.name);
        const rps = series.reduce((n, s) => n + s.requestsPerSecond, 0);
        return {
          id: `endpoint:${e.name}`,
          label: e.name,
          description: `${e.model} · ${formatRate(rps)} req/s`,
          tooltip: [`**${e.name}** serves model **${e.model}**`, `\`${this.status.url}/v2/models/${e.name}/infer\``, this.status.grpc ? `gRPC \`${this.status.grpc}\` (inference.GRPCInferenceService, model_name "${e.name}")` : '', e.sticky ? `Sticky by ${e.sticky}` : '', e.mirror ? `Mirrors ${e.mirror.percent}% to version ${e.mirror.version}` : '', e.cache ? cacheText(e.cache) : ''].filter(Boolean).join('\n\n'),
          icon: 'server-process',
          hasChildren: e.versions.length > 0,
          contextValue: 'endpoint',
          expanded: true,
        };
      });
    }
    const endpoint = this.endpoints.find((e) => `endpoint:${e.name}` === parentId);
    if (!endpoint) return [];
    return endpoint.versions.map((v) => {
      const s = this.stats.find((x) => x.endpoint === endpoint.name && x.version === v.id);
      const percent = endpoint.traffic[v.id] ?? 0;
      // The row says the share and the rate (and errors, when there are any); latency goes to the tooltip,
      // so nothing is cut off at the sidebar's default width.
      const errors = s && s.errors > 0 ? ` · ${formatCount(s.errors)} error${s.errors === 1 ? '' : 's'}` : '';
      return {
        id: `endpoint:${endpoint.name}:v${v.id}`,
        label: `Version ${v.id}`,
        description: v.loaded ? `${percent}% · ${formatRate(s?.requestsPerSecond ?? 0)} req/s${errors}` : `not loaded: ${v.error ?? 'unknown error'}`,
        tooltip: versionTooltip(endpoint.name, v.id, percent, s),
        icon: v.loaded ? 'circle-filled' : 'error',
        hasChildren: false,
        contextValue: 'servedVersion',
      };
    });
  }

  /** The models the running server serves (for the Models view). */
  servedModels(): Set<string> {
    return this.status.state === 'running' || this.status.state === 'restarting' ? new Set(this.endpoints.map((e) => e.model)) : new Set();
  }

  async dispose(): Promise<void> {
    await this.stop();
  }
}

/** Where the server answers, for the Serving view's header: "127.0.0.1:8080", or "REST :8080 · gRPC :8081" (one host for both). */
export function protocolsText(url: string, grpc: string | undefined): string {
  return grpc ? `REST :${new URL(url).port} · gRPC :${grpc.slice(grpc.lastIndexOf(':') + 1)}` : url.replace(/^https?:\/\//, '');
}

function formatRate(perSecond: number): string {
  return perSecond >= 100 ? formatCount(Math.round(perSecond)) : perSecond.toFixed(1);
}

function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

function formatPercent(share: number): string {
  const percent = share * 100;
  return `${percent > 0 && percent < 1 ? '<1' : percent > 99 && percent < 100 ? '>99' : Math.round(percent)}%`;
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** The endpoint's prediction cache: what it holds now, and its bounds. */
function cacheText(cache: NonNullable<EndpointSummary['cache']>): string {
  const ttl = cache.ttlSeconds === undefined ? '' : `, answers reused for ${cache.ttlSeconds} s`;
  return `Prediction cache: ${formatCount(cache.entries)} of ${formatCount(cache.maxEntries)} entries, ${formatBytes(cache.bytes)} of ${formatBytes(cache.maxBytes)}${ttl}`;
}

function formatMs(ms: number | null): string {
  return ms === null ? '—' : `${ms < 10 ? ms.toFixed(2) : ms.toFixed(1)} ms`;
}

const PROTOCOL_NAMES: Record<string, string> = { v2: 'V2 REST', v1: 'V1 REST', mlflow: 'MLflow', grpc: 'gRPC' };

/** Everything about a served version that does not fit its row. */
function versionTooltip(endpoint: string, version: string, percent: number, s: SeriesStats | undefined): string {
  const head = `**${endpoint}** version **${version}**: ${percent}% of the traffic`;
  if (!s || s.requests === 0) return `${head}\n\nNo requests yet`;
  return [
    head,
    `${formatRate(s.requestsPerSecond)} req/s over the last 10 s · ${formatCount(s.requests)} requests, ${formatCount(s.errors)} errors since start`,
    Object.keys(s.protocols ?? {}).length > 1 || s.protocols?.grpc ? `By protocol: ${Object.entries(s.protocols).map(([p, n]) => `${PROTOCOL_NAMES[p] ?? p} ${formatCount(n)}`).join(' · ')}` : '',
    `Latency (last ${formatCount(Math.min(s.requests, 1024))} requests): p50 ${formatMs(s.p50)} · p95 ${formatMs(s.p95)} · p99 ${formatMs(s.p99)}`,
    s.cache ? `Prediction cache: ${formatCount(s.cache.hits)} hits, ${formatCount(s.cache.misses)} misses (${formatPercent(s.cache.hitRate)} hit rate), ${formatCount(s.cache.evictions)} evictions` : '',
    s.violations ? `Data expectations broken: ${Object.entries(s.violations).sort(([, a], [, b]) => b - a).map(([column, n]) => `${column} ${formatCount(n)}`).join(' · ')}` : '',
  ]
    .filter(Boolean)
    .join('\n\n');
}
