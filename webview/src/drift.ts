import { DriftWindows, parseDriftState, type DriftPanelData, type DriftPanelState, type FeatureDrift, type HostToWebview } from '../../server/src/contract';
import { distributionSpec } from '../../server/src/drift/spec';
import { connect, getState, post, setState } from './host';
import { badge, button, checkbox, dropdown, registerToolkit, tag } from './toolkit';
import { ChartSet } from './vega';
import { editorTheme } from './theme';
import { focusedElement } from './focus';
import { paragraph } from './dom';

registerToolkit();
const root = document.getElementById('root') as HTMLElement;

let data: DriftPanelData | undefined;
let error: string | undefined;
/** Restored from the panel's state before the host's first answer arrives. */
let state: DriftPanelState | undefined = parseDriftState(getState());
let onlyDrifted = false;
const charts = new ChartSet();

const fmt = (v: number | null, digits = 4): string => (v === null ? '—' : String(Number(v.toPrecision(digits))));
const fmtP = (p: number | null): string => (p === null ? '—' : p === 0 ? '0' : p < 1e-4 ? p.toExponential(1) : String(Number(p.toPrecision(3))));

function render(): void {
  const page = document.createElement('div');
  page.dataset.testid = 'drift';
  const header = document.createElement('header');
  const title = document.createElement('h1');
  title.textContent = data ? `Drift of ${data.model}` : 'Drift';
  const actions = document.createElement('div');
  actions.className = 'actions';
  actions.append(button('Refresh', () => post({ type: 'refresh' }), { secondary: true, testId: 'refresh' }));
  header.append(title, actions);
  page.append(header);
  if (error) page.append(paragraph(error, 'error'));
  if (!data) {
    page.append(paragraph('Computing the drift report…'));
    root.replaceChildren(page);
    return;
  }
  const controls = document.createElement('div');
  controls.className = 'controls';
  controls.append(
    dropdown(
      'Window',
      [{ value: '', label: 'As configured' }, ...DriftWindows.map((w) => ({ value: w, label: `Last ${w}` }))],
      state?.window ?? '',
      (w) => {
        state = { manifest: data?.manifest ?? null, model: data?.model ?? state?.model ?? '', window: w === '' ? null : w };
        setState(state);
        post({ type: 'driftWindow', payload: { window: state.window } });
      },
      'window',
    ),
    checkbox('Only drifted features', onlyDrifted, (on) => {
      onlyDrifted = on;
      render();
    }, 'only-drifted'),
  );
  page.append(controls);
  const r = data.report;
  if (!r) {
    page.append(paragraph(data.message ?? 'No report.', 'muted'));
    root.replaceChildren(page);
    root.removeAttribute('aria-busy');
    return;
  }
  const verdict = document.createElement('section');
  verdict.className = `verdict${r.dataset_drift ? ' drift' : ''}`;
  verdict.dataset.testid = 'verdict';
  verdict.setAttribute('role', 'status');
  const h = document.createElement('h2');
  h.append(document.createTextNode(r.dataset_drift ? 'Data set drift' : 'No data set drift'), badge(`${r.drifted_features} / ${r.features.length}`));
  verdict.append(
    h,
    paragraph(`${r.drifted_features} of ${r.features.length} features drifted (${(100 * r.share).toFixed(1)}%; the data set drifts at ${100 * r.drift_share}%). α = ${r.alpha}, correction: ${r.correction}.`),
    paragraph(`Reference: ${r.reference.source} (${r.reference.rows.toLocaleString('en-US')} rows) · Current: ${r.current.source} (${r.current.rows.toLocaleString('en-US')} rows)${data.window ? ` · window ${data.window}` : ''}`, 'muted'),
  );
  // Beside the drift tests: requests of the window that broke the input data set's expectations (validate:).
  if (data.violations && data.violations.requests > 0) {
    const v = data.violations;
    const note = paragraph(`Data expectations: ${v.requests.toLocaleString('en-US')} request${v.requests === 1 ? '' : 's'} of this window broke the input data set's expectations (${v.values.toLocaleString('en-US')} value${v.values === 1 ? '' : 's'}).`, 'error');
    note.dataset.testid = 'violations';
    verdict.append(note);
  }
  if (r.skipped.length > 0) {
    const note = paragraph(`Not tested: ${r.skipped.map((s) => `${s.name} (${s.reason})`).join('; ')}. Give a column a type in the drift settings to test it anyway.`, 'muted');
    note.dataset.testid = 'skipped';
    verdict.append(note);
  }
  page.append(verdict);
  const list = document.createElement('div');
  list.className = 'features';
  const shown = r.features.filter((f) => !onlyDrifted || f.drifted);
  const chartEls: { el: HTMLElement; f: FeatureDrift }[] = [];
  for (const f of shown) {
    const card = document.createElement('section');
    card.className = `feature${f.drifted ? ' drifted' : ''}`;
    card.tabIndex = 0;
    card.dataset.testid = `feature-${f.name}`;
    card.setAttribute('aria-label', `${f.name}: ${f.drifted ? 'drifted' : 'no drift'}, ${f.test ?? 'not tested'}`);
    const name = document.createElement('h3');
    name.append(document.createTextNode(f.name), tag(f.drifted ? 'drifted' : 'no drift', f.drifted ? 'bad' : undefined));
    const facts = document.createElement('dl');
    // A p-value test shows its statistic and p-value; a distance test its distance, once.
    const measured: [string, string][] =
      f.pvalue !== null
        ? [
            ['statistic', fmt(f.statistic)],
            ['p-value', `${fmtP(f.pvalue)}${f.adjusted_pvalue !== null && f.adjusted_pvalue !== f.pvalue ? ` (adjusted ${fmtP(f.adjusted_pvalue)})` : ''}`],
            ['alpha', fmt(f.threshold, 3)],
          ]
        : [
            ['distance', `${fmt(f.distance)}${f.unit && f.distance !== null ? ` ${f.unit}` : ''}`],
            ['threshold', `${fmt(f.threshold, 3)}${f.unit ? ` ${f.unit}` : ''}`],
          ];
    for (const [k, v] of [['type', f.type], ['test', f.test ?? '—'], ...measured] as [string, string][]) {
      const dt = document.createElement('dt');
      dt.textContent = k;
      const dd = document.createElement('dd');
      dd.textContent = v;
      facts.append(dt, dd);
    }
    const text = document.createElement('div');
    text.append(name, facts);
    for (const reason of [...f.reasons, ...f.notes, ...(f.error ? [`not tested: ${f.error}`] : [])]) text.append(paragraph(reason, 'muted'));
    const chart = document.createElement('div');
    chart.className = 'chart';
    chart.setAttribute('role', 'img');
    chart.setAttribute('aria-label', `${f.name}: reference vs current distribution`);
    card.append(text, chart);
    list.append(card);
    chartEls.push({ el: chart, f });
  }
  if (shown.length === 0) list.append(paragraph('No feature drifted.', 'muted'));
  page.append(list);
  const focused = focusedElement()?.dataset.testid;
  root.replaceChildren(page);
  root.removeAttribute('aria-busy');
  if (focused) root.querySelector<HTMLElement>(`[data-testid="${CSS.escape(focused)}"]`)?.focus();
  void draw(chartEls);
}


function draw(els: { el: HTMLElement; f: FeatureDrift }[]): Promise<void> {
  const t = editorTheme();
  const width = Math.max(240, Math.min(520, (root.clientWidth || 900) - 420));
  return charts.draw(els.map(({ el, f }) => ({ el, spec: distributionSpec(f, { width, height: 150, theme: t, interactive: true }) })));
}

// Theme switches change the body's class: redraw in the new colours.
new MutationObserver(() => render()).observe(document.body, { attributes: true, attributeFilter: ['class'] });

render();
connect<DriftPanelData>((message: HostToWebview<DriftPanelData>) => {
  if (message.type === 'setData') {
    data = message.payload;
    error = undefined;
    state = { manifest: data.manifest, model: data.model, window: state?.window ?? null };
    setState(state);
  } else {
    error = message.payload.message;
  }
  render();
});
