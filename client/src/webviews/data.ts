import * as vscode from 'vscode';
import { parseDataPanelState, Requests, type DataPanelData, type DataPanelState } from '../../../server/src/contract';
import type { Ctx } from '../ctx';
import { SinglePanel } from './single-panel';

export const DATA_VIEW_TYPE = 'mlops.dataValidation';

/**
 * The Validate Data panel: a manifest's data sets checked against their files by the server (the
 * same core as `mlops validate`), one report per data set with histograms drawn in the webview.
 */
export class DataValidationPanel {
  private readonly panel: SinglePanel<DataPanelData>;
  private state: DataPanelState = { manifest: null };

  constructor(private readonly ctx: Ctx) {
    this.panel = new SinglePanel<DataPanelData>(ctx, {
      viewType: DATA_VIEW_TYPE,
      title: 'Data Validation',
      script: 'data',
      loadData: () => this.load(),
      restore: (state) => {
        const restored = parseDataPanelState(state);
        if (restored) this.state = restored;
        return restored !== undefined;
      },
    });
  }

  show(manifest?: string): void {
    this.state = { manifest: manifest ?? this.state.manifest };
    this.panel.show();
  }

  private async load(): Promise<DataPanelData> {
    const data = await vscode.window.withProgress({ location: { viewId: 'mlops.models' }, title: 'Checking the data sets' }, () =>
      this.ctx.request(Requests.validateData, { manifest: this.state.manifest ?? undefined }),
    );
    this.state = { manifest: data.manifest };
    return data;
  }
}

/** MLOps: Validate Data — on the active mlops.yaml when one is open, else the workspace's first with data sets. */
export function registerDataValidation(ctx: Ctx, panel: DataValidationPanel): void {
  ctx.pushDisposable(
    vscode.commands.registerCommand('mlops.validateData', (uri?: vscode.Uri) => {
      const active = vscode.window.activeTextEditor?.document.uri;
      const target = uri ?? (active && /[\\/]mlops\.ya?ml$/.test(active.fsPath) ? active : undefined);
      panel.show(target?.fsPath);
    }),
  );
}
