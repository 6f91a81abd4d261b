/**
 * The standalone HTML report of an A/B experiment: one self-contained file (inline CSS and SVG, no
 * script, nothing loaded from anywhere) with the verdict on top, a card per variant, the difference
 * with its interval, the sample-ratio check and the metric over time, the charts rendered here with
 * vega from the same specs the A/B dashboard draws.
 */
import { abIntervalSpec, abTimelineSpec } from '../charts/ab-spec';
import { renderSvg } from '../charts/render';
import type { ExperimentReport, VariantReport } from '../contract';
import { escapeHtml, reportPage } from '../util/html-page';

const esc = escapeHtml;
const num = (v: number | null | undefined, digits = 4): string =>
  v === null || v === undefined || Number.isNaN(v) ? '—' : Number.isFinite(v) ? String(Number(v.toPrecision(digits))) : String(v);
const pct = (v: number | null | undefined): string => (v === null || v === undefined || Number.isNaN(v) ? '—' : `${(100 * v).toFixed(2)}%`);
const p = (v: number): string => (v < 1e-4 ? v.toExponential(2) : num(v, 3));

const CSS = `
:root { color-scheme: light dark; --fg: #1f2328; --bg: #ffffff; --muted: #59636e; --line: #d1d9e0; --bad: #cf222e; --ok: #1a7f37; --warn: #9a6700; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6edf3; --bg: #0d1117; --muted: #9198a1; --line: #3d444d; --bad: #f85149; --ok: #3fb950; --warn: #d29922; } }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); margin: 2rem auto; max-width: 1100px; padding: 0 1rem; }
h1 { font-size: 1.5rem; margin: 0 0 .25rem; } h2 { font-size: 1.1rem; margin: 1.5rem 0 .5rem; }
.muted { color: var(--muted); }
.verdict { border: 2px solid var(--line); border-radius: 8px; padding: .75rem 1rem; margin: 1rem 0 1.5rem; }
.verdict.treatment-better { border-color: var(--ok); } .verdict.treatment-worse { border-color: var(--bad); }
.verdict.untrusted { border-color: #cca700; border-style: dashed; }
.banner { border-left: 4px solid var(--warn); padding: .5rem 1rem; margin: 1rem 0; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(260px, 1fr)); gap: 1rem; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: .5rem 1rem .75rem; }
.card .big { font-size: 2em; font-weight: 600; font-variant-numeric: tabular-nums; margin: .25rem 0; }
dl { display: grid; grid-template-columns: auto 1fr; gap: 2px 12px; margin: 0; } dt { color: var(--muted); } dd { margin: 0; font-variant-numeric: tabular-nums; }
svg { max-width: 100%; height: auto; }
`;

const THEME = { foreground: '#59636e', background: 'transparent', fontSize: 11 };

function card(role: string, v: VariantReport, metric: string): string {
  const others = Object.entries(v.metrics)
    .filter(([k]) => k !== metric)
    .map(([k, value]) => `<dt>${esc(k)}</dt><dd>${num(value)}</dd>`)
    .join('');
  return `<section class="card" data-arm="${role}">
<h3>${role} · version ${esc(v.version)}</h3>
<div class="big">${num(v.metrics[metric])}</div><p class="muted">${esc(metric)}</p>
<dl><dt>requests</dt><dd>${v.n}</dd><dt>with feedback</dt><dd>${v.withFeedback}</dd>${others}
<dt>latency p50 / p95 / p99</dt><dd>${num(v.latency.p50, 3)} / ${num(v.latency.p95, 3)} / ${num(v.latency.p99, 3)} ms</dd>
<dt>error rate</dt><dd>${pct(v.errorRate)}</dd></dl>
</section>`;
}

/** The report as a complete HTML document. */
export async function experimentReportHtml(report: ExperimentReport): Promise<string> {
  const intervalSpec = abIntervalSpec(report, { width: 640, height: 70, interactive: false, theme: THEME });
  const timelineSpec = report.timeline ? abTimelineSpec(report.timeline, { width: 640, height: 220, interactive: false, theme: THEME }) : undefined;
  const [interval, timeline] = await Promise.all([intervalSpec ? renderSvg(intervalSpec) : '', timelineSpec ? renderSvg(timelineSpec) : '']);
  const d = report.difference;
  const difference = d
    ? `<p>Treatment − control: <strong>${num(d.estimate)}</strong>, ${Math.round(100 * (1 - report.alpha))}% interval [${num(d.lower)}, ${num(d.upper)}], p = ${p(d.pvalue)} <span class="muted">(${esc(d.method)})</span></p>`
    : '<p class="muted">No difference yet: a variant has no requests with feedback.</p>';
  const srm = report.srm;
  const srmText = srm
    ? `${srm.flagged ? '<div class="banner" role="alert"><strong>Sample ratio mismatch.</strong> ' : '<p>'}Requests ${srm.observed[0]} / ${srm.observed[1]} against an expected ${num(srm.expected[0], 5)} / ${num(srm.expected[1], 5)}: χ² = ${num(srm.statistic)}, p = ${p(srm.pvalue)}.${srm.flagged ? ' The split is not what the manifest says, so the comparison is not to be trusted until that is explained.</div>' : '</p>'}`
    : '';
  return reportPage(
    `A/B experiment ${report.experiment}`,
    CSS,
    `<h1>A/B experiment ${esc(report.experiment)}</h1>
<p class="muted">Endpoint ${esc(report.endpoint)} · model ${esc(report.model)} · metric ${esc(report.metric)} (${report.higherIsBetter ? 'higher' : 'lower'} is better) · ${esc(report.test)}${report.sequential ? ', sequential (always valid)' : ''} · α = ${report.alpha}</p>
<div class="verdict ${report.verdict.trusted ? report.verdict.kind : 'untrusted'}" data-verdict="${report.verdict.trusted ? report.verdict.kind : 'untrusted'}"><strong>${esc(report.verdict.message)}</strong></div>
${srmText}
<div class="cards">${card('control', report.control, report.metric)}${card('treatment', report.treatment, report.metric)}</div>
<h2>Difference</h2>
${difference}
<div role="img" aria-label="the difference with its interval">${interval}</div>
<h2>${esc(report.metric)} over time</h2>
<div role="img" aria-label="the metric per variant over time">${timeline || '<p class="muted">No time series yet.</p>'}</div>
${report.notes.length > 0 ? `<h2>Notes</h2><ul>${report.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>` : ''}`,
  );
}
