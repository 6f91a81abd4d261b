import { Batcher } from './batcher';
import { PredictionCache, type CacheEvent } from './cache';
import type { EndpointConfig, ModelConfig, ServingConfig } from './config';
import type { HostTensor } from './dtypes';
import { ModelSession, readModelFile } from './sessions';
import { RowChecker } from '../validation';

export interface LiveVersion {
  id: string;
  path: string;
  session?: ModelSession;
  /** Why there is no session. */
  error?: string;
  batcher?: Batcher;
  /** Who runs the session for this version: `<endpoint>/<version>`, its key in the session's counts. */
  caller: string;
}

export interface LiveEndpoint {
  config: EndpointConfig;
  model: ModelConfig;
  versions: Map<string, LiveVersion>;
  /**
   * Its prediction cache, when `cache:` asks for one. Each deployment starts with empty caches, so a
   * hot swap or a changed model file can never be answered from an entry of what it replaced.
   */
  cache?: PredictionCache;
  /** The checks of `validate:`, from the model's input data set's expectations. */
  rows?: RowChecker;
}

/** Where cache lookups and evictions are counted (the metrics, which outlive deployments). */
export type CacheCounter = (endpoint: string, version: string, event: CacheEvent) => void;

/**
 * One configuration with its sessions loaded and warmed up. Requests take the deployment that was
 * current when they arrived and finish on it, so a reload never fails a request in flight.
 */
export class Deployment {
  inflight = 0;

  private constructor(
    readonly config: ServingConfig,
    readonly endpoints: Map<string, LiveEndpoint>,
    /** Load problems and warm-up warnings, for the operator. */
    readonly notes: string[],
  ) {}

  /**
   * Load every version of every served model. Files whose content is unchanged reuse the previous
   * deployment's session; a file that fails to load now (say, half written) keeps its previous
   * session when there was one, so a bad save does not take a working version down.
   */
  static async build(config: ServingConfig, previous?: Deployment, countCache?: CacheCounter): Promise<Deployment> {
    const notes: string[] = [];
    const reusable = new Map<string, ModelSession>();
    const previousByPath = new Map<string, ModelSession>();
    for (const s of previous?.sessions() ?? []) {
      reusable.set(s.fingerprint, s);
      previousByPath.set(s.file, s);
    }
    const loaded = new Map<string, { session?: ModelSession; error?: string }>();
    const endpoints = new Map<string, LiveEndpoint>();
    for (const endpoint of config.endpoints) {
      const model = config.models.get(endpoint.model) as ModelConfig;
      const versions = new Map<string, LiveVersion>();
      for (const v of model.versions.values()) {
        // One file at a time: loads are CPU-bound and the server keeps answering meanwhile.
        if (!loaded.has(v.path)) loaded.set(v.path, await loadOne(v.path, reusable, previousByPath.get(v.path), notes));
        const { session, error } = loaded.get(v.path) as { session?: ModelSession; error?: string };
        const live: LiveVersion = { id: v.id, path: v.path, session, error, caller: `${endpoint.name}/${v.id}` };
        if (session && endpoint.batching && session.batchable) live.batcher = new Batcher(session, endpoint.batching, live.caller);
        versions.set(v.id, live);
      }
      const served: LiveEndpoint = { config: endpoint, model, versions };
      if (endpoint.validation) served.rows = new RowChecker(endpoint.validation.spec);
      if (endpoint.cache) served.cache = new PredictionCache(endpoint.cache, countCache && ((event, version) => countCache(endpoint.name, version, event)));
      endpoints.set(endpoint.name, served);
    }
    return new Deployment(config, endpoints, notes);
  }

  sessions(): Set<ModelSession> {
    const all = new Set<ModelSession>();
    for (const e of this.endpoints.values()) for (const v of e.versions.values()) if (v.session) all.add(v.session);
    return all;
  }

  /** A version by id or alias. */
  version(endpoint: LiveEndpoint, idOrAlias: string): LiveVersion | undefined {
    return endpoint.versions.get(idOrAlias) ?? endpoint.versions.get(endpoint.model.aliases.get(idOrAlias) ?? '');
  }

  /** What keeps an endpoint from serving its traffic: versions with a share that did not load. */
  problems(endpoint: LiveEndpoint): string[] {
    return endpoint.config.traffic
      .filter((t) => t.percent > 0)
      .map((t) => endpoint.versions.get(t.version) as LiveVersion)
      .filter((v) => !v.session)
      .map((v) => `version ${v.id} of model ${endpoint.model.name} is not loaded: ${v.error}`);
  }

  infer(version: LiveVersion, inputs: ReadonlyMap<string, HostTensor>): Promise<Map<string, HostTensor>> {
    const session = version.session as ModelSession;
    return version.batcher ? version.batcher.run(inputs) : session.run(inputs, session.signature.outputs.map((o) => o.name), version.caller);
  }
}

async function loadOne(
  path: string,
  reusable: Map<string, ModelSession>,
  previous: ModelSession | undefined,
  notes: string[],
): Promise<{ session?: ModelSession; error?: string }> {
  try {
    const file = await readModelFile(path);
    const same = reusable.get(file.fingerprint);
    if (same) return { session: same };
    const { session, warning } = await ModelSession.load(path, file);
    if (warning) notes.push(`${path}: warm-up run failed (${warning}); the model is served anyway`);
    return { session };
  } catch (error) {
    const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
    if (previous) {
      notes.push(`${path}: cannot load (${message}); still serving the previous version of the file`);
      return { session: previous };
    }
    notes.push(`${path}: cannot load: ${message}`);
    return { error: message };
  }
}

/** The current deployment plus those still finishing requests; sessions are released once nothing uses them. */
export class DeploymentSet {
  private readonly live = new Set<Deployment>();

  constructor(private active: Deployment) {
    this.live.add(active);
  }

  get current(): Deployment {
    return this.active;
  }

  acquire(): Deployment {
    this.active.inflight++;
    return this.active;
  }

  release(d: Deployment): void {
    d.inflight--;
    if (d !== this.active && d.inflight === 0) this.retire(d);
  }

  swap(next: Deployment): void {
    const old = this.active;
    this.active = next;
    this.live.add(next);
    if (old.inflight === 0) this.retire(old);
  }

  /** Resolves when no request (or mirror run) is in flight on any deployment, or after timeoutMs. */
  async drained(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while ([...this.live].some((d) => d.inflight > 0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  }

  /** Release every session (the server has stopped taking requests). */
  async closeAll(): Promise<void> {
    const sessions = new Set<ModelSession>();
    for (const d of this.live) for (const s of d.sessions()) sessions.add(s);
    this.live.clear();
    await Promise.all([...sessions].map((s) => s.release().catch(() => undefined)));
  }

  private retire(d: Deployment): void {
    this.live.delete(d);
    const inUse = new Set<ModelSession>();
    for (const other of this.live) for (const s of other.sessions()) inUse.add(s);
    for (const s of d.sessions()) if (!inUse.has(s)) void s.release().catch(() => undefined);
  }
}
