import * as vscode from 'vscode';
import { registerCommands } from './commands';
import { Config } from './config';
import { Ctx } from './ctx';
import { registerIndexProgress } from './progress';
import { registerAutoRollbackWarnings } from './promotion';
import { registerServing } from './serving';
import { registerTrees } from './trees';
import { AbDashboard } from './webviews/ab';
import { MetricCharts } from './webviews/charts';
import { RunComparison } from './webviews/compare';
import { Dashboard } from './webviews/dashboard';
import { DriftReportPanel } from './webviews/drift';
import { registerMonitoring } from './monitoring';
import { registerPipeline } from './pipeline';
import { DataValidationPanel, registerDataValidation } from './webviews/data';
import { registerScoring } from './scoring';

let ctx: Ctx | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  ctx = new Ctx(context);
  context.subscriptions.push(ctx);
  const trees = registerTrees(ctx);
  ctx.setExperimentsMessage = (message) => (trees.experiments.message = message);
  registerIndexProgress(ctx);
  registerServing(ctx, trees.serving);
  registerScoring(ctx);
  registerPipeline(ctx);
  registerAutoRollbackWarnings(ctx);
  registerCommands(ctx, { dashboard: new Dashboard(ctx), compare: new RunComparison(ctx), charts: new MetricCharts(ctx), ab: new AbDashboard(ctx), trees });
  registerMonitoring(ctx, new DriftReportPanel(ctx), trees.models);
  registerDataValidation(ctx, new DataValidationPanel(ctx));
  const current = ctx;
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (Config.affectsServer(event)) void current.restart();
    }),
  );
  await ctx.start();
}

export async function deactivate(): Promise<void> {
  await ctx?.stop();
  ctx = undefined;
}
