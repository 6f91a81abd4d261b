import * as vscode from 'vscode';
import { LanguageClient, State, TransportKind, type LanguageClientOptions, type ServerOptions } from 'vscode-languageclient/node';
import { Notifications, type NotificationSpec, type RequestSpec, type ServerStatus } from '../../server/src/contract';
import { Config } from './config';
import { chooseRuntime, describeCandidate, launchOf, probeRuntime, runtimeCandidates } from './runtime';
import { ServerStatusItem } from './status';
import { trackingTokenEnv } from './tracking-token';

/**
 * The extension's state: the language client, the status bar item, the output channel and every
 * disposable. Views and commands talk to the server only through `request` and `onNotification`.
 */
export class Ctx implements vscode.Disposable {
  readonly config = new Config();
  readonly output = vscode.window.createOutputChannel('MLOps', { log: true });
  private readonly status = new ServerStatusItem();
  private readonly subscriptions: vscode.Disposable[] = [this.output, this.status];
  private client: LanguageClient | undefined;
  private lastStatus: ServerStatus | undefined;
  private readonly serverStatusEmitter = new vscode.EventEmitter<ServerStatus>();
  /** Fires whenever the server reports its state; trees and panels refresh on it. */
  readonly onServerStatus = this.serverStatusEmitter.event;
  /** Handlers by method: the JSON-RPC connection keeps one handler per method, so this fans out. */
  private readonly notificationHandlers = new Map<string, ((payload: unknown) => void)[]>();

  /** New tracking sources or manifests make the server re-resolve what it indexes; model and data files are re-checked. */
  private readonly sourceWatchers = ['**/mlops.{yaml,yml}', '**/mlruns', '**/*.db', '**/runs/*.jsonl', '**/*.{onnx,csv,tsv,jsonl,ndjson,parquet}'].map((glob) =>
    vscode.workspace.createFileSystemWatcher(glob),
  );

  constructor(readonly extension: vscode.ExtensionContext) {
    this.subscriptions.push(this.serverStatusEmitter, ...this.sourceWatchers);
    this.onNotification(Notifications.serverStatus, (status) => this.receiveStatus(status));
  }

  get serverStatus(): ServerStatus | undefined {
    return this.lastStatus;
  }

  pushDisposable(d: vscode.Disposable): void {
    this.subscriptions.push(d);
  }

  async start(): Promise<void> {
    this.status.show('starting', undefined, 'Looking for a runtime that runs the server…');
    const { candidates, problems } = runtimeCandidates(this.config.serverRuntime);
    for (const problem of problems) this.output.warn(`${problem} Skipped.`);
    const cli = this.extension.asAbsolutePath('dist/server/cli.js');
    const chosen = await chooseRuntime(
      candidates,
      (candidate) => probeRuntime(candidate, cli),
      (candidate, reason) => this.output.warn(`Not running the server on ${describeCandidate(candidate)}: ${reason}`),
    );
    if (!chosen) {
      const message = problems[0] ?? 'No runtime to run the MLOps server was found.';
      this.status.show('failed', undefined, message);
      void this.showServerProblem(message, 'Put Node.js 22.13 or newer on PATH, or set "mlops.server.runtime".');
      return;
    }
    const runtime = chosen.candidate;
    this.output.info(`Starting the MLOps server on ${describeCandidate(runtime)}${chosen.status ? `: ${chosen.status.runtimeSummary}` : ''}.`);
    const module = this.extension.asAbsolutePath('dist/server/server.js');
    const launch = launchOf(runtime);
    // The tracking-server token goes in the server's environment: never in a message a trace could log.
    const env = { ...process.env, ...launch.env, ...(await trackingTokenEnv(this.extension.secrets)) };
    const serverOptions: ServerOptions = {
      run: { module, runtime: runtime.path, transport: TransportKind.ipc, options: { env, execArgv: launch.execArgv } },
      debug: { module, runtime: runtime.path, transport: TransportKind.ipc, options: { env, execArgv: [...launch.execArgv, '--inspect=6009'] } },
    };
    const clientOptions: LanguageClientOptions = {
      documentSelector: [
        { scheme: 'file', pattern: '**/mlops.yaml' },
        { scheme: 'file', pattern: '**/mlops.yml' },
      ],
      synchronize: {
        // New tracking sources or manifests re-resolve what the server indexes.
        fileEvents: this.sourceWatchers,
      },
      outputChannel: this.output,
      traceOutputChannel: this.output,
    };
    const client = new LanguageClient('mlops', 'MLOps Language Server', serverOptions, clientOptions);
    this.client = client;
    this.status.show('starting');
    client.onDidChangeState(({ newState }) => {
      if (newState === State.Stopped && this.client === client) this.status.show('stopped', this.lastStatus);
    });
    for (const method of this.notificationHandlers.keys()) this.listen(client, method);
    try {
      await client.start();
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.status.show('failed', undefined, message);
      void this.showServerProblem(`The MLOps server did not start: ${message}`, 'See the MLOps output for details.');
    }
  }

  async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client?.isRunning()) await client.stop();
    this.status.show('stopped', this.lastStatus);
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  /** A typed custom request; rejects when the server is not running. */
  async request<P, R>(spec: RequestSpec<P, R>, params: P): Promise<R> {
    if (!this.client?.isRunning()) throw new Error('The MLOps server is not running.');
    return this.client.sendRequest<R>(spec.method, params);
  }

  /** The same, cancelled with `token` (the server stops the work and answers with a cancellation). */
  async requestCancellable<P, R>(spec: RequestSpec<P, R>, params: P, token: vscode.CancellationToken): Promise<R> {
    if (!this.client?.isRunning()) throw new Error('The MLOps server is not running.');
    return this.client.sendRequest<R>(spec.method, params, token);
  }

  /** A typed notification to the server; dropped when it is not running (settings are re-sent on start). */
  async notify<T>(spec: NotificationSpec<T>, payload: T): Promise<void> {
    if (this.client?.isRunning()) await this.client.sendNotification(spec.method, payload);
  }

  /** The Experiments view's message line (active filter); set by the tree registration. */
  setExperimentsMessage: (message: string | undefined) => void = () => {};

  /** Register a handler for a typed server notification; it survives server restarts. */
  onNotification<T>(spec: NotificationSpec<T>, handler: (payload: T) => void): void {
    const handlers = this.notificationHandlers.get(spec.method);
    if (handlers) {
      handlers.push(handler as (payload: unknown) => void);
      return;
    }
    this.notificationHandlers.set(spec.method, [handler as (payload: unknown) => void]);
    if (this.client) this.listen(this.client, spec.method);
  }

  private listen(client: LanguageClient, method: string): void {
    client.onNotification(method, (payload: unknown) => this.notificationHandlers.get(method)?.forEach((h) => h(payload)));
  }


  private receiveStatus(status: ServerStatus): void {
    this.lastStatus = status;
    this.status.show(status.state, status);
    this.output.info(`MLOps server ${status.state}: ${status.runtimeSummary}`);
    if (status.state === 'degraded' && status.problem) void this.showServerProblem(status.problem, status.remedy ?? '');
    this.serverStatusEmitter.fire(status);
  }

  private async showServerProblem(problem: string, remedy: string): Promise<void> {
    this.output.error(`${problem} ${remedy}`);
    const choice = await vscode.window.showErrorMessage(`MLOps: ${problem} ${remedy}`, 'Open Settings', 'Show Output');
    if (choice === 'Open Settings') void vscode.commands.executeCommand('workbench.action.openSettings', 'mlops.server.runtime');
    if (choice === 'Show Output') this.output.show();
  }

  dispose(): void {
    void this.stop();
    for (const d of this.subscriptions.splice(0).reverse()) d.dispose();
  }
}
