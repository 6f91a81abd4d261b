import * as vscode from 'vscode';
import { Notifications, parseCompareMessage, parseComparisonOptions, Requests, type CompareData, type ComparisonOptions } from '../../../server/src/contract';
import type { Ctx } from '../ctx';
import { WebviewPanelHost } from './shell';

export const COMPARE_VIEW_TYPE = 'mlops.compareRuns';
/** Re-requests while runs log are spaced by at least this much. */
const LIVE_REFRESH_MS = 1_000;

const NO_CHOICES: Omit<ComparisonOptions, 'runIds'> = { columns: null, sort: null, best: null, parallelMetric: null, scatterX: null, scatterY: null };

/**
 * The run comparison panel: a table of the params and metrics of the chosen runs with the best run
 * marked, parallel coordinates and a scatter. The server computes the table and builds the specs;
 * the webview draws them and keeps the user's choices in its state, so the panel comes back as it
 * was after a restart (webview serializer). It follows live runs: a change of the Experiments tree
 * re-requests the data.
 */
export class RunComparison implements vscode.Disposable {
  private host: WebviewPanelHost<CompareData> | undefined;
  private options: ComparisonOptions = { runIds: [], ...NO_CHOICES };
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly ctx: Ctx) {
    ctx.pushDisposable(
      vscode.window.registerWebviewPanelSerializer(COMPARE_VIEW_TYPE, {
        deserializeWebviewPanel: async (panel, state) => this.open(panel, parseComparisonOptions(state)),
      }),
    );
    ctx.onNotification(Notifications.treeChanged, ({ view }) => {
      if (view === 'experiments') this.scheduleRefresh();
    });
    ctx.pushDisposable(this);
  }

  /** Compare these runs (keeping the chosen columns, best-run metric and axes). */
  show(runIds: string[]): void {
    this.options = { ...this.options, runIds };
    if (this.host) {
      this.host.reveal();
      void this.host.refresh();
      return;
    }
    this.open();
  }

  private open(restored?: vscode.WebviewPanel, options?: ComparisonOptions): void {
    if (options) this.options = options;
    this.host?.dispose();
    this.host = new WebviewPanelHost<CompareData>(
      this.ctx,
      {
        viewType: COMPARE_VIEW_TYPE,
        title: 'Compare Runs',
        script: 'compare',
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

  private async load(): Promise<CompareData> {
    const o = this.options;
    const comparison = await this.ctx.request(Requests.comparison, {
      runIds: o.runIds,
      best: o.best ?? undefined,
      parallelMetric: o.parallelMetric ?? undefined,
      scatterX: o.scatterX ?? undefined,
      scatterY: o.scatterY ?? undefined,
    });
    return { options: o, comparison };
  }

  private async receive(raw: unknown): Promise<boolean> {
    const message = parseCompareMessage(raw);
    if (message?.type !== 'comparisonOptions') return false;
    const before = this.options;
    this.options = message.payload;
    // Columns and sorting are the webview's alone; everything else changes what the server computes.
    const o = this.options;
    if (JSON.stringify([before.runIds, before.best, before.parallelMetric, before.scatterX, before.scatterY]) !== JSON.stringify([o.runIds, o.best, o.parallelMetric, o.scatterX, o.scatterY])) {
      await this.host?.refresh();
    }
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
