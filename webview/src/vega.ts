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
import { chartFailure } from './dom';

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

/**
 * The charts of a page, drawn one after another into their elements. A newer draw (the page was
 * rendered again) finalizes what was drawn and stops the older one; a chart that fails to draw
 * says why in its place.
 */
export class ChartSet {
  private views: ChartView[] = [];
  private ticket = 0;

  async draw(items: { el: HTMLElement; spec: TopLevelSpec | undefined }[]): Promise<void> {
    const ticket = ++this.ticket;
    for (const v of this.views.splice(0)) v.finalize();
    for (const { el, spec } of items) {
      if (!spec) continue;
      try {
        const view = await renderChart(el, spec);
        if (ticket !== this.ticket) {
          view.finalize();
          return;
        }
        this.views.push(view);
      } catch (e) {
        el.replaceChildren(chartFailure(e));
      }
    }
  }
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
