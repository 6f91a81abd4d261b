import * as vscode from 'vscode';
import type { Ctx } from './ctx';

/** Where the bearer token of MLflow tracking servers is kept: the editor's secret storage, nowhere else. */
const SECRET_KEY = 'mlops.mlflowTrackingToken';

/**
 * The environment the language server starts with: MLFLOW_TRACKING_TOKEN from secret storage, as
 * MLflow's own client reads it. Not sent as an LSP message, since message traces go to the log.
 */
export async function trackingTokenEnv(secrets: vscode.SecretStorage): Promise<Record<string, string>> {
  const token = await secrets.get(SECRET_KEY);
  return token ? { MLFLOW_TRACKING_TOKEN: token } : {};
}

/** `MLOps: Set MLflow Tracking Token`: store (or, left empty, remove) the token, then restart the server with it. */
export async function setTrackingToken(ctx: Ctx): Promise<void> {
  const had = Boolean(await ctx.extension.secrets.get(SECRET_KEY));
  const input = await vscode.window.showInputBox({
    title: 'MLflow Tracking Token',
    prompt: `Bearer token for the MLflow tracking servers under tracking: in mlops.yaml, kept in VS Code's secret storage.${had ? ' Leave empty to remove the stored one.' : ''}`,
    password: true,
    ignoreFocusOut: true,
    validateInput: (value) => (/\s/.test(value.trim()) ? 'A token has no spaces.' : undefined),
  });
  if (input === undefined) return;
  const token = input.trim();
  if (token) await ctx.extension.secrets.store(SECRET_KEY, token);
  else await ctx.extension.secrets.delete(SECRET_KEY);
  await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'MLOps: reading tracking servers with the new token…' }, () =>
    ctx.restart(),
  );
  void vscode.window.showInformationMessage(token ? 'MLOps: tracking token stored in the secret storage.' : 'MLOps: tracking token removed.');
}
