import { spawn, type ChildProcess } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import {
  createProtocolConnection,
  DidChangeConfigurationNotification,
  DidChangeTextDocumentNotification,
  DidOpenTextDocumentNotification,
  ExitNotification,
  InitializedNotification,
  InitializeRequest,
  PublishDiagnosticsNotification,
  ShutdownRequest,
  StreamMessageReader,
  StreamMessageWriter,
  type ConfigurationItem,
  type ProtocolConnection,
  type PublishDiagnosticsParams,
} from 'vscode-languageserver-protocol/node';

export interface Received {
  params: PublishDiagnosticsParams;
  /** performance.now() when the notification was read off the pipe. */
  at: number;
}

/**
 * A JSON-RPC client for any stdio language server that pulls its settings (workspace/configuration),
 * as VS Code would: `settings` answers each requested section. Every publishDiagnostics is kept
 * with the time it arrived.
 */
export class StdioLspClient {
  readonly connection: ProtocolConnection;
  readonly received: Received[] = [];
  stderr = '';
  private readonly child: ChildProcess;
  private waiters: (() => void)[] = [];

  constructor(command: string, args: string[], private readonly settings: Record<string, unknown>) {
    this.child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.connection = createProtocolConnection(new StreamMessageReader(this.child.stdout!), new StreamMessageWriter(this.child.stdin!));
    this.connection.onNotification(PublishDiagnosticsNotification.type, (params) => {
      this.received.push({ params, at: performance.now() });
      const waiters = this.waiters;
      this.waiters = [];
      waiters.forEach((w) => w());
    });
    this.connection.onRequest('workspace/configuration', (params: { items: ConfigurationItem[] }) =>
      params.items.map((item) => (item.section === undefined ? null : (this.settings[item.section] ?? null))),
    );
    this.connection.onRequest('client/registerCapability', () => null);
    this.connection.onRequest('window/workDoneProgress/create', () => null);
    this.connection.onUnhandledNotification(() => {});
    this.connection.listen();
  }

  async initialize(rootPath: string): Promise<void> {
    const rootUri = pathToFileURL(rootPath).toString();
    await this.connection.sendRequest(InitializeRequest.type, {
      processId: process.pid,
      rootUri,
      capabilities: { workspace: { configuration: true, didChangeConfiguration: { dynamicRegistration: false } }, textDocument: { publishDiagnostics: {} } },
      workspaceFolders: [{ uri: rootUri, name: 'ws' }],
    });
    await this.connection.sendNotification(InitializedNotification.type, {});
    // The settings travel in the notification too, for servers that read them from there.
    await this.connection.sendNotification(DidChangeConfigurationNotification.type, { settings: this.settings });
  }

  open(uri: string, text: string, version = 1): Promise<void> {
    return this.connection.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId: 'yaml', version, text } });
  }

  change(uri: string, version: number, text: string): Promise<void> {
    return this.connection.sendNotification(DidChangeTextDocumentNotification.type, { textDocument: { uri, version }, contentChanges: [{ text }] });
  }

  mark(): number {
    return this.received.length;
  }

  /** The first diagnostics for `uri` received after `since` (from mark()). */
  async next(uri: string, since: number, timeoutMs = 10_000): Promise<Received> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.received.slice(since).find((r) => r.params.uri === uri);
      if (found) return found;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out after ${timeoutMs} ms waiting for diagnostics for ${uri}; stderr: ${this.stderr.slice(-2000)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Waits until no diagnostics have arrived for `quietMs`. */
  async settle(quietMs = 500, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let seen = this.received.length;
    while (Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, quietMs));
      if (this.received.length === seen) return;
      seen = this.received.length;
    }
  }

  async shutdown(): Promise<void> {
    await this.connection.sendRequest(ShutdownRequest.type);
    await this.connection.sendNotification(ExitNotification.type);
    await new Promise<void>((resolve) => (this.child.exitCode !== null ? resolve() : this.child.once('exit', () => resolve())));
    this.connection.dispose();
  }
}
