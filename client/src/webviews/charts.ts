import * as vscode from 'vscode';
import { Notifications, parseChartOptions, parseChartsMessage, Requests, type ChartData, type ChartOptions } from '../../../server/src/contract';
import type { Ctx } from '../ctx';
import { WebviewPanelHost } from './shell';

export const CHARTS_VIEW_TYPE = 'mlops.charts';
/** Re-requests while runs log are spaced by at least this much. */
const LIVE_REFRESH_MS = 1_000;

/**
 * The metric charts panel: histories of the chosen runs, downsampled by the server and drawn with
 * Vega-Lite in the webview. Options live in the webview's state, so the panel comes back as it was
 * when hidden and reopened or when VS Code restarts (webview serializer). It follows live runs: a
 * change of the Experiments tree re-requests the data.
 */
export class MetricCharts implements vscode.Disposable {
  private host: WebviewPanelHost<ChartData> | undefined;
  private options: ChartOptions = { runIds: [], keys: [], x: 'step', smoothing: 0, logScale: false };
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly ctx: Ctx) {
    ctx.pushDisposable(
      vscode.window.registerWebviewPanelSerializer(CHARTS_VIEW_TYPE, {
        deserializeWebviewPanel: async (panel, state) => this.open(panel, parseChartOptions(state)),
      }),
    );
    ctx.onNotification(Notifications.treeChanged, ({ view }) => {
      if (view === 'experiments') this.scheduleRefresh();
    });
    ctx.pushDisposable(this);
  }

  /** Plot these runs (keeping the chosen x axis, smoothing and scale). */
  show(runIds: string[]): void {
    this.options = { ...this.options, runIds, keys: sameRuns(this.options.runIds, runIds) ? this.options.keys : [] };
    if (this.host) {
      this.host.reveal();
      void this.host.refresh();
      return;
    }
    this.open();
  }

  private open(restored?: vscode.WebviewPanel, options?: ChartOptions): void {
    if (options) this.options = options;
    this.host?.dispose();
    this.host = new WebviewPanelHost<ChartData>(
      this.ctx,
      {
        viewType: CHARTS_VIEW_TYPE,
        title: 'Metric Charts',
        script: 'charts',
        loadData: () => this.load(),
        receive: (raw) => this.receive(raw),
      },
      restored,
    );
    const host = this.host;
    host.onDidDispose(() => {
      if (this.host === host) this.host = undefined;
    });
  }

  private async load(): Promise<ChartData> {
    const o = this.options;
    const history = await this.ctx.request(Requests.metricHistory, { runIds: o.runIds, keys: o.keys.length > 0 ? o.keys : undefined, x: o.x, smoothing: o.smoothing });
    // The keys shown become the chosen ones, so a restart shows the same charts.
    this.options = { ...o, keys: history.keys };
    return { options: this.options, history };
  }

  private async receive(raw: unknown): Promise<boolean> {
    const message = parseChartsMessage(raw);
    if (message?.type === 'chartOptions') {
      const before = this.options;
      this.options = message.payload;
      // Log scale is drawn by the webview alone; everything else changes the data.
      if (before.x !== this.options.x || before.smoothing !== this.options.smoothing || !sameRuns(before.keys, this.options.keys) || !sameRuns(before.runIds, this.options.runIds)) {
        await this.host?.refresh();
      }
      return true;
    }
    if (message?.type === 'export') {
      await saveExport(message.payload.format, message.payload.data);
      return true;
    }
    return false;
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

function sameRuns(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

async function saveExport(format: 'svg' | 'png', data: string): Promise<void> {
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
  const name = `metrics.${format}`;
  const uri = await vscode.window.showSaveDialog({
    title: `Export chart as ${format.toUpperCase()}`,
    defaultUri: folder ? vscode.Uri.joinPath(folder, name) : undefined,
    filters: format === 'svg' ? { 'SVG image': ['svg'] } : { 'PNG image': ['png'] },
  });
  if (!uri) return;
  const bytes = format === 'svg' ? Buffer.from(data, 'utf8') : Buffer.from(data.slice(data.indexOf(',') + 1), 'base64');
  await vscode.workspace.fs.writeFile(uri, bytes);
  void vscode.window.showInformationMessage(`Chart saved to ${vscode.workspace.asRelativePath(uri)}.`);
}
