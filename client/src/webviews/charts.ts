import * as vscode from 'vscode';
import { Notifications, parseChartOptions, parseChartsMessage, Requests, type ChartData, type ChartOptions } from '../../../server/src/contract';
import type { Ctx } from '../ctx';
import { SinglePanel } from './single-panel';

export const CHARTS_VIEW_TYPE = 'mlops.charts';

/**
 * The metric charts panel: histories of the chosen runs, downsampled by the server and drawn with
 * Vega-Lite in the webview. Options live in the webview's state, so the panel comes back as it was
 * when hidden and reopened or when VS Code restarts (webview serializer). It follows live runs: a
 * change of the Experiments tree re-requests the data.
 */
export class MetricCharts {
  private readonly panel: SinglePanel<ChartData>;
  private options: ChartOptions = { runIds: [], keys: [], x: 'step', smoothing: 0, logScale: false };

  constructor(private readonly ctx: Ctx) {
    this.panel = new SinglePanel<ChartData>(ctx, {
      viewType: CHARTS_VIEW_TYPE,
      title: 'Metric Charts',
      script: 'charts',
      loadData: () => this.load(),
      receive: (raw) => this.receive(raw),
      restore: (state) => {
        this.options = parseChartOptions(state) ?? this.options;
        return true;
      },
    });
    ctx.onNotification(Notifications.treeChanged, ({ view }) => {
      if (view === 'experiments') this.panel.refreshSoon();
    });
  }

  /** Plot these runs (keeping the chosen x axis, smoothing and scale). */
  show(runIds: string[]): void {
    this.options = { ...this.options, runIds, keys: sameRuns(this.options.runIds, runIds) ? this.options.keys : [] };
    this.panel.show();
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
        await this.panel.refresh();
      }
      return true;
    }
    if (message?.type === 'export') {
      await saveExport(message.payload.format, message.payload.data);
      return true;
    }
    return false;
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
