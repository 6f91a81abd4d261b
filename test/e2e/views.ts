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

/**
 * Selects runs in the Experiments view: clicks the first, then the others with `modifier` (Shift for
 * a range), until the extension knows that `count` runs are selected (the view's title says so). A
 * command run from the palette acts on what the extension knows, and a selection made while the
 * view refreshes (the index is still filling at startup) can reach the workbench but not the
 * extension: then it is made again.
 */
export async function selectRuns(wb: Workbench, names: string[], count = names.length, modifier: 'Control' | 'Shift' = 'Control'): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    await row(wb, 'Experiments', names[0]).click();
    for (const name of names.slice(1)) await row(wb, 'Experiments', name).click({ modifiers: [modifier] });
    try {
      await wb.waitForText(pane(wb, 'Experiments').locator('.pane-header'), `${count} runs selected`, 5_000);
      return;
    } catch (err) {
      if (attempt === 3) throw err;
      wb.noteRetry(`selecting ${count} runs`, attempt, err);
    }
  }
}

export async function expand(rowLocator: ReturnType<typeof row>): Promise<void> {
  if ((await rowLocator.getAttribute('aria-expanded')) !== 'true') await rowLocator.click();
}
