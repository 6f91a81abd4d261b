/**
 * Vega in Node: compile a Vega-Lite spec and render it to SVG with no canvas, the way the webview
 * evaluates expressions (parsed to an AST and interpreted, never compiled to functions).
 *
 * vega and vega-lite are ES modules (vega-canvas has a top-level await), so they are loaded with
 * import() from the path `require` resolves (bundles are CommonJS; ESM resolution ignores NODE_PATH).
 */
import { pathToFileURL } from 'node:url';
import type { TopLevelSpec } from 'vega-lite';

type Vega = typeof import('vega');
type VegaLite = typeof import('vega-lite');
type Interpreter = typeof import('vega-interpreter');

export interface VegaModules {
  vega: Vega;
  vegaLite: VegaLite;
  interpreter: Interpreter;
}

let loading: Promise<VegaModules> | undefined;

export function loadVega(): Promise<VegaModules> {
  return (loading ??= (async () => {
    const load = async <T>(name: string): Promise<T> => (await import(pathToFileURL(require.resolve(name)).href)) as T;
    const [vega, vegaLite, interpreter] = await Promise.all([load<Vega>('vega'), load<VegaLite>('vega-lite'), load<Interpreter>('vega-interpreter')]);
    return { vega, vegaLite, interpreter };
  })());
}

export interface RenderTimes {
  compileMs: number;
  renderMs: number;
}

/** Vega-Lite → Vega → SVG text; `times` receives how long compiling and rendering took, `warnings` what Vega warned of. */
export async function renderSvg(spec: TopLevelSpec, times?: RenderTimes, warnings?: string[]): Promise<string> {
  const { vega, vegaLite, interpreter } = await loadVega();
  const t0 = performance.now();
  const compiled = vegaLite.compile(spec).spec;
  const t1 = performance.now();
  const view = new vega.View(vega.parse(compiled, undefined, { ast: true }), { renderer: 'none', expr: interpreter.expressionInterpreter });
  if (warnings) {
    const logger = vega.logger(vega.Warn);
    logger.warn = (...args: readonly unknown[]) => {
      warnings.push(args.map(String).join(' '));
      return logger;
    };
    view.logger(logger);
  }
  const svg = await view.toSVG();
  view.finalize();
  if (times) {
    times.compileMs = t1 - t0;
    times.renderMs = performance.now() - t1;
  }
  return svg;
}
