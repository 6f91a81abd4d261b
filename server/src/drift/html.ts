/**
 * The standalone HTML drift report: one self-contained file (inline CSS and SVG, no script, nothing
 * loaded from anywhere), with the data set's verdict on top and, per feature, its test, statistic,
 * p-value or distance, a drifted badge and the reference vs current distribution as an SVG chart
 * rendered here with vega.
 */
import { renderSvg } from '../charts/render';
import type { DriftReport, FeatureDrift } from '../contract';
import { formatP } from './report';
import { distributionSpec } from './spec';
import { escapeHtml, reportPage } from '../util/html-page';

const esc = escapeHtml;
const num = (v: number | null, digits = 4): string => (v === null ? '—' : Number.isFinite(v) ? String(Number(v.toPrecision(digits))) : String(v));

const CSS = `
:root { color-scheme: light dark; --fg: #1f2328; --bg: #ffffff; --muted: #59636e; --line: #d1d9e0; --bad: #cf222e; --ok: #1a7f37; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6edf3; --bg: #0d1117; --muted: #9198a1; --line: #3d444d; --bad: #f85149; --ok: #3fb950; } }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); margin: 2rem auto; max-width: 1100px; padding: 0 1rem; }
h1 { font-size: 1.5rem; margin: 0 0 .25rem; } h2 { font-size: 1.1rem; margin: 0; }
.muted { color: var(--muted); }
.verdict { border: 2px solid var(--ok); border-radius: 8px; padding: .75rem 1rem; margin: 1rem 0 1.5rem; }
.verdict.drift { border-color: var(--bad); }
.badge { display: inline-block; border-radius: 999px; padding: 0 .6rem; font-size: .8rem; font-weight: 600; color: #fff; background: var(--ok); vertical-align: middle; }
.badge.drift { background: var(--bad); }
table { border-collapse: collapse; width: 100%; margin-bottom: 1.5rem; }
th, td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid var(--line); }
td.n { font-variant-numeric: tabular-nums; }
.feature { border: 1px solid var(--line); border-radius: 8px; padding: .75rem 1rem; margin: 0 0 1rem; display: grid; grid-template-columns: minmax(240px, 1fr) auto; gap: 1rem; }
.feature svg { max-width: 100%; height: auto; }
ul { margin: .25rem 0; padding-left: 1.2rem; }
`;

function badge(f: FeatureDrift): string {
  return f.drifted ? '<span class="badge drift">drifted</span>' : '<span class="badge">no drift</span>';
}

function valueCells(f: FeatureDrift): string {
  const unit = f.unit ? ` <span class="muted">${esc(f.unit)}</span>` : '';
  return `<td class="n">${num(f.statistic)}</td><td class="n">${f.pvalue === null ? '—' : formatP(f.pvalue)}${f.adjusted_pvalue !== null && f.adjusted_pvalue !== f.pvalue ? ` <span class="muted">(adj. ${formatP(f.adjusted_pvalue)})</span>` : ''}</td><td class="n">${num(f.distance)}</td><td class="n">${num(f.threshold, 3)}${unit}</td>`;
}

/** A feature's own numbers: statistic, p-value and alpha for a p-value test; distance and threshold (with its unit) for a distance test. */
function measuredTable(f: FeatureDrift): string {
  const unit = f.unit ? ` <span class="muted">${esc(f.unit)}</span>` : '';
  if (f.pvalue !== null) return `<table><tr><th>statistic</th><th>p-value</th><th>alpha</th></tr><tr><td class="n">${num(f.statistic)}</td><td class="n">${formatP(f.pvalue)}${f.adjusted_pvalue !== null && f.adjusted_pvalue !== f.pvalue ? ` <span class="muted">(adj. ${formatP(f.adjusted_pvalue)})</span>` : ''}</td><td class="n">${num(f.threshold, 3)}</td></tr></table>`;
  return `<table><tr><th>distance</th><th>threshold</th></tr><tr><td class="n">${num(f.distance)}${f.distance !== null ? unit : ''}</td><td class="n">${num(f.threshold, 3)}${unit}</td></tr></table>`;
}

/** The report as a complete HTML document. */
export async function driftReportHtml(report: DriftReport, title = 'Data drift report'): Promise<string> {
  const charts = await Promise.all(
    report.features.map(async (f) => {
      const spec = distributionSpec(f, { width: 420, height: 150, theme: { foreground: '#59636e', background: 'transparent', fontSize: 11 } });
      return spec ? renderSvg(spec) : '';
    }),
  );
  const verdict = report.dataset_drift
    ? `Data set drift: ${report.drifted_features} of ${report.features.length} features drifted (${(100 * report.share).toFixed(1)}% ≥ ${100 * report.drift_share}%).`
    : `No data set drift: ${report.drifted_features} of ${report.features.length} features drifted (${(100 * report.share).toFixed(1)}% < ${100 * report.drift_share}%).`;
  const rows = report.features
    .map((f) => `<tr><td><a href="#f-${esc(encodeURIComponent(f.name))}">${esc(f.name)}</a></td><td>${f.type}</td><td>${f.test ?? '—'}</td>${valueCells(f)}<td>${badge(f)}</td></tr>`)
    .join('\n');
  const sections = report.features
    .map((f, i) => {
      const notes = [...f.reasons, ...f.notes, ...(f.error ? [`not tested: ${f.error}`] : [])];
      const missing = f.missing.reference + f.missing.current > 0 ? `<p class="muted">missing: ${(100 * f.missing.reference).toFixed(1)}% reference, ${(100 * f.missing.current).toFixed(1)}% current</p>` : '';
      return `<section class="feature" id="f-${esc(encodeURIComponent(f.name))}">
<div><h2>${esc(f.name)} ${badge(f)}</h2>
<p class="muted">${f.type} · ${f.test ?? 'no test'}</p>
${measuredTable(f)}
${missing}${notes.length > 0 ? `<ul>${notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>` : ''}</div>
<div role="img" aria-label="${esc(`${f.name}: reference vs current distribution`)}">${charts[i]}</div>
</section>`;
    })
    .join('\n');
  return reportPage(
    title,
    CSS,
    `<h1>${esc(title)}</h1>
<p class="muted">Reference: ${esc(report.reference.source)} (${report.reference.rows} rows) · Current: ${esc(report.current.source)} (${report.current.rows} rows) · α = ${report.alpha}, correction: ${report.correction}</p>
<div class="verdict${report.dataset_drift ? ' drift' : ''}" data-dataset-drift="${report.dataset_drift}"><strong>${esc(verdict)}</strong></div>
${report.skipped.length > 0 ? `<p class="muted" data-skipped>Not tested: ${report.skipped.map((s) => `${esc(s.name)} (${esc(s.reason)})`).join('; ')}.</p>` : ''}
<table>
<tr><th>feature</th><th>type</th><th>test</th><th>statistic</th><th>p-value</th><th>distance</th><th>threshold</th><th></th></tr>
${rows}
</table>
${sections}`,
  );
}
