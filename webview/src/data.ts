import { parseDataPanelState, type ColumnProfile, type DataPanelData, type DatasetValidation, type ExpectationResult, type HostToWebview } from '../../server/src/contract';
import { histogramSpec } from '../../server/src/validation/histogram';
import { connect, getState, post, setState } from './host';
import { badge, button, checkbox, registerToolkit, tag } from './toolkit';
import { ChartSet } from './vega';
import { editorTheme } from './theme';
import { focusedElement } from './focus';
import { paragraph } from './dom';

registerToolkit();
const root = document.getElementById('root') as HTMLElement;

let data: DataPanelData | undefined;
let error: string | undefined;
let onlyFailed = false;
const charts = new ChartSet();
// The manifest shown last (restored by the host after a restart); kept in the webview's state.
setState(parseDataPanelState(getState()) ?? { manifest: null });

const count = (n: number) => n.toLocaleString('en-US');
/** A path as the manifest writes it: relative to the manifest's folder when it is below it. */
function relativePath(path: string): string {
  const manifest = data?.manifest;
  if (!manifest) return path;
  const folder = manifest.slice(0, Math.max(manifest.lastIndexOf('/'), manifest.lastIndexOf('\\')) + 1);
  return folder && path.startsWith(folder) ? path.slice(folder.length) : path;
}
const percent = (share: number) => (share === 0 ? '0%' : share < 0.0001 ? '<0.01%' : `${Number((share * 100).toPrecision(3))}%`);

function render(): void {
  const page = document.createElement('div');
  page.dataset.testid = 'data-validation';
  const header = document.createElement('header');
  const title = document.createElement('h1');
  title.textContent = 'Data validation';
  const actions = document.createElement('div');
  actions.className = 'actions';
  actions.append(button('Check again', () => post({ type: 'refresh' }), { secondary: true, testId: 'refresh' }));
  header.append(title, actions);
  page.append(header);
  if (error) page.append(paragraph(error, 'error'));
  if (!data) {
    page.append(paragraph('Reading the data sets…'));
    root.replaceChildren(page);
    return;
  }
  const report = data.report;
  if (!report) {
    page.append(paragraph(data.message ?? 'No report.', 'muted'));
    root.replaceChildren(page);
    root.removeAttribute('aria-busy');
    return;
  }
  const verdict = document.createElement('section');
  verdict.className = `verdict${report.passed ? '' : ' drift'}`;
  verdict.dataset.testid = 'verdict';
  verdict.setAttribute('role', 'status');
  const h = document.createElement('h2');
  h.append(document.createTextNode(report.passed ? 'Data valid' : 'Data invalid'), badge(`${report.errors} error${report.errors === 1 ? '' : 's'}, ${report.warnings} warning${report.warnings === 1 ? '' : 's'}`, report.passed ? (report.warnings ? 'warning' : 'good') : 'bad'));
  const where = paragraph(data.manifest ?? '', 'muted');
  where.title = data.manifest ?? '';
  verdict.append(h, where);
  page.append(verdict);
  const controls = document.createElement('div');
  controls.className = 'controls';
  controls.append(checkbox('Only failed expectations', onlyFailed, (on) => {
    onlyFailed = on;
    render();
  }, 'only-failed'));
  page.append(controls);
  const chartEls: { el: HTMLElement; profile: ColumnProfile; bounds: { min?: number; max?: number } }[] = [];
  for (const d of report.datasets) page.append(datasetSection(d, chartEls));
  const focused = focusedElement()?.dataset.testid;
  root.replaceChildren(page);
  root.removeAttribute('aria-busy');
  if (focused) root.querySelector<HTMLElement>(`[data-testid="${CSS.escape(focused)}"]`)?.focus();
  void draw(chartEls);
}

function datasetSection(d: DatasetValidation, chartEls: { el: HTMLElement; profile: ColumnProfile; bounds: { min?: number; max?: number } }[]): HTMLElement {
  const section = document.createElement('section');
  section.className = 'dataset';
  section.dataset.testid = `dataset-${d.dataset}`;
  const h = document.createElement('h2');
  const failed = d.results.filter((r) => !r.passed).length;
  h.append(document.createTextNode(d.dataset), tag(failed === 0 ? 'passes' : `${failed} failed`, failed > 0 && d.errors > 0 ? 'bad' : undefined));
  section.append(h, paragraph(`${d.files.length === 1 ? relativePath(d.files[0]) : `${d.files.length} files`} · ${count(d.rows)} rows · ${d.results.length} expectations · ${d.seconds.toFixed(1)} s`, 'muted'));
  const table = document.createElement('table');
  table.className = 'expectations';
  const head = document.createElement('tr');
  for (const label of ['', 'Column', 'Expectation', 'Failing', 'First rows', 'Values', '']) {
    const th = document.createElement('th');
    th.textContent = label;
    head.append(th);
  }
  table.append(head);
  const shown = d.results.filter((r) => !onlyFailed || !r.passed).sort((a, b) => Number(a.passed) - Number(b.passed));
  for (const r of shown) table.append(resultRow(d, r));
  section.append(table);
  if (shown.length === 0) section.append(paragraph('Every expectation holds.', 'muted'));
  // A histogram per numeric column, with its min/max expectation drawn on it.
  const grid = document.createElement('div');
  grid.className = 'histograms';
  for (const p of d.profiles) {
    if (!p.histogram) continue;
    const bound = (side: 'min' | 'max') => d.results.find((r) => r.column === p.column && r.expectation === side)?.bound;
    const figure = document.createElement('figure');
    figure.tabIndex = 0;
    figure.dataset.testid = `histogram-${d.dataset}-${p.column}`;
    figure.setAttribute('aria-label', `${p.column}: ${count(p.count)} values from ${p.min} to ${p.max}, ${count(p.nulls)} nulls`);
    const caption = document.createElement('figcaption');
    caption.textContent = `${p.column} · ${count(p.nulls)} null${p.nulls === 1 ? '' : 's'}`;
    const chart = document.createElement('div');
    chart.className = 'chart';
    chart.setAttribute('role', 'img');
    chart.setAttribute('aria-label', `${p.column}: histogram`);
    figure.append(caption, chart);
    grid.append(figure);
    chartEls.push({ el: chart, profile: p, bounds: { min: bound('min'), max: bound('max') } });
  }
  if (grid.childElementCount > 0) section.append(grid);
  return section;
}

function resultRow(d: DatasetValidation, r: ExpectationResult): HTMLElement {
  const tr = document.createElement('tr');
  tr.className = r.passed ? 'passed' : r.severity === 'error' ? 'failed' : 'warned';
  tr.dataset.testid = `result-${d.dataset}-${r.column ?? 'table'}-${r.expectation}`;
  const status = r.passed ? '✓' : r.severity === 'error' ? '✗' : '!';
  const cells = [status, r.column ?? '(table)', r.label, r.passed ? '—' : `${count(r.failing)} (${percent(r.share)})`, r.rows.join(', ') + (r.failing > r.rows.length ? ', …' : ''), r.sample.map((v) => JSON.stringify(v)).join(', ')];
  cells.forEach((text, i) => {
    const td = document.createElement('td');
    td.textContent = text;
    if (i === 0) td.setAttribute('aria-label', r.passed ? 'holds' : r.severity === 'error' ? 'fails (error)' : 'fails (warning)');
    if (i === 2 && !r.passed) td.title = r.message;
    tr.append(td);
  });
  const go = document.createElement('td');
  // The expectation's line in mlops.yaml, keyboard-reachable.
  if (data?.manifest) go.append(button('Go to', () => post({ type: 'openFile', payload: { file: data!.manifest!, line: r.range.start.line + 1 } }), { secondary: true, testId: `${tr.dataset.testid}-goto` }));
  tr.append(go);
  return tr;
}

function draw(els: { el: HTMLElement; profile: ColumnProfile; bounds: { min?: number; max?: number } }[]): Promise<void> {
  const theme = editorTheme();
  return charts.draw(els.map(({ el, profile, bounds }) => ({ el, spec: histogramSpec(profile, bounds, { width: 260, height: 100, theme }) })));
}

// Theme switches change the body's class: redraw in the new colours.
new MutationObserver(() => render()).observe(document.body, { attributes: true, attributeFilter: ['class'] });

render();
connect<DataPanelData>((message: HostToWebview<DataPanelData>) => {
  if (message.type === 'setData') {
    data = message.payload;
    error = undefined;
    setState({ manifest: data.manifest });
  } else {
    error = message.payload.message;
  }
  render();
});
