import { Requests, type CompareData } from '../../../server/src/contract';
import type { Ctx } from '../ctx';
import { WebviewPanelHost } from './shell';

/** The run comparison panel: params and metrics of the selected runs side by side. */
export class RunComparison {
  private host: WebviewPanelHost<CompareData> | undefined;
  private runIds: string[] = [];

  constructor(private readonly ctx: Ctx) {}

  show(runIds: string[]): void {
    this.runIds = runIds;
    if (this.host) {
      this.host.reveal();
      void this.host.refresh();
      return;
    }
    this.host = new WebviewPanelHost<CompareData>(this.ctx, {
      viewType: 'mlops.compareRuns',
      title: 'Compare Runs',
      script: 'compare',
      loadData: async () => ({ runs: await this.ctx.request(Requests.runs, { runIds: this.runIds }) }),
    });
    this.host.onDidDispose(() => (this.host = undefined));
  }
}
