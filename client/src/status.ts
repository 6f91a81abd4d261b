import * as vscode from 'vscode';
import type { ServerStatus } from '../../server/src/contract';

type Shown = ServerStatus['state'] | 'stopped' | 'failed';

const LOOK: Record<Shown, { icon: string; label: string; background?: string }> = {
  starting: { icon: '$(loading~spin)', label: 'starting' },
  running: { icon: '$(pulse)', label: 'running' },
  degraded: { icon: '$(warning)', label: 'degraded', background: 'statusBarItem.warningBackground' },
  stopped: { icon: '$(circle-slash)', label: 'stopped' },
  failed: { icon: '$(error)', label: 'failed', background: 'statusBarItem.errorBackground' },
};

/** The status bar item that shows the language server's state; clicking it shows the output. */
export class ServerStatusItem implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('mlops.server', vscode.StatusBarAlignment.Left, 10);

  constructor() {
    this.item.name = 'MLOps Server';
    this.item.command = 'mlops.showOutput';
    this.show('starting');
    this.item.show();
  }

  show(state: Shown, status?: ServerStatus, detail?: string): void {
    const look = LOOK[state];
    // Plain running stays short; any other state is said in the item itself, not only in its tooltip.
    this.item.text = state === 'running' ? `${look.icon} MLOps` : `${look.icon} MLOps: ${look.label}`;
    this.item.backgroundColor = look.background ? new vscode.ThemeColor(look.background) : undefined;
    this.item.accessibilityInformation = { label: `MLOps server: ${look.label}` };
    const tooltip = new vscode.MarkdownString(`**MLOps server: ${look.label}**\n\n`);
    if (status) {
      tooltip.appendText(`${status.runtimeSummary}\n`);
      tooltip.appendMarkdown(`\n\`${status.nodePath}\`\n\n`);
      for (const n of status.natives) tooltip.appendMarkdown(`- ${n.ok ? '$(check)' : '$(error)'} ${n.name} ${n.version ?? n.error ?? ''}\n`);
      if (status.remedy) tooltip.appendMarkdown(`\n${status.remedy}\n`);
    }
    if (detail) tooltip.appendText(`\n${detail}\n`);
    tooltip.appendMarkdown('\n_Click to show the server log._');
    tooltip.supportThemeIcons = true;
    this.item.tooltip = tooltip;
  }

  dispose(): void {
    this.item.dispose();
  }
}
