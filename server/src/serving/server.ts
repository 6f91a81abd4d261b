import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { watch, type FSWatcher } from 'chokidar';
import { ServingConfigError, loadServingConfig, type ServingConfig } from './config';
import { Deployment, DeploymentSet } from './deployment';
import { startGrpcServer, type GrpcServer } from './grpc/transport';
import { grpcHandlers } from './grpc/service';
import { answerClientError, createHandler, describeEndpoints, sha256, type EndpointSummary } from './http';
import { asRefusal, type ServingApp } from './inference';
import { Metrics } from './metrics';
import { PredictionLog } from './prediction-log';

export { ServingConfigError } from './config';
export type { EndpointSummary } from './http';

/**
 * Node flags for a model server process. V8 grows its young generation up to 16 MiB a semi-space
 * under a steady request rate, which reads as RSS climbing for a minute; 2 MiB keeps it flat from the
 * first seconds; the soak test's throughput stays within its run-to-run spread (the serving benchmark runs with it).
 */
export const MODEL_SERVER_NODE_FLAGS = ['--max-semi-space-size=2'];

declare const MLOPS_VERSION: string;

export interface ModelServerOptions {
  workspaceRoot: string;
  manifestPath: string;
  /** Default: serving.port from mlops.yaml, else 8080; 0 picks a free port. */
  port?: number;
  /** The gRPC port (0 = a free one). Default: serving.grpc.port from mlops.yaml; off when neither says. */
  grpcPort?: number;
  /** Default: serving.host from mlops.yaml, else 127.0.0.1. Any non-loopback address requires `token`. */
  host?: string;
  /** When set, every request must carry `Authorization: Bearer <token>`. Default: the variable named by serving.token_env. */
  token?: string;
  /** Larger request bodies get a 413. Default 8 MiB. */
  maxBodyBytes?: number;
  /** Log inputs for this fraction of requests (default 1) when their JSON is at most maxBytes (default 16 KiB). */
  logInputs?: { sample?: number; maxBytes?: number };
  /** Reload when mlops.yaml or a served .onnx file changes. Default true. */
  watch?: boolean;
  onEvent?: (event: ServerEvent) => void;
}

export type ServerEvent =
  | { type: 'reloaded'; notes: string[] }
  | { type: 'reload-failed'; problems: string[] }
  | { type: 'note'; message: string };

export interface ReloadResult {
  ok: boolean;
  /** Configuration problems (nothing changed) or load notes (swapped). */
  messages: string[];
}

export interface ModelServer {
  url: string;
  /** host:port of the gRPC service, when it is on. */
  grpcAddress?: string;
  /** What is being served now. */
  endpoints(): EndpointSummary[];
  /** Re-read mlops.yaml and the model files; new sessions warm up before they take traffic. */
  reload(): Promise<ReloadResult>;
  /** Resolves once every request answered so far is in the prediction log's table (it is journaled at once, in the table within milliseconds). */
  logSettled(): Promise<void>;
  /** Stop taking requests, let those in flight (and their mirrors) finish, commit the log, release sessions. */
  close(): Promise<void>;
}

const DEFAULT_PORT = 8080;
const DEFAULT_MAX_BODY = 8 * 1024 * 1024;
/** Changes within this window reload once: a save can touch several files. */
const RELOAD_DEBOUNCE_MS = 100;

export async function startModelServer(options: ModelServerOptions): Promise<ModelServer> {
  const emit = options.onEvent ?? (() => {});
  const config = loadServingConfig(options.manifestPath, options.workspaceRoot);
  const host = options.host ?? config.host ?? '127.0.0.1';
  const token = options.token ?? tokenFromEnv(config);
  if (!isLoopback(host) && !token) {
    throw new ServingConfigError([`binding to ${host} exposes the models beyond this machine: give a token (--token, MLOPS_SERVE_TOKEN, or serving.token_env) so every request must authenticate`]);
  }
  const metrics = new Metrics();
  const first = await Deployment.build(config, undefined, metrics.countCache);
  for (const message of first.notes) emit({ type: 'note', message });
  const app: ServingApp = {
    deployments: new DeploymentSet(first),
    log: PredictionLog.open(options.workspaceRoot, { note: (message) => emit({ type: 'note', message }) }),
    metrics,
    version: typeof MLOPS_VERSION === 'string' ? MLOPS_VERSION : 'dev',
    logInputs: { sample: options.logInputs?.sample ?? 1, maxBytes: options.logInputs?.maxBytes ?? 16 * 1024 },
  };
  const server = createServer(createHandler(app, { token, maxBodyBytes: options.maxBodyBytes ?? DEFAULT_MAX_BODY }));
  server.on('clientError', answerClientError);
  try {
    await listen(server, options.port ?? config.port ?? DEFAULT_PORT, host);
  } catch (error) {
    await app.log.close();
    await app.deployments.closeAll();
    throw error;
  }
  const port = (server.address() as AddressInfo).port;
  const bracketed = host.includes(':') ? `[${host}]` : host;
  const url = `http://${bracketed}:${port}`;
  const grpcPort = options.grpcPort ?? config.grpcPort;
  let grpcServer: GrpcServer | undefined;
  if (grpcPort !== undefined) {
    try {
      grpcServer = await startGrpcServer({ host, port: grpcPort, maxMessageBytes: options.maxBodyBytes ?? DEFAULT_MAX_BODY, handlers: grpcHandlers(app, token === undefined ? undefined : sha256(token)), asRefusal });
    } catch (error) {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await app.log.close();
      await app.deployments.closeAll();
      throw new ServingConfigError([`cannot serve gRPC on ${bracketed}:${grpcPort}: ${(error as Error).message}`]);
    }
  }

  let reloading: Promise<ReloadResult> = Promise.resolve({ ok: true, messages: [] });
  const reload = () => (reloading = reloading.then(() => reloadOnce(options, app, watcher)));
  const watcher = options.watch === false ? undefined : new ReloadWatcher(options.manifestPath, () => void reload().then((r) => emit(r.ok ? { type: 'reloaded', notes: r.messages } : { type: 'reload-failed', problems: r.messages })));
  watcher?.follow(config);

  return {
    url,
    ...(grpcServer ? { grpcAddress: `${bracketed}:${grpcServer.port}` } : {}),
    endpoints: () => describeEndpoints(app),
    logSettled: () => app.log.settled(),
    reload,
    close: async () => {
      await watcher?.close();
      await reloading;
      await Promise.all([new Promise<void>((resolve) => server.close(() => resolve())), grpcServer?.close()]);
      await app.deployments.drained();
      await app.log.close();
      await app.deployments.closeAll();
    },
  };
}

async function reloadOnce(options: ModelServerOptions, app: ServingApp, watcher: ReloadWatcher | undefined): Promise<ReloadResult> {
  let config: ServingConfig;
  try {
    config = loadServingConfig(options.manifestPath, options.workspaceRoot);
  } catch (error) {
    const problems = error instanceof ServingConfigError ? error.problems : [String(error)];
    return { ok: false, messages: problems.map((p) => `${p} (still serving the previous configuration)`) };
  }
  const next = await Deployment.build(config, app.deployments.current, app.metrics.countCache);
  app.deployments.swap(next);
  watcher?.follow(config);
  return { ok: true, messages: next.notes };
}

/** Watches mlops.yaml and every served .onnx file; calls back once per burst of changes. */
class ReloadWatcher {
  private readonly watcher: FSWatcher;
  private timer: NodeJS.Timeout | undefined;
  private watched = new Set<string>();

  constructor(
    private readonly manifestPath: string,
    onChange: () => void,
  ) {
    // awaitWriteFinish: a model file being copied in is read once it stops growing, not half written.
    this.watcher = watch(manifestPath, { ignoreInitial: true, awaitWriteFinish: { stabilityThreshold: 50, pollInterval: 10 } });
    this.watcher.on('all', () => {
      clearTimeout(this.timer);
      this.timer = setTimeout(onChange, RELOAD_DEBOUNCE_MS);
    });
    this.watched.add(manifestPath);
  }

  follow(config: ServingConfig): void {
    const wanted = new Set([this.manifestPath]);
    for (const m of config.models.values()) for (const v of m.versions.values()) wanted.add(v.path);
    const added = [...wanted].filter((p) => !this.watched.has(p));
    const removed = [...this.watched].filter((p) => !wanted.has(p));
    if (added.length > 0) this.watcher.add(added);
    if (removed.length > 0) this.watcher.unwatch(removed);
    this.watched = wanted;
  }

  async close(): Promise<void> {
    clearTimeout(this.timer);
    await this.watcher.close();
  }
}

/** The token named by serving.token_env; naming a variable that is not set is an error, not "no token". */
function tokenFromEnv(config: ServingConfig): string | undefined {
  if (!config.tokenEnv) return undefined;
  const token = process.env[config.tokenEnv];
  if (!token) throw new ServingConfigError([`serving.token_env names ${config.tokenEnv}, which is not set in the environment: set it to the bearer token clients must send`]);
  return token;
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
