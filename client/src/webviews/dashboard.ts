import * as vscode from 'vscode';
import { Requests, type DashboardData } from '../../../server/src/contract';
import type { Ctx } from '../ctx';
import { WebviewPanelHost } from './shell';

/** The dashboard panel: one at a time, refreshed when the server's state changes. */
export class Dashboard {
  private host: WebviewPanelHost<DashboardData> | undefined;

  constructor(private readonly ctx: Ctx) {
    ctx.pushDisposable(ctx.onServerStatus(() => void this.host?.refresh()));
    ctx.pushDisposable(vscode.workspace.onDidSaveTextDocument(() => void this.host?.refresh()));
  }

  show(): void {
    if (this.host) return this.host.reveal();
    this.host = new WebviewPanelHost<DashboardData>(this.ctx, {
      viewType: 'mlops.dashboard',
      title: 'MLOps Dashboard',
      script: 'dashboard',
      loadData: async () => ({ summary: await this.ctx.request(Requests.workspaceSummary, {}) }),
    });
    this.host.onDidDispose(() => (this.host = undefined));
  }

  refresh(): void {
    void this.host?.refresh();
  }
}
