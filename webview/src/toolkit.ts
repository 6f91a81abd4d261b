/**
 * The only module that knows the UI toolkit. Panels ask it for controls; swapping the toolkit for
 * another web-component library means changing this file alone.
 */
import { provideVSCodeDesignSystem, vsCodeBadge, vsCodeButton, vsCodeDivider, vsCodeTag } from '@vscode/webview-ui-toolkit';

let registered = false;

export function registerToolkit(): void {
  if (registered) return;
  provideVSCodeDesignSystem().register(vsCodeButton(), vsCodeBadge(), vsCodeDivider(), vsCodeTag());
  registered = true;
}

export function button(label: string, onClick: () => void, options: { secondary?: boolean; testId?: string } = {}): HTMLElement {
  const el = document.createElement('vscode-button');
  el.textContent = label;
  if (options.secondary) el.setAttribute('appearance', 'secondary');
  if (options.testId) el.dataset.testid = options.testId;
  el.addEventListener('click', onClick);
  return el;
}

export function badge(text: string): HTMLElement {
  const el = document.createElement('vscode-badge');
  el.textContent = text;
  return el;
}

export function tag(text: string): HTMLElement {
  const el = document.createElement('vscode-tag');
  el.textContent = text;
  return el;
}

export function divider(): HTMLElement {
  return document.createElement('vscode-divider');
}
