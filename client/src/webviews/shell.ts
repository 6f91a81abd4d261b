import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { parseWebviewMessage, type HostToWebview, type WebviewToHost } from '../../../server/src/contract';
import type { Ctx } from '../ctx';

export interface PanelSpec<Data> {
  viewType: string;
  title: string;
  /** Bundle name under dist/webview/, e.g. "dashboard" for dashboard.js. */
  script: string;
  /** Fetches what the panel shows, from the server. */
  loadData(): Promise<Data>;
  /** Messages outside the common contract (the panel's own); resolves true when handled. */
  receive?(raw: unknown): boolean | Promise<boolean>;
}

/**
 * Every webview panel goes through this shell: a strict Content-Security-Policy with a per-load
 * nonce, only the extension's own bundles as resources, theme variables through CSS, and the
 * contract's `{type, payload}` messages — nothing is posted before the webview says `initialized`.
 */
export class WebviewPanelHost<Data> implements vscode.Disposable {
  private readonly panel: vscode.WebviewPanel;
  private initialized = false;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly disposedEmitter = new vscode.EventEmitter<void>();
  readonly onDidDispose = this.disposedEmitter.event;

  constructor(
    private readonly ctx: Ctx,
    private readonly spec: PanelSpec<Data>,
    /** A panel VS Code restored (webview serializer); a new one is created when absent. */
    restored?: vscode.WebviewPanel,
  ) {
    const root = vscode.Uri.joinPath(ctx.extension.extensionUri, 'dist', 'webview');
    if (restored) restored.webview.options = { enableScripts: true, localResourceRoots: [root] };
    this.panel =
      restored ??
      vscode.window.createWebviewPanel(spec.viewType, spec.title, vscode.ViewColumn.Active, {
        enableScripts: true,
        retainContextWhenHidden: false,
        localResourceRoots: [root],
      });
    this.panel.iconPath = vscode.Uri.joinPath(ctx.extension.extensionUri, 'resources', 'mlops.svg');
    this.panel.webview.html = renderHtml(this.panel.webview, root, spec);
    this.disposables.push(
      this.panel.webview.onDidReceiveMessage((raw) => this.receive(raw)),
      this.panel.onDidDispose(() => this.dispose()),
    );
  }

  reveal(): void {
    this.panel.reveal();
  }

  /** Send fresh data, if the webview is ready to receive it. */
  async refresh(): Promise<void> {
    if (!this.initialized) return;
    try {
      this.post({ type: 'setData', payload: await this.spec.loadData() });
    } catch (error) {
      this.post({ type: 'error', payload: { message: error instanceof Error ? error.message : String(error) } });
    }
  }

  private post(message: HostToWebview<Data>): void {
    void this.panel.webview.postMessage(message);
  }

  private async receive(raw: unknown): Promise<void> {
    const message: WebviewToHost | undefined = parseWebviewMessage(raw);
    if (!message) {
      if (await this.spec.receive?.(raw)) return;
      this.ctx.output.warn(`Ignored a malformed message from the ${this.spec.title} webview.`);
      return;
    }
    switch (message.type) {
      case 'initialized':
        this.initialized = true;
        return this.refresh();
      case 'refresh':
        return this.refresh();
      case 'runCommand':
        await vscode.commands.executeCommand(message.payload.command);
        return this.refresh();
      case 'openFile':
        return openWorkspaceFile(message.payload.file, message.payload.line);
    }
  }

  dispose(): void {
    this.disposedEmitter.fire();
    for (const d of this.disposables.splice(0)) d.dispose();
    this.disposedEmitter.dispose();
    this.panel.dispose();
  }
}

/** Opens a file the webview names, but only one inside an open workspace folder. */
async function openWorkspaceFile(file: string, line?: number): Promise<void> {
  const uri = vscode.Uri.file(file);
  if (!vscode.workspace.getWorkspaceFolder(uri)) return;
  const position = new vscode.Position(Math.max(0, (line ?? 1) - 1), 0);
  await vscode.window.showTextDocument(uri, { selection: new vscode.Range(position, position) });
}

function renderHtml<Data>(webview: vscode.Webview, root: vscode.Uri, spec: PanelSpec<Data>): string {
  const nonce = randomBytes(16).toString('base64');
  const script = webview.asWebviewUri(vscode.Uri.joinPath(root, `${spec.script}.js`));
  const style = webview.asWebviewUri(vscode.Uri.joinPath(root, 'shell.css'));
  const csp = [
    "default-src 'none'",
    `img-src ${webview.cspSource} data:`,
    // report-sample: a blocked style's first characters reach the securitypolicyviolation event.
    `style-src ${webview.cspSource} 'nonce-${nonce}' 'report-sample'`,
    `font-src ${webview.cspSource}`,
    `script-src 'nonce-${nonce}'`,
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="UTF-8">
  <meta http-equiv="Content-Security-Policy" content="${csp}">
  <meta name="viewport" content="width=device-width, initial-scale=1.0">
  <!-- The UI toolkit (FAST) reads the nonce here for the <style> elements it creates. -->
  <meta property="csp-nonce" content="${nonce}">
  <link rel="stylesheet" href="${style}" nonce="${nonce}">
  <title>${escapeHtml(spec.title)}</title>
</head>
<body>
  <main id="root" aria-busy="true"></main>
  <script nonce="${nonce}" src="${script}"></script>
</body>
</html>`;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
