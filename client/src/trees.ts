import * as vscode from 'vscode';
import { Notifications, Requests, type TreeNode, type TreeViewId } from '../../server/src/contract';
import type { Ctx } from './ctx';

/**
 * A sidebar tree whose every node comes from the server. When the server has nothing to show the
 * provider returns no children, and VS Code shows the view's welcome content (package.json
 * `viewsWelcome`) with the next step.
 */
class ServerTreeProvider implements vscode.TreeDataProvider<TreeNode> {
  private readonly changed = new vscode.EventEmitter<TreeNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;

  constructor(
    private readonly ctx: Ctx,
    private readonly view: TreeViewId,
  ) {}

  refresh(): void {
    this.changed.fire(undefined);
  }

  async getChildren(parent?: TreeNode): Promise<TreeNode[]> {
    try {
      return await this.ctx.request(Requests.treeChildren, { view: this.view, parentId: parent?.id ?? null });
    } catch (error) {
      // Not running yet: stay empty; the status notification refreshes the view when it is.
      this.ctx.output.debug(`${this.view} view: ${error instanceof Error ? error.message : String(error)}`);
      return [];
    }
  }

  getTreeItem(node: TreeNode): vscode.TreeItem {
    const item = new vscode.TreeItem(node.label, node.hasChildren ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
    item.id = node.id;
    item.description = node.description;
    item.tooltip = node.tooltip ? new vscode.MarkdownString(node.tooltip) : undefined;
    item.iconPath = node.icon ? new vscode.ThemeIcon(node.icon) : undefined;
    item.contextValue = node.contextValue;
    return item;
  }

  dispose(): void {
    this.changed.dispose();
  }
}

export const TREE_VIEWS: Record<TreeViewId, string> = {
  experiments: 'mlops.experiments',
  models: 'mlops.models',
  serving: 'mlops.serving',
};

export function registerTrees(ctx: Ctx): { refreshAll(): void } {
  const providers = new Map<TreeViewId, ServerTreeProvider>();
  for (const [view, id] of Object.entries(TREE_VIEWS) as [TreeViewId, string][]) {
    const provider = new ServerTreeProvider(ctx, view);
    providers.set(view, provider);
    ctx.pushDisposable(provider);
    ctx.pushDisposable(vscode.window.createTreeView(id, { treeDataProvider: provider, showCollapseAll: view === 'experiments' }));
  }
  ctx.onNotification(Notifications.treeChanged, ({ view }) => providers.get(view)?.refresh());
  ctx.pushDisposable(ctx.onServerStatus(() => providers.forEach((p) => p.refresh())));
  return { refreshAll: () => providers.forEach((p) => p.refresh()) };
}
