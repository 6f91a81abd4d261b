import * as vscode from 'vscode';
import { Notifications, type IndexProgressEvent } from '../../server/src/contract';
import type { Ctx } from './ctx';

/**
 * Shows the server's long indexing work on the Experiments view (a progress bar there and on the
 * MLOps icon), not as a notification over the editor.
 */
export function registerIndexProgress(ctx: Ctx): void {
  let current: { report(e: IndexProgressEvent): void; end(): void } | undefined;
  ctx.onNotification(Notifications.indexProgress, (event) => {
    if (event.state === 'begin') {
      current?.end();
      current = begin(event);
    } else if (event.state === 'report') {
      current?.report(event);
    } else {
      current?.end();
      current = undefined;
    }
  });
}

function begin(first: IndexProgressEvent): { report(e: IndexProgressEvent): void; end(): void } {
  let finish: () => void = () => {};
  let progress: vscode.Progress<{ message?: string; increment?: number }> | undefined;
  let lastPercent = 0;
  const report = (e: IndexProgressEvent) => {
    const percent = e.total ? Math.floor(((e.done ?? 0) / e.total) * 100) : lastPercent;
    progress?.report({ message: e.message, increment: Math.max(0, percent - lastPercent) });
    lastPercent = percent;
  };
  void vscode.window.withProgress({ location: { viewId: 'mlops.experiments' }, title: 'MLOps' }, (p) => {
    progress = p;
    report(first);
    return new Promise<void>((resolve) => (finish = resolve));
  });
  return { report, end: () => finish() };
}
