import { parseAbDashboardState, type AbDashboardData, type AbDashboardState, type ExperimentReport, type HostToWebview, type VariantReport } from '../../server/src/contract';
import { abIntervalSpec, abTimelineSpec, type AbSpecOptions } from '../../server/src/charts/ab-spec';
import { connect, getState, post, setState } from './host';
import { badge, button, divider, dropdown, registerToolkit } from './toolkit';
import { renderChart, type ChartView } from './vega';
import { editorTheme } from './theme';
import { focusedElement } from './focus';
import { chartFailure } from './dom';

registerToolkit();
const root = document.getElementById('root') as HTMLElement;

let data: AbDashboardData | undefined;
let error: string | undefined;
/** Restored before the host's first answer, so a reopened panel shows what it showed. */
let state: AbDashboardState | undefined = parseAbDashboardState(getState());
const charts: ChartView[] = [];

const VERDICT_LABEL: Record<ExperimentReport['verdict']['kind'], string> = {
  'treatment-better': 'Treatment better',
  'treatment-worse': 'Treatment worse',
  inconclusive: 'Inconclusive',
  'need-more-samples': 'Need more samples',
};

function el<K extends keyof HTMLElementTagNameMap>(tagName: K, text?: string, className?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tagName);
  if (text !== undefined) node.textContent = text;
  if (className) node.className = className;
  return node;
}

function fmt(v: number | null | undefined, digits = 4): string {
  return v === null || v === undefined || Number.isNaN(v) ? '—' : String(Number(v.toPrecision(digits)));
}

function render(): void {
  const page = el('div');
  page.dataset.testid = 'ab-dashboard';
  const header = el('header');
  const title = el('h1', data ? `Experiment ${data.experiment}` : state ? `Experiment ${state.experiment}` : 'Experiment');
  const actions = el('div', undefined, 'actions');
  if (data && data.experiments.length > 1) {
    actions.append(
      dropdown('Experiment', data.experiments.map((x) => ({ value: x, label: x })), data.experiment, (experiment) => post({ type: 'selectExperiment', payload: { experiment } }), 'experiment'),
    );
  }
  actions.append(button('Refresh', () => post({ type: 'refresh' }), { secondary: true, testId: 'refresh' }));
  header.append(title, actions);
  page.append(header);
  if (error) page.append(el('p', error, 'error'));
  if (!data) {
    page.append(el('p', 'Analyzing…', 'muted'));
    root.replaceChildren(page);
    return;
  }
  const r = data.report;
  page.append(
    el(
      'p',
      `Endpoint ${r.endpoint} · model ${r.model} · metric ${r.metric} (${r.higherIsBetter ? 'higher' : 'lower'} is better) · ${r.sequential ? 'sequential, safe to peek' : 'fixed horizon'} · α = ${r.alpha} · updated ${new Date(data.computedAt).toLocaleTimeString()}`,
      'muted',
    ),
  );
  if (r.srm?.flagged) {
    const banner = el('div', undefined, 'banner warning');
    banner.setAttribute('role', 'alert');
    banner.dataset.testid = 'srm-warning';
    banner.append(
      el('strong', 'Sample ratio mismatch. '),
      `${r.srm.observed.join(' / ')} requests for a configured ${r.srm.expected.join(' / ')} split (χ² = ${fmt(r.srm.statistic, 3)}, p = ${r.srm.pvalue.toExponential(2)}). The assignment is broken: do not trust the comparison until it is fixed.`,
    );
    page.append(banner);
  }
  page.append(verdictSection(r), cardsSection(r), divider(), differenceSection(r), divider(), timelineSection(r));
  if (r.notes.length > 0) {
    const notes = el('ul', undefined, 'notes');
    for (const n of r.notes) notes.append(el('li', n, 'muted'));
    page.append(notes);
  }
  const focused = focusedElement()?.dataset.testid;
  root.replaceChildren(page);
  root.setAttribute('aria-busy', 'false');
  if (focused) root.querySelector<HTMLElement>(`[data-testid="${CSS.escape(focused)}"]`)?.focus();
  void draw();
}

function verdictSection(r: ExperimentReport): HTMLElement {
  // An untrusted verdict (a sample-ratio mismatch) says so in its badge and border, never in green.
  const trusted = r.verdict.trusted !== false;
  const section = el('section', undefined, `verdict ${trusted ? r.verdict.kind : 'untrusted'}`);
  section.dataset.testid = 'verdict';
  section.dataset.verdict = trusted ? r.verdict.kind : 'untrusted';
  section.setAttribute('aria-live', 'polite');
  const title = el('h2', 'Verdict ');
  const tone = !trusted ? 'warning' : r.verdict.kind === 'treatment-better' ? 'good' : r.verdict.kind === 'treatment-worse' ? 'bad' : undefined;
  title.append(badge(trusted ? VERDICT_LABEL[r.verdict.kind] : `Untrusted: ${r.verdict.untrustedReason ?? 'see above'}`, tone));
  section.append(title, el('p', r.verdict.message));
  return section;
}

function cardsSection(r: ExperimentReport): HTMLElement {
  const cards = el('div', undefined, 'cards');
  cards.append(card('Control', r.control, r), card('Treatment', r.treatment, r));
  return cards;
}

function card(role: string, v: VariantReport, r: ExperimentReport): HTMLElement {
  const section = el('section', undefined, 'card');
  section.dataset.testid = `card-${role.toLowerCase()}`;
  section.setAttribute('aria-label', `${role}: version ${v.version}`);
  section.append(el('h3', `${role} · version ${v.version}`));
  const main = v.metrics[r.metric] ?? v.metrics[r.metric === 'f1_score' ? 'f1' : r.metric] ?? (r.metric === 'error_rate' ? v.errorRate : undefined);
  const big = el('p', undefined, 'big');
  big.append(el('span', fmt(main), 'value'), el('span', ` ${r.metric}`, 'muted'));
  section.append(big);
  const list = el('dl');
  const item = (k: string, value: string) => list.append(el('dt', k), el('dd', value));
  item('Requests', String(v.n));
  item('With feedback', String(v.withFeedback));
  for (const [k, x] of Object.entries(v.metrics)) if (k !== r.metric) item(k, fmt(x));
  item('Latency p50 / p95 / p99', `${fmt(v.latency.p50, 3)} / ${fmt(v.latency.p95, 3)} / ${fmt(v.latency.p99, 3)} ms`);
  item('Error rate', v.errorRate === null ? '—' : `${fmt(v.errorRate * 100, 3)} %`);
  section.append(list);
  return section;
}

function differenceSection(r: ExperimentReport): HTMLElement {
  const section = el('section');
  section.append(el('h2', 'Difference (treatment − control)'));
  const d = r.difference;
  if (!d) {
    section.append(el('p', 'No difference yet: each variant needs at least two requests with feedback.', 'muted'));
    return section;
  }
  const line = el('p');
  line.dataset.testid = 'difference';
  line.append(
    el('strong', `${d.estimate >= 0 ? '+' : ''}${fmt(d.estimate)}`),
    ` ${r.metric}, ${Math.round((1 - r.alpha) * 100)} % interval [${fmt(d.lower)}, ${fmt(d.upper)}], p = ${fmt(d.pvalue, 3)} — ${d.method}`,
  );
  section.append(line, chartBox('interval', `Interval of the difference in ${r.metric}: ${fmt(d.lower)} to ${fmt(d.upper)}, estimate ${fmt(d.estimate)}`));
  return section;
}

function timelineSection(r: ExperimentReport): HTMLElement {
  const section = el('section');
  section.append(el('h2', `${r.metric} over time`));
  if (!r.timeline || r.timeline.points.every((p) => p.value === null && p.cumulative === null)) {
    section.append(el('p', 'Nothing to plot yet: the metric needs requests with feedback.', 'muted'));
    return section;
  }
  section.append(
    el('p', 'Lines: the metric over every request so far; points: over each time bucket alone.', 'muted'),
    chartBox('timeline', `${r.metric} per variant over time`),
  );
  return section;
}

function chartBox(testId: string, label: string): HTMLElement {
  const box = el('div', undefined, 'chart');
  box.tabIndex = 0;
  box.dataset.testid = testId;
  box.setAttribute('role', 'img');
  box.setAttribute('aria-label', label);
  return box;
}


let drawn = 0;
async function draw(): Promise<void> {
  if (!data) return;
  const ticket = ++drawn;
  const width = Math.max(280, Math.min(900, (root.clientWidth || 900) - 220));
  const options: AbSpecOptions = { width, theme: editorTheme() };
  const todo: [string, ReturnType<typeof abIntervalSpec>][] = [
    ['interval', abIntervalSpec(data.report, { ...options, height: 50 })],
    ['timeline', data.report.timeline ? abTimelineSpec(data.report.timeline, { ...options, height: 240 }) : undefined],
  ];
  for (const c of charts.splice(0)) c.finalize();
  for (const [testId, spec] of todo) {
    const box = root.querySelector<HTMLElement>(`[data-testid="${testId}"]`);
    if (!box || !spec) continue;
    try {
      const view = await renderChart(box, spec);
      if (ticket !== drawn) return view.finalize();
      charts.push(view);
    } catch (e) {
      box.replaceChildren(chartFailure(e));
    }
  }
}

function debounce(f: () => void, ms: number): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return () => {
    clearTimeout(timer);
    timer = setTimeout(f, ms);
  };
}

// Theme switches change the body's class; window resizes change the room for the charts.
new MutationObserver(() => void draw()).observe(document.body, { attributes: true, attributeFilter: ['class'] });
window.addEventListener('resize', debounce(() => void draw(), 150));

render();
connect<AbDashboardData>((message: HostToWebview<AbDashboardData>) => {
  if (message.type === 'setData') {
    data = message.payload;
    error = undefined;
    state = { manifest: data.manifest, experiment: data.experiment };
    setState(state);
  } else {
    error = message.payload.message;
  }
  render();
});
