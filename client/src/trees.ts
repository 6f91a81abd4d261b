import * as vscode from 'vscode';
import { Notifications, Requests, type TreeNode, type TreeViewId } from '../../server/src/contract';
import type { Ctx } from './ctx';

/**
 * A sidebar tree whose every node comes from the server. When the server has nothing to show the
 * provider returns no children, and VS Code shows the view's welcome content (package.json
 * `viewsWelcome`) with the next step.
 */
export class ServerTreeProvider implements vscode.TreeDataProvider<TreeNode> {
  private readonly changed = new vscode.EventEmitter<TreeNode | TreeNode[] | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private fetching = 0;
  private lastFetch = 0;
  private firedAt = 0;
  private pending: NodeJS.Timeout | undefined;
  /**
   * One object per row id, updated in place: VS Code knows a row by the object it was given, so a
   * row refreshed by object keeps its place (and its children's) instead of being forgotten.
   */
  private readonly rows = new Map<string, TreeNode>();
  /** The ids of the top rows as last given to VS Code, in order. */
  private rootIds: string[] | undefined;

  constructor(
    private readonly ctx: Ctx,
    readonly view: TreeViewId,
  ) {}

  /**
   * Rebuilds the view once the workbench has finished fetching the last rebuild. A rebuild from the
   * root makes VS Code forget every row at once; a row the workbench was still asking children of
   * (an expanded experiment, a model) would then be unknown — "No tree item with id …". So when the
   * top rows are the same ones, only they are refreshed (by object), which keeps every row known;
   * only a change of the top rows rebuilds from the root. Live runs and health checks ask for many
   * refreshes in a row: they are coalesced.
   */
  refresh(): void {
    if (this.pending) return;
    const settle = () => {
      const now = Date.now();
      // VS Code fetches a rebuild's rows a little after it is asked for: leave it that time too.
      const wait = this.fetching > 0 ? REFRESH_QUIET_MS : Math.max(REFRESH_QUIET_MS - (now - this.lastFetch), REFRESH_GAP_MS - (now - this.firedAt));
      if (wait > 0) {
        this.pending = setTimeout(settle, wait);
        return;
      }
      this.firedAt = now;
      void this.fire().finally(() => (this.pending = undefined));
    };
    this.pending = setTimeout(settle, 0);
  }

  private async fire(): Promise<void> {
    const known = this.rootIds;
    const roots = known ? await this.fetch(null).catch(() => undefined) : undefined;
    if (!known || !roots || roots.length !== known.length || roots.some((r, i) => r.id !== known[i])) {
      this.rootIds = undefined;
      this.changed.fire(undefined);
      return;
    }
    this.changed.fire(roots.map((r) => this.canonical(r)));
  }

  private fetch(parentId: string | null): Promise<TreeNode[]> {
    return this.ctx.request(Requests.treeChildren, { view: this.view, parentId });
  }

  /** The row object VS Code already has for this id, brought up to date; or this one, remembered. */
  private canonical(fresh: TreeNode): TreeNode {
    const row = this.rows.get(fresh.id);
    if (!row) {
      this.rows.set(fresh.id, fresh);
      return fresh;
    }
    for (const key of Object.keys(row) as (keyof TreeNode)[]) if (!(key in fresh)) delete row[key];
    Object.assign(row, fresh);
    return row;
  }

  /** Rows under a row (or the top rows), as VS Code knows them, for commands that walk the tree; forgets nothing. */
  async rowsUnder(parent?: TreeNode): Promise<TreeNode[]> {
    return (await this.fetch(parent?.id ?? null)).map((n) => this.canonical(n));
  }

  async getChildren(parent?: TreeNode): Promise<TreeNode[]> {
    this.fetching++;
    try {
      const fresh = await this.fetch(parent?.id ?? null);
      // VS Code asks for the top rows only when it has forgotten every row: start again with these.
      if (!parent) this.rows.clear();
      const children = fresh.map((n) => this.canonical(n));
      if (!parent) this.rootIds = children.map((n) => n.id);
      return children;
    } catch (error) {
      // Not running yet: stay empty; the status notification refreshes the view when it is.
      this.ctx.output.debug(`${this.view} view: ${error instanceof Error ? error.message : String(error)}`);
      return [];
    } finally {
      this.fetching--;
      this.lastFetch = Date.now();
    }
  }

  async getParent(node: TreeNode): Promise<TreeNode | undefined> {
    return (await this.ctx.request(Requests.treeParent, { view: this.view, id: node.id })) ?? undefined;
  }

  getTreeItem(node: TreeNode): vscode.TreeItem {
    const state = !node.hasChildren
      ? vscode.TreeItemCollapsibleState.None
      : node.expanded
        ? vscode.TreeItemCollapsibleState.Expanded
        : vscode.TreeItemCollapsibleState.Collapsed;
    const item = new vscode.TreeItem(node.label, state);
    item.id = node.id;
    item.description = node.description;
    if (node.tooltip) {
      const tooltip = new vscode.MarkdownString(node.tooltip, true);
      tooltip.supportThemeIcons = true;
      item.tooltip = tooltip;
    }
    item.iconPath = node.icon ? new vscode.ThemeIcon(node.icon) : undefined;
    item.contextValue = node.contextValue;
    item.command = node.command;
    if (node.resourcePath) item.resourceUri = vscode.Uri.file(node.resourcePath);
    return item;
  }

  dispose(): void {
    clearTimeout(this.pending);
    this.changed.dispose();
  }
}

/** How long the workbench must have stopped asking for rows before the view is rebuilt again. */
const REFRESH_QUIET_MS = 300;
/** At least this long between two rebuilds (VS Code itself waits 200 ms before it fetches). */
const REFRESH_GAP_MS = 750;

export const TREE_VIEWS: Record<TreeViewId, string> = {
  experiments: 'mlops.experiments',
  models: 'mlops.models',
  serving: 'mlops.serving',
};

export interface Trees {
  refreshAll(): void;
  /** What is selected in the Experiments view, as of the last selection change. */
  selectedExperiments(): readonly TreeNode[];
  experiments: vscode.TreeView<TreeNode>;
  experimentsProvider: ServerTreeProvider;
  models: vscode.TreeView<TreeNode>;
  serving: vscode.TreeView<TreeNode>;
}

export function registerTrees(ctx: Ctx): Trees {
  const providers = new Map<TreeViewId, ServerTreeProvider>();
  const views = new Map<TreeViewId, vscode.TreeView<TreeNode>>();
  for (const [view, id] of Object.entries(TREE_VIEWS) as [TreeViewId, string][]) {
    const provider = new ServerTreeProvider(ctx, view);
    providers.set(view, provider);
    const treeView = vscode.window.createTreeView(id, { treeDataProvider: provider, showCollapseAll: view !== 'serving', canSelectMany: view === 'experiments' });
    views.set(view, treeView);
    ctx.pushDisposable(provider);
    ctx.pushDisposable(treeView);
  }
  ctx.onNotification(Notifications.treeChanged, ({ view }) => providers.get(view)?.refresh());
  ctx.pushDisposable(ctx.onServerStatus(() => providers.forEach((p) => p.refresh())));
  const experiments = views.get('experiments')!;
  // Kept from the selection events: while the view refreshes (live runs refresh it every second),
  // TreeView.selection is empty until the rows are fetched again, though nothing was deselected.
  let selection: readonly TreeNode[] = [];
  ctx.pushDisposable(
    experiments.onDidChangeSelection((e) => {
      selection = e.selection;
      // Compare Runs and Plot Metrics act on the selected runs: the view's title says how many there are.
      const runs = selection.filter((n) => n.runId).length;
      experiments.description = runs > 1 ? `${runs} runs selected` : undefined;
    }),
  );
  return {
    selectedExperiments: () => selection,
    refreshAll: () => providers.forEach((p) => p.refresh()),
    experiments,
    experimentsProvider: providers.get('experiments')!,
    models: views.get('models')!,
    serving: views.get('serving')!,
  };
}
