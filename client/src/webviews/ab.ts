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
import { SinglePanel } from './single-panel';

export const AB_VIEW_TYPE = 'mlops.abDashboard';

/**
 * The A/B dashboard: the server's analysis of one experiment (cards per variant, the difference
 * with its interval, the metric over time, the sample-ratio check and the verdict). The server
 * tells it when the prediction log grows; the panel's state (manifest, experiment) brings it back
 * after a restart (webview serializer).
 */
export class AbDashboard {
  private readonly panel: SinglePanel<AbDashboardData>;
  private state: AbDashboardState | undefined;

  constructor(private readonly ctx: Ctx) {
    this.panel = new SinglePanel<AbDashboardData>(ctx, {
      viewType: AB_VIEW_TYPE,
      title: 'A/B Test',
      script: 'ab',
      loadData: () => this.ctx.request(Requests.abDashboard, { manifest: this.state!.manifest, experiment: this.state!.experiment }),
      receive: (raw) => this.receive(raw),
      restore: (state) => {
        const restored = parseAbDashboardState(state);
        if (restored) this.state = restored;
        return restored !== undefined;
      },
      // The server stops watching that manifest's log.
      onClosed: () => {
        if (this.state) void this.ctx.notify(ClientNotifications.abDashboardClosed, { manifest: this.state.manifest });
      },
    });
    ctx.onNotification(Notifications.predictionLogChanged, ({ manifest }) => {
      if (manifest === this.state?.manifest) this.panel.refreshSoon();
    });
    // A restarted server watches nothing: asking again makes it watch the log again.
    ctx.pushDisposable(ctx.onServerStatus(() => void this.panel.refresh()));
  }

  show(state: AbDashboardState): void {
    if (this.panel.isOpen && this.state && this.state.manifest !== state.manifest) {
      void this.ctx.notify(ClientNotifications.abDashboardClosed, { manifest: this.state.manifest });
    }
    this.state = state;
    this.panel.show();
  }

  private async receive(raw: unknown): Promise<boolean> {
    const message = parseAbDashboardMessage(raw);
    if (message?.type !== 'selectExperiment' || !this.state) return false;
    this.state = { ...this.state, experiment: message.payload.experiment };
    await this.panel.refresh();
    return true;
  }
}
