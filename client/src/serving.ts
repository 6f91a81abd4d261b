import * as vscode from 'vscode';
import { Notifications, Requests, type ServingStatus } from '../../server/src/contract';
import type { Ctx } from './ctx';
import type { TreeNode } from '../../server/src/contract';

/**
 * The model server from the editor: start and stop (palette, Serving view, code lens), its URL in the
 * status bar, and what went wrong when it fails. The language server runs and supervises it.
 */
export function registerServing(ctx: Ctx, view: vscode.TreeView<TreeNode>): void {
  const item = vscode.window.createStatusBarItem('mlops.serving', vscode.StatusBarAlignment.Left, 9);
  item.name = 'MLOps Model Server';
  ctx.pushDisposable(item);
  const show = (status: ServingStatus) => {
    void vscode.commands.executeCommand('setContext', 'mlops.serving.running', status.state === 'running' || status.state === 'restarting');
    // The view's header says where it serves: no toast over the open panels.
    view.description = status.state !== 'stopped' ? status.protocols : undefined;
    if (status.state === 'stopped') return item.hide();
    const port = status.url ? new URL(status.url).port : '';
    const look = { starting: '$(loading~spin)', running: '$(radio-tower)', restarting: '$(sync~spin)', failed: '$(error)' }[status.state];
    item.text = `${look} Serving${port ? ` :${port}` : ''}`;
    item.accessibilityInformation = { label: `MLOps model server: ${status.state}${status.url ? ` at ${status.url}` : ''}` };
    item.tooltip = new vscode.MarkdownString([`**Model server: ${status.state}**`, status.url ? `\`${status.url}\`` : '', status.grpc ? `gRPC \`${status.grpc}\`` : '', status.message ?? '', '_Click for the Serving view._'].filter(Boolean).join('\n\n'));
    item.backgroundColor = status.state === 'failed' ? new vscode.ThemeColor('statusBarItem.errorBackground') : undefined;
    item.command = 'mlops.serving.focus';
    item.show();
  };
  ctx.onNotification(Notifications.servingStatus, show);

  const start = async (args?: { manifest?: string }) => {
    const folder = args?.manifest ? vscode.workspace.getWorkspaceFolder(vscode.Uri.file(args.manifest))?.uri.fsPath : vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    // Progress shows on the Serving view (and its container's icon), where the result appears.
    void vscode.commands.executeCommand('mlops.serving.focus');
    const status = await vscode.window.withProgress({ location: { viewId: 'mlops.serving' }, title: 'Starting the model server…' }, () =>
      ctx.request(Requests.startServing, { folder }),
    );
    show(status);
    if (status.state === 'running') {
      ctx.output.info(`Serving ${status.endpoints} endpoint${status.endpoints === 1 ? '' : 's'} at ${status.url}${status.grpc ? ` and gRPC ${status.grpc}` : ''}`);
    } else {
      const choice = await vscode.window.showErrorMessage(`MLOps: the model server did not start: ${status.message ?? status.state}`, 'Show Log');
      if (choice === 'Show Log') ctx.output.show();
    }
  };
  const stop = async () => show(await ctx.request(Requests.stopServing, {}));
  ctx.pushDisposable(vscode.commands.registerCommand('mlops.startServing', start));
  ctx.pushDisposable(vscode.commands.registerCommand('mlops.stopServing', stop));
}
