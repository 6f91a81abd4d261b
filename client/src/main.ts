import * as vscode from 'vscode';
import { registerCommands } from './commands';
import { Config } from './config';
import { Ctx } from './ctx';
import { registerTrees } from './trees';
import { Dashboard } from './webviews/dashboard';

let ctx: Ctx | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  ctx = new Ctx(context);
  context.subscriptions.push(ctx);
  const trees = registerTrees(ctx);
  const dashboard = new Dashboard(ctx);
  registerCommands(ctx, { dashboard, refreshTrees: trees.refreshAll });
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
