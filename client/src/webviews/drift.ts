import * as vscode from 'vscode';
import { parseDriftMessage, parseDriftState, Requests, type DriftPanelData, type DriftPanelState } from '../../../server/src/contract';
import type { Ctx } from '../ctx';
import { WebviewPanelHost } from './shell';

export const DRIFT_VIEW_TYPE = 'mlops.driftReport';

/**
 * The drift report panel: a monitored model's reference against the prediction log's window,
 * computed by the server with the same core as `mlops drift`, drawn with Vega-Lite in the webview.
 * The model and window live in the webview's state, so the panel comes back after a restart.
 */
export class DriftReportPanel implements vscode.Disposable {
  private host: WebviewPanelHost<DriftPanelData> | undefined;
  private state: DriftPanelState | undefined;

  constructor(private readonly ctx: Ctx) {
    ctx.pushDisposable(
      vscode.window.registerWebviewPanelSerializer(DRIFT_VIEW_TYPE, {
        deserializeWebviewPanel: async (panel, state) => {
          const restored = parseDriftState(state);
          if (!restored) {
            panel.dispose();
            return;
          }
          this.open(restored, panel);
        },
      }),
    );
    ctx.pushDisposable(this);
  }

  show(state: DriftPanelState): void {
    this.state = state;
    if (this.host) {
      this.host.reveal();
      void this.host.refresh();
      return;
    }
    this.open(state);
  }

  private open(state: DriftPanelState, restored?: vscode.WebviewPanel): void {
    this.state = state;
    this.host?.dispose();
    const host = new WebviewPanelHost<DriftPanelData>(
      this.ctx,
      {
        viewType: DRIFT_VIEW_TYPE,
        title: 'Drift Report',
        script: 'drift',
        loadData: () => this.load(),
        receive: async (raw) => {
          const message = parseDriftMessage(raw);
          if (message?.type !== 'driftWindow' || !this.state) return false;
          this.state = { ...this.state, window: message.payload.window };
          await this.host?.refresh();
          return true;
        },
      },
      restored,
    );
    this.host = host;
    host.onDidDispose(() => {
      if (this.host === host) this.host = undefined;
    });
  }

  private async load(): Promise<DriftPanelData> {
    const s = this.state!;
    const data = await this.ctx.request(Requests.driftReport, { manifest: s.manifest ?? undefined, model: s.model, window: s.window ?? undefined });
    // The manifest found becomes part of the state, so a restart opens the same report.
    this.state = { ...s, manifest: data.manifest };
    return data;
  }

  dispose(): void {
    this.host?.dispose();
  }
}
