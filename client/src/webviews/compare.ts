import { Notifications, parseCompareMessage, parseComparisonOptions, Requests, type CompareData, type ComparisonOptions } from '../../../server/src/contract';
import type { Ctx } from '../ctx';
import { SinglePanel } from './single-panel';

export const COMPARE_VIEW_TYPE = 'mlops.compareRuns';

const NO_CHOICES: Omit<ComparisonOptions, 'runIds'> = { columns: null, sort: null, best: null, parallelMetric: null, scatterX: null, scatterY: null };

/**
 * The run comparison panel: a table of the params and metrics of the chosen runs with the best run
 * marked, parallel coordinates and a scatter. The server computes the table and builds the specs;
 * the webview draws them and keeps the user's choices in its state, so the panel comes back as it
 * was after a restart (webview serializer). It follows live runs: a change of the Experiments tree
 * re-requests the data.
 */
export class RunComparison {
  private readonly panel: SinglePanel<CompareData>;
  private options: ComparisonOptions = { runIds: [], ...NO_CHOICES };

  constructor(private readonly ctx: Ctx) {
    this.panel = new SinglePanel<CompareData>(ctx, {
      viewType: COMPARE_VIEW_TYPE,
      title: 'Compare Runs',
      script: 'compare',
      loadData: () => this.load(),
      receive: (raw) => this.receive(raw),
      restore: (state) => {
        this.options = parseComparisonOptions(state) ?? this.options;
        return true;
      },
    });
    ctx.onNotification(Notifications.treeChanged, ({ view }) => {
      if (view === 'experiments') this.panel.refreshSoon();
    });
  }

  /** Compare these runs (keeping the chosen columns, best-run metric and axes). */
  show(runIds: string[]): void {
    this.options = { ...this.options, runIds };
    this.panel.show();
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
      await this.panel.refresh();
    }
    return true;
  }
}
