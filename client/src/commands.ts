import * as vscode from 'vscode';
import type { Ctx } from './ctx';
import type { Dashboard } from './webviews/dashboard';

/** One function per command; each is a thin call into the server or a view. */
export function registerCommands(ctx: Ctx, views: { dashboard: Dashboard; refreshTrees(): void }): void {
  const commands: Record<string, () => unknown> = {
    'mlops.showDashboard': () => views.dashboard.show(),
    'mlops.restartServer': () =>
      vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'Restarting the MLOps server…' }, () => ctx.restart()),
    'mlops.showOutput': () => ctx.output.show(),
    'mlops.refresh': () => {
      views.refreshTrees();
      views.dashboard.refresh();
    },
  };
  for (const [id, run] of Object.entries(commands)) ctx.pushDisposable(vscode.commands.registerCommand(id, run));
}
