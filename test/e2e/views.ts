// Shared by the scenarios: the MLOps sidebar's views and rows, and a workspace with a real MLflow store.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ROOT, copyWorkspace, type Workbench } from './harness';

const EXAMPLE = process.env.MLOPS_EXAMPLE ?? path.join(ROOT, 'examples', 'churn');
const MLFLOW_STORE = path.resolve(ROOT, '..', 'shared', 'fixtures', 'mlruns', 'mlflow-2.4-registry', 'mlruns');

/** The example plus a real MLflow 2.4 store with a model registry, listed under `tracking:`. */
export function trackingWorkspace(name: string): string {
  const workspace = copyWorkspace(EXAMPLE, name);
  fs.cpSync(MLFLOW_STORE, path.join(workspace, 'mlruns'), { recursive: true });
  fs.mkdirSync(path.join(workspace, 'runs'), { recursive: true });
  const manifest = path.join(workspace, 'mlops.yaml');
  fs.writeFileSync(manifest, fs.readFileSync(manifest, 'utf8').replace(/^tracking: .*$/m, 'tracking: [mlruns/, runs/]'));
  return workspace;
}

/** A view of the sidebar by its title ("Experiments", "Models", "Serving"). */
export function pane(wb: Workbench, title: string) {
  const header = wb.page.locator('.pane-header', { hasText: title });
  return wb.page.locator('.part.sidebar .pane').filter({ has: header });
}

/** The first row of a view whose text matches. */
export function row(wb: Workbench, view: string, text: string | RegExp) {
  return pane(wb, view).locator('.monaco-list-row', { hasText: text }).first();
}

/** The rows of a view that are selected. */
export function selectedRows(wb: Workbench, view: string) {
  return pane(wb, view).locator('.monaco-list-row[aria-selected="true"]');
}

export async function expand(rowLocator: ReturnType<typeof row>): Promise<void> {
  if ((await rowLocator.getAttribute('aria-expanded')) !== 'true') await rowLocator.click();
}
