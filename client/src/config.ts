import * as vscode from 'vscode';

/** The one typed view of the extension's settings (documented in package.json). */
export class Config {
  private get section(): vscode.WorkspaceConfiguration {
    return vscode.workspace.getConfiguration('mlops');
  }

  /** Path of the Node executable to run the language server on; empty means "resolve it". */
  get serverRuntime(): string {
    return this.section.get<string>('server.runtime', '').trim();
  }

  get traceServer(): 'off' | 'messages' | 'verbose' {
    return this.section.get<'off' | 'messages' | 'verbose'>('trace.server', 'off');
  }

  /** Metric shown next to each run in the Experiments view; empty picks a usual one (accuracy, f1, …). */
  get keyMetric(): string {
    return this.section.get<string>('experiments.keyMetric', '').trim();
  }

  get showDeleted(): boolean {
    return this.section.get<boolean>('experiments.showDeleted', false);
  }

  /** Promotion and rollback set the aliases they move on the MLflow registered model of the same name too. */
  get promotionMlflowAliases(): boolean {
    return this.section.get<boolean>('promotion.mlflowAliases', false);
  }

  /** Offer a model's retrain command when monitoring finds what its `retrain.on` lists. */
  get retrainPrompts(): boolean {
    return this.section.get<boolean>('monitoring.retrainPrompts', true);
  }

  /** Seconds between reads of the MLflow tracking servers listed under `tracking:`. */
  get trackingPollSeconds(): number {
    const seconds = this.section.get<number>('tracking.pollInterval', 30);
    return Number.isFinite(seconds) ? Math.max(5, seconds) : 30;
  }

  /** Settings that only take effect when the server restarts. */
  static affectsServer(event: vscode.ConfigurationChangeEvent): boolean {
    return event.affectsConfiguration('mlops.server.runtime');
  }
}
