import type { TopLevelSpec } from 'vega-lite';
import { parseComparisonOptions, type CompareData, type ComparisonColumn, type ComparisonData, type ComparisonOptions, type ComparisonValue, type HostToWebview } from '../../server/src/contract';
import { sortOrder } from '../../server/src/charts/comparison';
import { withTheme } from '../../server/src/charts/spec';
import { connect, getState, post, setState } from './host';
import { editorTheme } from './theme';
import { button, checkbox, dropdown, registerToolkit } from './toolkit';
import { renderChart, type ChartView } from './vega';
import { focusedElement } from './focus';
import { chartFailure, paragraph } from './dom';

registerToolkit();
const root = document.getElementById('root') as HTMLElement;
const KIND_LABEL: Record<ComparisonColumn['kind'], string> = { metric: 'Metrics', param: 'Params', attribute: 'Attributes' };

let data: ComparisonData | undefined;
let error: string | undefined;
/** What the user chose; restored from the panel's state before the host's first answer arrives. */
let options: ComparisonOptions | undefined = parseComparisonOptions(getState());
let tableEl: HTMLElement | undefined;
const views = new Map<string, ChartView>();
let drawn = 0;

function change(next: Partial<ComparisonOptions>, redraw: () => void): void {
  if (!options) return;
  options = { ...options, ...next };
  setState(options);
  post({ type: 'comparisonOptions', payload: options });
  redraw();
}

function column(id: string): ComparisonColumn | undefined {
  return data?.columns.find((c) => c.id === id);
}

function shownColumns(): ComparisonColumn[] {
  if (!data) return [];
  const ids = options?.columns ?? data.defaultColumns;
  return ids.map(column).filter((c): c is ComparisonColumn => c !== undefined);
}

function render(): void {
  const page = document.createElement('div');
  page.dataset.testid = 'compare';
  const header = document.createElement('header');
  const title = document.createElement('h1');
  title.textContent = data ? `Compare ${data.runs.length} run${data.runs.length === 1 ? '' : 's'}` : 'Compare runs';
  const actions = document.createElement('div');
  actions.className = 'actions';
  actions.append(button('Refresh', () => post({ type: 'refresh' }), { secondary: true }));
  header.append(title, actions);
  page.append(header);
  if (error) page.append(paragraph(error, 'error'));
  if (!data || !options) {
    page.append(paragraph('Loading…'));
    root.replaceChildren(page);
    return;
  }
  if (data.runs.length === 0) {
    page.append(paragraph('None of the selected runs is in the index. Select runs in the Experiments view and choose Compare Runs.'));
    root.replaceChildren(page);
    root.removeAttribute('aria-busy');
    return;
  }
  page.append(bestControls(data), columnPicker(data));
  tableEl = document.createElement('div');
  tableEl.className = 'table-wrap';
  tableEl.append(table(data));
  page.append(tableEl);
  page.append(chartSection('parallel', 'Parallel coordinates', parallelControls(data), data.parallel ? `Params against ${data.parallel.metric}, a line per run` : 'The runs have no params or no metric to draw.'));
  page.append(chartSection('scatter', 'Scatter', scatterControls(data), data.scatter ? scatterNote(data.scatter, data.runs.length) : 'Nothing to plot.'));
  const focused = focusedElement()?.dataset.testid;
  root.replaceChildren(page);
  root.removeAttribute('aria-busy');
  if (focused) root.querySelector<HTMLElement>(`[data-testid="${CSS.escape(focused)}"]`)?.focus();
  void drawCharts();
}

function scatterNote(s: NonNullable<ComparisonData['scatter']>, runs: number): string {
  const have = `${s.shown} of ${runs} runs have both values`;
  if (s.shown > 1 && s.distinct === 1) return `${have}; they all fall on one point.`;
  if (s.distinct < s.shown) return `${have}; some coincide (${s.distinct} distinct points; ×N marks a point shared by N runs).`;
  return `${have}.`;
}

function bestControls(d: ComparisonData): HTMLElement {
  const bar = document.createElement('div');
  bar.className = 'controls';
  const metrics = d.columns.filter((c) => c.kind === 'metric');
  if (!d.best || metrics.length === 0) {
    bar.append(paragraph('The runs have no metrics: no best run.'));
    return bar;
  }
  const best = d.best;
  const pick = (metric: string, direction: 'max' | 'min') => change({ best: { metric, direction } }, () => undefined);
  // A newly picked metric starts in the direction the server gives it (a gate's, else its name's).
  const betterOf = (metric: string) => metrics.find((m) => m.name === metric)?.better ?? best.direction;
  bar.append(
    dropdown('Best run by', metrics.map((m) => ({ value: m.name, label: m.name })), best.metric, (metric) => pick(metric, betterOf(metric)), 'best-metric'),
    dropdown('Better is', [{ value: 'max', label: 'higher (max)' }, { value: 'min', label: 'lower (min)' }], best.direction, (direction) => pick(best.metric, direction as 'max' | 'min'), 'best-direction'),
  );
  const winner = best.runIndex >= 0 ? d.runs[best.runIndex].label : undefined;
  const extreme = best.direction === 'max' ? 'highest' : 'lowest';
  const source = best.source === 'manifest' ? ' (the manifest’s gate says which way is better)' : best.source === 'study' ? ' (the Optuna study’s direction)' : best.source === 'name' ? (best.direction === 'min' ? ` (the first metric; lower is better for an error or a loss)` : ' (the first metric; higher is better)') : '';
  const value = best.value !== undefined ? ` ${format(best.value)}` : '';
  const note = paragraph(
    winner
      ? `★ ${winner}: the ${extreme} ${best.metric},${value}${source}`
      : best.none === 'tie'
        ? `No single best run by ${best.metric}: ${best.tied} runs tie at the ${extreme} value,${value}.`
        : `No best run by ${best.metric}: no run has a finite value of it.`,
  );
  note.dataset.testid = 'best-run';
  bar.append(note);
  return bar;
}

/** Columns to show, grouped by kind; the choice is kept in the panel's state. */
function columnPicker(d: ComparisonData): HTMLElement {
  const details = document.createElement('details');
  details.className = 'columns';
  details.dataset.testid = 'column-picker';
  const shown = new Set(shownColumns().map((c) => c.id));
  const summary = document.createElement('summary');
  summary.textContent = `Columns (${shown.size} of ${d.columns.length})`;
  details.append(summary);
  for (const kind of ['metric', 'param', 'attribute'] as const) {
    const columns = d.columns.filter((c) => c.kind === kind);
    if (columns.length === 0) continue;
    const group = document.createElement('fieldset');
    const legend = document.createElement('legend');
    legend.textContent = KIND_LABEL[kind];
    group.append(legend);
    for (const c of columns) {
      group.append(
        checkbox(c.name, shown.has(c.id), (on) => {
          // Keep the columns in the table's order: the chosen ones, then the new one at the end.
          const current = shownColumns().map((x) => x.id).filter((id) => id !== c.id);
          change({ columns: on ? [...current, c.id] : current }, refreshTable);
          summary.textContent = `Columns (${shownColumns().length} of ${d.columns.length})`;
        }, `column-${c.id}`),
      );
    }
    details.append(group);
  }
  const reset = button('Default columns', () => change({ columns: null }, render), { secondary: true, testId: 'columns-default' });
  details.append(reset);
  if (options?.columns) details.open = true;
  return details;
}

function refreshTable(): void {
  if (!data || !tableEl) return;
  const active = focusedElement();
  const focused = active && tableEl.contains(active) ? active.dataset.column : undefined;
  tableEl.replaceChildren(table(data));
  if (focused) tableEl.querySelector<HTMLElement>(`th[data-column="${CSS.escape(focused)}"]`)?.focus();
}

/**
 * The runs as rows, the chosen columns as columns. Headers sort (click, Enter or Space; again to
 * reverse) and are reached with Tab and the arrow keys. Cells that differ from the value most runs
 * share are highlighted; the best run's row is marked.
 */
function table(d: ComparisonData): HTMLElement {
  const columns = shownColumns();
  const t = document.createElement('table');
  t.className = 'compare';
  t.dataset.testid = 'comparison-table';
  const caption = t.createCaption();
  caption.className = 'muted';
  caption.textContent = 'Highlighted cells differ from the value most runs share. Sort by a column with Enter or Space on its header.';
  const head = t.createTHead().insertRow();
  head.append(headerCell(undefined, 'Run'));
  for (const c of columns) head.append(headerCell(c, c.name));
  const sort = options?.sort;
  const sortColumn = sort ? (sort.column === 'run' ? undefined : column(sort.column)) : undefined;
  const order = sort?.column === 'run' ? sortOrder(d.runs.map((r) => r.label), sort.descending) : sortColumn ? sortOrder(sortColumn.values, sort!.descending) : d.runs.map((_, i) => i);
  const body = t.createTBody();
  const best = d.best?.runIndex ?? -1;
  for (const i of order) {
    const tr = body.insertRow();
    const name = document.createElement('th');
    name.scope = 'row';
    name.textContent = d.runs[i].label;
    name.title = `${d.runs[i].experiment} · ${d.runs[i].status} · ${d.runs[i].runId}`;
    tr.append(name);
    if (i === best) {
      tr.className = 'best';
      tr.dataset.testid = 'best-row';
      name.title += ` · best by ${d.best!.metric}`;
    }
    for (const c of columns) {
      const td = tr.insertCell();
      td.textContent = format(c.values[i]);
      if (c.numeric) td.className = 'number';
      if (c.differs[i]) td.classList.add('differs');
      if (i === best && c.kind === 'metric' && c.name === d.best!.metric) td.classList.add('best-value');
    }
  }
  return t;
}

function headerCell(c: ComparisonColumn | undefined, text: string): HTMLTableCellElement {
  const th = document.createElement('th');
  th.scope = 'col';
  th.tabIndex = 0;
  const id = c?.id ?? 'run';
  th.dataset.column = id;
  th.dataset.testid = `header-${id}`;
  th.textContent = text;
  if (c) th.title = `${c.kind} ${c.name}`;
  const sort = options?.sort;
  th.setAttribute('aria-sort', sort?.column === id ? (sort.descending ? 'descending' : 'ascending') : 'none');
  const toggle = () => change({ sort: { column: id, descending: sort?.column === id ? !sort.descending : false } }, refreshTable);
  th.addEventListener('click', toggle);
  th.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      toggle();
    } else if (e.key === 'ArrowRight' || e.key === 'ArrowLeft') {
      e.preventDefault();
      const next = (e.key === 'ArrowRight' ? th.nextElementSibling : th.previousElementSibling) as HTMLElement | null;
      next?.focus();
    }
  });
  return th;
}

function format(v: ComparisonValue): string {
  if (v === null) return '—';
  if (typeof v === 'number') return String(Number(v.toPrecision(6)));
  return v;
}

function plottable(d: ComparisonData): { value: string; label: string }[] {
  return d.columns.filter((c) => c.kind !== 'attribute' || c.name === 'duration').map((c) => ({ value: c.id, label: `${c.name} (${c.kind})` }));
}

function parallelControls(d: ComparisonData): HTMLElement[] {
  const metrics = d.columns.filter((c) => c.kind === 'metric');
  if (!d.parallel || metrics.length === 0) return [];
  return [dropdown('Metric', metrics.map((m) => ({ value: m.name, label: m.name })), d.parallel.metric, (parallelMetric) => change({ parallelMetric }, () => undefined), 'parallel-metric')];
}

function scatterControls(d: ComparisonData): HTMLElement[] {
  if (!d.scatter) return [];
  const choices = plottable(d);
  return [
    dropdown('X axis', choices, d.scatter.x, (scatterX) => change({ scatterX }, () => undefined), 'scatter-x'),
    dropdown('Y axis', choices, d.scatter.y, (scatterY) => change({ scatterY }, () => undefined), 'scatter-y'),
  ];
}

function chartSection(name: 'parallel' | 'scatter', title: string, controls: HTMLElement[], note: string): HTMLElement {
  const section = document.createElement('section');
  const h2 = document.createElement('h2');
  h2.textContent = title;
  const bar = document.createElement('div');
  bar.className = 'controls';
  const noteEl = paragraph(note);
  noteEl.dataset.testid = `${name}-note`;
  bar.append(...controls, noteEl);
  const chart = document.createElement('div');
  chart.className = 'chart';
  chart.tabIndex = 0;
  chart.dataset.testid = `${name}-chart`;
  chart.setAttribute('role', 'img');
  chart.setAttribute('aria-label', `${title}: ${note}`);
  section.append(h2, bar, chart);
  return section;
}

async function drawCharts(): Promise<void> {
  if (!data) return;
  const ticket = ++drawn;
  const theme = editorTheme();
  for (const name of ['parallel', 'scatter'] as const) {
    const el = root.querySelector<HTMLElement>(`[data-testid="${name}-chart"]`);
    const chart = data[name];
    if (!el || !chart) continue;
    try {
      const view = await renderChart(el, withTheme(chart.spec, theme) as unknown as TopLevelSpec);
      views.get(name)?.finalize();
      views.set(name, view);
      if (ticket !== drawn) return;
    } catch (e) {
      el.replaceChildren(chartFailure(e));
    }
  }
}

// Theme switches change the body's class: the charts take the new colours.
new MutationObserver(() => void drawCharts()).observe(document.body, { attributes: true, attributeFilter: ['class'] });

render();
connect<CompareData>((message: HostToWebview<CompareData>) => {
  if (message.type === 'setData') {
    data = message.payload.comparison;
    options = message.payload.options;
    error = undefined;
    setState(options);
  } else {
    error = message.payload.message;
  }
  render();
});
