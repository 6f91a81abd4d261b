/**
 * The focused element, while this webview has the focus. A redraw puts the focus back on it, but
 * must not take the focus from the rest of the editor (an open quick input closes when it loses it).
 */
export function focusedElement(): HTMLElement | undefined {
  return document.hasFocus() && document.activeElement instanceof HTMLElement ? document.activeElement : undefined;
}
