import { ChartXAxes, parseChartOptions, type ChartData, type ChartOptions, type ChartXAxis, type HostToWebview } from '../../server/src/contract';
import { metricHistorySpec, type SpecOptions } from '../../server/src/charts/spec';
import { connect, getState, post, setState } from './host';
import { editorTheme } from './theme';
import { button, checkbox, dropdown, registerToolkit, slider } from './toolkit';
import { exportChart, renderChart, type ChartView } from './vega';
import { focusedElement } from './focus';
import { paragraph } from './dom';

registerToolkit();
const root = document.getElementById('root') as HTMLElement;
const X_LABELS: Record<ChartXAxis, string> = { step: 'Step', wall: 'Wall time', relative: 'Relative time' };

let data: ChartData | undefined;
let error: string | undefined;
/** What the user chose; restored from the panel's state before the host's first answer arrives. */
let options: ChartOptions | undefined = parseChartOptions(getState());
let chart: ChartView | undefined;
let chartEl: HTMLElement | undefined;
let drawn = 0;
let controlsEl: HTMLElement | undefined;
let controlsSignature = '';

function changeOptions(change: Partial<ChartOptions>, reload: boolean): void {
  if (!options) return;
  options = { ...options, ...change };
  // The controls already show the change: new data need not rebuild them.
  if (data) controlsSignature = JSON.stringify([data.history.availableKeys, options]);
  setState(options);
  post({ type: 'chartOptions', payload: options });
  if (!reload) void draw();
}

function render(): void {
  const page = document.createElement('div');
  page.dataset.testid = 'charts';
  const header = document.createElement('header');
  const title = document.createElement('h1');
  const runs = data?.history.runs.length ?? 0;
  title.textContent = data ? `Metrics of ${runs} run${runs === 1 ? '' : 's'}` : 'Metrics';
  const actions = document.createElement('div');
  actions.className = 'actions';
  actions.append(
    button('Export SVG', () => void exportAs('svg'), { secondary: true, testId: 'export-svg' }),
    button('Export PNG', () => void exportAs('png'), { secondary: true, testId: 'export-png' }),
    button('Refresh', () => post({ type: 'refresh' }), { secondary: true }),
  );
  header.append(title, actions);
  page.append(header);
  if (error) page.append(paragraph(error, 'error'));
  if (!data || !options) {
    page.append(paragraph('Loading…'));
    root.replaceChildren(page);
    return;
  }
  // Controls are kept while their content is the same, so a drag or the focus survives new data.
  const signature = JSON.stringify([data.history.availableKeys, options]);
  if (!controlsEl || controlsSignature !== signature) {
    controlsEl = controls(data, options);
    controlsSignature = signature;
  }
  page.append(controlsEl);
  if (data.history.runs.length === 0) {
    page.append(paragraph('None of the selected runs is in the index. Select runs in the Experiments view and choose Plot Metrics.'));
  } else if (data.history.keys.length === 0) {
    page.append(paragraph('The selected runs have no metrics, or none of the chosen ones.'));
  } else {
    chartEl = document.createElement('div');
    chartEl.className = 'chart';
    chartEl.tabIndex = 0;
    chartEl.dataset.testid = 'chart';
    chartEl.setAttribute('role', 'img');
    chartEl.setAttribute('aria-label', `Line charts of ${data.history.keys.join(', ')} for ${data.history.runs.map((r) => r.label).join(', ')}`);
    page.append(chartEl);
  }
  const focused = focusedElement()?.dataset.testid;
  root.replaceChildren(page);
  root.removeAttribute('aria-busy');
  if (focused) root.querySelector<HTMLElement>(`[data-testid="${CSS.escape(focused)}"]`)?.focus();
  void draw();
}

function controls(d: ChartData, o: ChartOptions): HTMLElement {
  const bar = document.createElement('div');
  bar.className = 'controls';
  bar.append(
    dropdown('X axis', ChartXAxes.map((x) => ({ value: x, label: X_LABELS[x] })), o.x, (x) => changeOptions({ x: x as ChartXAxis }, true), 'x-axis'),
    slider('Smoothing', { min: 0, max: 0.99, step: 0.01 }, o.smoothing, debounce((s: number) => changeOptions({ smoothing: s }, true), 200), 'smoothing'),
    checkbox('Log scale', o.logScale, (logScale) => changeOptions({ logScale }, false), 'log-scale'),
  );
  const keys = document.createElement('fieldset');
  keys.className = 'keys';
  const legend = document.createElement('legend');
  legend.textContent = 'Metrics';
  keys.append(legend);
  const shown = new Set(d.history.keys);
  for (const key of d.history.availableKeys) {
    keys.append(
      checkbox(key, shown.has(key), (on) => {
        const next = d.history.availableKeys.filter((k) => (k === key ? on : shown.has(k)));
        changeOptions({ keys: next }, true);
      }, `key-${key}`),
    );
  }
  bar.append(keys);
  return bar;
}

function specOptions(interactive: boolean): SpecOptions {
  const keys = data?.history.keys.length ?? 1;
  const available = Math.max(320, (root.clientWidth || 900) - 40);
  const columns = keys > 1 && available >= 1100 ? 2 : 1;
  // Room for the legend on the right of the last column.
  const width = Math.max(240, Math.floor((available - 260) / columns) - 40);
  return { logScale: options?.logScale ?? false, width, height: 260, columns, interactive, theme: editorTheme() };
}

async function draw(): Promise<void> {
  if (!data || !chartEl || data.history.keys.length === 0) return;
  const ticket = ++drawn;
  const spec = metricHistorySpec(data.history, specOptions(true));
  try {
    const next = await renderChart(chartEl, spec);
    chart?.finalize();
    chart = next;
    if (ticket !== drawn) return;
    // What the drawn chart shows, for anyone waiting on it (the e2e tests).
    chartEl.dataset.smoothing = String(data.history.smoothing);
  } catch (e) {
    error = `Could not draw the chart: ${e instanceof Error ? e.message : String(e)}`;
    chartEl.replaceChildren(paragraph(error, 'error'));
  }
}

async function exportAs(format: 'svg' | 'png'): Promise<void> {
  if (!data || data.history.keys.length === 0) return;
  try {
    post({ type: 'export', payload: { format, data: await exportChart(metricHistorySpec(data.history, specOptions(false)), format) } });
  } catch (e) {
    error = `Could not export the chart: ${e instanceof Error ? e.message : String(e)}`;
    render();
  }
}

function debounce<A extends unknown[]>(f: (...args: A) => void, ms: number): (...args: A) => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return (...args: A) => {
    clearTimeout(timer);
    timer = setTimeout(() => f(...args), ms);
  };
}

// Theme switches change the body's class; window resizes change the room for the charts.
new MutationObserver(() => void draw()).observe(document.body, { attributes: true, attributeFilter: ['class'] });
window.addEventListener('resize', debounce(() => void draw(), 150));

render();
connect<ChartData>((message: HostToWebview<ChartData>) => {
  if (message.type === 'setData') {
    data = message.payload;
    options = message.payload.options;
    error = undefined;
    setState(options);
  } else {
    error = message.payload.message;
  }
  render();
});
