import type { CompareData, HostToWebview, RunInfo } from '../../server/src/contract';
import { connect, post } from './host';
import { button, registerToolkit } from './toolkit';

registerToolkit();
const root = document.getElementById('root') as HTMLElement;
let onlyDifferences = false;
let data: CompareData | undefined;

/** Metrics where lower is better; everything else is "higher is better" for the best-run mark. */
const LOWER_IS_BETTER = /(loss|error|mae|mse|rmse|mape|latency|time)/i;

function render(): void {
  const page = document.createElement('div');
  page.dataset.testid = 'compare';
  const header = document.createElement('header');
  const title = document.createElement('h1');
  title.textContent = data ? `Compare ${data.runs.length} run${data.runs.length === 1 ? '' : 's'}` : 'Compare runs';
  header.append(
    title,
    button(onlyDifferences ? 'Show all rows' : 'Only differences', () => {
      onlyDifferences = !onlyDifferences;
      render();
    }, { secondary: true, testId: 'toggle-differences' }),
    button('Refresh', () => post({ type: 'refresh' }), { secondary: true }),
  );
  page.append(header);
  if (!data) {
    page.append(paragraph('Loading…'));
  } else if (data.runs.length === 0) {
    page.append(paragraph('None of the selected runs is in the index any more. Select runs in the Experiments view and choose Compare Runs.'));
  } else {
    page.append(table(data.runs));
  }
  root.replaceChildren(page);
}

function paragraph(text: string): HTMLElement {
  const p = document.createElement('p');
  p.className = 'muted';
  p.textContent = text;
  return p;
}

function table(runs: RunInfo[]): HTMLElement {
  const t = document.createElement('table');
  t.className = 'compare';
  const head = t.createTHead().insertRow();
  head.append(th(''));
  for (const r of runs) head.append(th(r.name || r.runId.slice(0, 8), `${r.experiment} · ${r.status} · ${r.runId}`));
  const body = t.createTBody();
  section(body, 'Metrics', runs.length + 1);
  for (const key of keys(runs, (r) => r.metrics)) row(body, key, runs.map((r) => r.metrics[key]), bestIndex(runs.map((r) => r.metrics[key]), LOWER_IS_BETTER.test(key)));
  section(body, 'Params', runs.length + 1);
  for (const key of keys(runs, (r) => r.params)) row(body, key, runs.map((r) => r.params[key]), -1);
  section(body, 'Attributes', runs.length + 1);
  row(body, 'status', runs.map((r) => r.status), -1);
  row(body, 'started', runs.map((r) => (r.startTime ? new Date(r.startTime).toISOString().replace('T', ' ').slice(0, 19) : undefined)), -1);
  row(body, 'duration', runs.map((r) => (r.startTime && r.endTime ? `${((r.endTime - r.startTime) / 1000).toFixed(1)} s` : undefined)), -1);
  return t;
}

function keys(runs: RunInfo[], pick: (r: RunInfo) => Record<string, unknown>): string[] {
  return [...new Set(runs.flatMap((r) => Object.keys(pick(r))))].sort((a, b) => a.localeCompare(b));
}

function bestIndex(values: (number | string | undefined)[], lowerIsBetter: boolean): number {
  let best = -1;
  values.forEach((v, i) => {
    if (typeof v !== 'number') return;
    const current = values[best];
    if (best === -1 || (typeof current === 'number' && (lowerIsBetter ? v < current : v > current))) best = i;
  });
  // A best is marked only when it is better than every other run: ties mark nothing.
  const winner = values[best];
  return values.filter((v) => typeof v === 'number').length > 1 && values.filter((v) => v === winner).length === 1 ? best : -1;
}

function section(body: HTMLTableSectionElement, title: string, span: number): void {
  const cell = body.insertRow().insertCell();
  cell.colSpan = span;
  cell.className = 'section';
  cell.textContent = title;
}

function row(body: HTMLTableSectionElement, key: string, values: (string | number | undefined)[], best: number): void {
  const shown = values.map((v) => (v === undefined ? '' : typeof v === 'number' ? String(Number(v.toPrecision(6))) : v));
  const differs = new Set(shown).size > 1;
  if (onlyDifferences && !differs) return;
  const tr = body.insertRow();
  if (differs) tr.className = 'differs';
  tr.append(th(key));
  shown.forEach((text, i) => {
    const td = tr.insertCell();
    td.textContent = text || '—';
    if (i === best) {
      td.className = 'best';
      td.title = 'best of the selected runs';
    }
  });
}

function th(text: string, title?: string): HTMLTableCellElement {
  const cell = document.createElement('th');
  cell.textContent = text;
  cell.scope = 'row';
  if (title) cell.title = title;
  return cell;
}

render();
connect<CompareData>((message: HostToWebview<CompareData>) => {
  if (message.type === 'setData') data = message.payload;
  render();
});
