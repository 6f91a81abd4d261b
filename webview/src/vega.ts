/**
 * The only webview module that knows vega and vega-embed. Expressions are parsed to an AST and
 * run by vega-interpreter, never compiled with `new Function`: the panels' Content-Security-Policy
 * has no 'unsafe-eval'. vega-embed's and vega-tooltip's injected <style> elements are turned off
 * (the CSP allows only styles with the page's nonce); shell.css styles the tooltip instead.
 */
import * as vega from 'vega';
import embed, { type Result } from 'vega-embed';
import { expressionInterpreter } from 'vega-interpreter';
import { compile, type TopLevelSpec } from 'vega-lite';

export interface ChartView {
  finalize(): void;
}

/** Draw a Vega-Lite spec into `el` (canvas), replacing what was there. */
export async function renderChart(el: HTMLElement, spec: TopLevelSpec): Promise<ChartView> {
  const result: Result = await embed(el, spec, {
    mode: 'vega-lite',
    renderer: 'canvas',
    actions: false,
    ast: true,
    expr: expressionInterpreter,
    defaultStyle: false,
    tooltip: { disableDefaultStyle: true, theme: 'custom' },
  });
  return { finalize: () => result.finalize() };
}

/** Render a spec off screen and return it as SVG text or a PNG data URL (`scale` × the size). */
export async function exportChart(spec: TopLevelSpec, format: 'svg' | 'png', scale = 2): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec, undefined, { ast: true }), { renderer: 'none', expr: expressionInterpreter });
  try {
    return format === 'svg' ? await view.toSVG() : await view.toImageURL('png', scale);
  } finally {
    view.finalize();
  }
}
