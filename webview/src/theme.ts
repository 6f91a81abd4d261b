import type { ChartTheme } from '../../server/src/charts/spec';

/** The editor's colours and font, read from the CSS variables VS Code sets on the page. */
export function editorTheme(): ChartTheme {
  const css = getComputedStyle(document.body);
  const v = (name: string, fallback: string) => css.getPropertyValue(name).trim() || fallback;
  return {
    foreground: v('--vscode-editor-foreground', v('--vscode-foreground', css.color)),
    background: v('--vscode-editor-background', css.backgroundColor),
    grid: v('--vscode-editorWidget-border', v('--vscode-foreground', css.color)),
    font: v('--vscode-font-family', css.fontFamily),
    fontSize: parseFloat(v('--vscode-font-size', '13')) || 13,
    highlight: v('--vscode-charts-orange', v('--vscode-focusBorder', '#e8710a')),
  };
}
