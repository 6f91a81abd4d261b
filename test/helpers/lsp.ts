import { spawn, type ChildProcess } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import {
  createProtocolConnection,
  DidChangeTextDocumentNotification,
  DidCloseTextDocumentNotification,
  DidOpenTextDocumentNotification,
  ExitNotification,
  InitializedNotification,
  InitializeRequest,
  PublishDiagnosticsNotification,
  ShutdownRequest,
  StreamMessageReader,
  StreamMessageWriter,
  type ClientCapabilities,
  type Diagnostic,
  type ProtocolConnection,
  type PublishDiagnosticsParams,
} from 'vscode-languageserver-protocol/node';
import { SERVER } from './paths';

/**
 * A real JSON-RPC client speaking LSP to the built server over stdio, as any editor would.
 * Waits are on conditions (the next matching notification), bounded by a timeout.
 */
export class LspSession {
  readonly connection: ProtocolConnection;
  private readonly child: ChildProcess;
  private readonly diagnostics: PublishDiagnosticsParams[] = [];
  private readonly notifications: { method: string; params: unknown }[] = [];
  private waiters: (() => void)[] = [];
  stderr = '';

  constructor(env?: NodeJS.ProcessEnv) {
    // MLOPS_SERVER_NODE_ARGS: extra node flags for the server under test (e.g. --cpu-prof when profiling).
    const nodeArgs = process.env.MLOPS_SERVER_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
    this.child = spawn(process.execPath, [...nodeArgs, SERVER, '--stdio'], { stdio: ['pipe', 'pipe', 'pipe'], ...(env ? { env } : {}) });
    this.child.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.connection = createProtocolConnection(new StreamMessageReader(this.child.stdout!), new StreamMessageWriter(this.child.stdin!));
    this.connection.onNotification(PublishDiagnosticsNotification.type, (p) => {
      this.diagnostics.push(p);
      this.wake();
    });
    this.connection.onUnhandledNotification((n) => {
      this.notifications.push({ method: n.method, params: n.params });
      this.wake();
    });
    this.connection.listen();
  }

  get exitCode(): number | null {
    return this.child.exitCode;
  }

  async initialize(rootPath: string, capabilities: ClientCapabilities = {}): Promise<void> {
    const rootUri = pathToFileURL(rootPath).toString();
    await this.connection.sendRequest(InitializeRequest.type, {
      processId: process.pid,
      rootUri,
      capabilities,
      workspaceFolders: [{ uri: rootUri, name: 'ws' }],
    });
    await this.connection.sendNotification(InitializedNotification.type, {});
  }

  open(uri: string, text: string, version = 1): Promise<void> {
    return this.connection.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId: 'yaml', version, text } });
  }

  change(uri: string, version: number, text: string): Promise<void> {
    return this.connection.sendNotification(DidChangeTextDocumentNotification.type, { textDocument: { uri, version }, contentChanges: [{ text }] });
  }

  close(uri: string): Promise<void> {
    return this.connection.sendNotification(DidCloseTextDocumentNotification.type, { textDocument: { uri } });
  }

  /** The first diagnostics for `uri` published after `since` (an index from `mark()`) that satisfy `accept`. */
  async diagnosticsFor(uri: string, since: number, accept: (d: Diagnostic[]) => boolean = () => true, timeoutMs = 10_000): Promise<Diagnostic[]> {
    const found = await this.waitFor(() => this.diagnostics.slice(since).find((p) => p.uri === uri && accept(p.diagnostics)), timeoutMs, `diagnostics for ${uri}`);
    return found.diagnostics;
  }

  /** The diagnostics published for exactly this version of the document. */
  async diagnosticsForVersion(uri: string, version: number, timeoutMs = 10_000): Promise<Diagnostic[]> {
    const found = await this.waitFor(() => this.diagnostics.find((p) => p.uri === uri && p.version === version), timeoutMs, `diagnostics for ${uri} v${version}`);
    return found.diagnostics;
  }

  /** The server's window/logMessage lines so far, for failure messages. */
  log(): string {
    return this.notifications
      .filter((n) => n.method === 'window/logMessage')
      .map((n) => (n.params as { message: string }).message)
      .join('\n');
  }

  mark(): number {
    return this.diagnostics.length;
  }

  /** How many notifications (other than diagnostics) came so far: a `since` for notification(). */
  notificationMark(): number {
    return this.notifications.length;
  }

  /** The first notification of `method`, among those from index `since` on. */
  async notification<T>(method: string, timeoutMs = 10_000, since = 0): Promise<T> {
    const found = await this.waitFor(() => this.notifications.slice(since).find((n) => n.method === method), timeoutMs, `notification ${method}`);
    return found.params as T;
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    waiters.forEach((w) => w());
  }

  private async waitFor<T>(probe: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = probe();
      if (value !== undefined) return value;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; server stderr: ${this.stderr}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  async shutdown(): Promise<void> {
    await this.connection.sendRequest(ShutdownRequest.type);
    await this.connection.sendNotification(ExitNotification.type);
    await new Promise<void>((resolve) => (this.child.exitCode !== null ? resolve() : this.child.once('exit', () => resolve())));
    this.connection.dispose();
  }
}
