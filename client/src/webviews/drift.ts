import { parseDriftMessage, parseDriftState, Requests, type DriftPanelData, type DriftPanelState } from '../../../server/src/contract';
import type { Ctx } from '../ctx';
import { SinglePanel } from './single-panel';

export const DRIFT_VIEW_TYPE = 'mlops.driftReport';

/**
 * The drift report panel: a monitored model's reference against the prediction log's window,
 * computed by the server with the same core as `mlops drift`, drawn with Vega-Lite in the webview.
 * The model and window live in the webview's state, so the panel comes back after a restart.
 */
export class DriftReportPanel {
  private readonly panel: SinglePanel<DriftPanelData>;
  private state: DriftPanelState | undefined;

  constructor(private readonly ctx: Ctx) {
    this.panel = new SinglePanel<DriftPanelData>(ctx, {
      viewType: DRIFT_VIEW_TYPE,
      title: 'Drift Report',
      script: 'drift',
      loadData: () => this.load(),
      receive: async (raw) => {
        const message = parseDriftMessage(raw);
        if (message?.type !== 'driftWindow' || !this.state) return false;
        this.state = { ...this.state, window: message.payload.window };
        await this.panel.refresh();
        return true;
      },
      restore: (state) => {
        const restored = parseDriftState(state);
        if (restored) this.state = restored;
        return restored !== undefined;
      },
    });
  }

  show(state: DriftPanelState): void {
    this.state = state;
    this.panel.show();
  }

  private async load(): Promise<DriftPanelData> {
    const s = this.state!;
    const data = await this.ctx.request(Requests.driftReport, { manifest: s.manifest ?? undefined, model: s.model, window: s.window ?? undefined });
    // The manifest found becomes part of the state, so a restart opens the same report.
    this.state = { ...s, manifest: data.manifest };
    return data;
  }
}
