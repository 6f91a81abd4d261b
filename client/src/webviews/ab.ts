import * as vscode from 'vscode';
import {
  ClientNotifications,
  Notifications,
  parseAbDashboardMessage,
  parseAbDashboardState,
  Requests,
  type AbDashboardData,
  type AbDashboardState,
} from '../../../server/src/contract';
import type { Ctx } from '../ctx';
import { WebviewPanelHost } from './shell';

export const AB_VIEW_TYPE = 'mlops.abDashboard';
/** New predictions or feedback re-request the analysis at most this often. */
const LIVE_REFRESH_MS = 1_000;

/**
 * The A/B dashboard: the server's analysis of one experiment (cards per variant, the difference
 * with its interval, the metric over time, the sample-ratio check and the verdict). The server
 * tells it when the prediction log grows; the panel's state (manifest, experiment) brings it back
 * after a restart (webview serializer).
 */
export class AbDashboard implements vscode.Disposable {
  private host: WebviewPanelHost<AbDashboardData> | undefined;
  private state: AbDashboardState | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly ctx: Ctx) {
    ctx.pushDisposable(
      vscode.window.registerWebviewPanelSerializer(AB_VIEW_TYPE, {
        deserializeWebviewPanel: async (panel, state) => {
          const restored = parseAbDashboardState(state);
          if (restored) this.open(restored, panel);
          else panel.dispose();
        },
      }),
    );
    ctx.onNotification(Notifications.predictionLogChanged, ({ manifest }) => {
      if (manifest === this.state?.manifest) this.scheduleRefresh();
    });
    // A restarted server watches nothing: asking again makes it watch the log again.
    ctx.pushDisposable(ctx.onServerStatus(() => void this.host?.refresh()));
    ctx.pushDisposable(this);
  }

  show(state: AbDashboardState): void {
    if (this.host) {
      this.switchTo(state);
      this.host.reveal();
      void this.host.refresh();
      return;
    }
    this.open(state);
  }

  private open(state: AbDashboardState, restored?: vscode.WebviewPanel): void {
    this.state = state;
    this.host?.dispose();
    const host = new WebviewPanelHost<AbDashboardData>(
      this.ctx,
      {
        viewType: AB_VIEW_TYPE,
        title: 'A/B Test',
        script: 'ab',
        loadData: () => this.ctx.request(Requests.abDashboard, { manifest: this.state!.manifest, experiment: this.state!.experiment }),
        receive: (raw) => this.receive(raw),
      },
      restored,
    );
    this.host = host;
    host.onDidDispose(() => {
      if (this.host !== host) return;
      this.host = undefined;
      if (this.state) void this.ctx.notify(ClientNotifications.abDashboardClosed, { manifest: this.state.manifest });
    });
  }

  private switchTo(state: AbDashboardState): void {
    if (this.state && this.state.manifest !== state.manifest) void this.ctx.notify(ClientNotifications.abDashboardClosed, { manifest: this.state.manifest });
    this.state = state;
  }

  private async receive(raw: unknown): Promise<boolean> {
    const message = parseAbDashboardMessage(raw);
    if (message?.type !== 'selectExperiment' || !this.state) return false;
    this.state = { ...this.state, experiment: message.payload.experiment };
    await this.host?.refresh();
    return true;
  }

  private scheduleRefresh(): void {
    if (!this.host || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.host?.refresh();
    }, LIVE_REFRESH_MS);
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.host?.dispose();
  }
}
