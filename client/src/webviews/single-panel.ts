import * as vscode from 'vscode';
import type { Ctx } from '../ctx';
import { WebviewPanelHost, type PanelSpec } from './shell';

/** Live changes (new runs, new predictions) re-request a panel's data at most this often. */
const LIVE_REFRESH_MS = 1_000;

export interface SinglePanelSpec<Data> extends PanelSpec<Data> {
  /**
   * A panel VS Code brings back after a restart carries the webview's state: take what it says and
   * return true, or return false to close a panel whose state is not understood.
   */
  restore(state: unknown): boolean;
  /** The panel was closed (by the user or by a newer one). */
  onClosed?(): void;
}

/**
 * One panel of a kind at a time: `show` opens it or brings it forward with fresh data, VS Code's
 * serializer brings it back after a restart, and live changes refresh it, throttled. What the
 * panel shows and the state it keeps belong to the owner, through the spec.
 */
export class SinglePanel<Data> implements vscode.Disposable {
  private host: WebviewPanelHost<Data> | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly ctx: Ctx,
    private readonly spec: SinglePanelSpec<Data>,
  ) {
    ctx.pushDisposable(
      vscode.window.registerWebviewPanelSerializer(spec.viewType, {
        deserializeWebviewPanel: async (panel, state) => {
          if (spec.restore(state)) this.open(panel);
          else panel.dispose();
        },
      }),
    );
    ctx.pushDisposable(this);
  }

  get isOpen(): boolean {
    return this.host !== undefined;
  }

  show(): void {
    if (this.host) {
      this.host.reveal();
      void this.host.refresh();
      return;
    }
    this.open();
  }

  /** Send fresh data now, if the panel is open. */
  async refresh(): Promise<void> {
    await this.host?.refresh();
  }

  /** Something the panel shows changed: refresh, at most once per LIVE_REFRESH_MS. */
  refreshSoon(): void {
    if (!this.host || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.host?.refresh();
    }, LIVE_REFRESH_MS);
  }

  private open(restored?: vscode.WebviewPanel): void {
    this.host?.dispose();
    const host = new WebviewPanelHost<Data>(this.ctx, this.spec, restored);
    this.host = host;
    host.onDidDispose(() => {
      if (this.host !== host) return;
      this.host = undefined;
      this.spec.onClosed?.();
    });
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.host?.dispose();
  }
}
