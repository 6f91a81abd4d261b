/**
 * Charts benchmark: 1,000 runs × 1,000 steps of one metric in a synthetic MLflow file store.
 *  - server side: histories read from the index, downsampled (LTTB) and shaped for the panel,
 *    against a floor of reading the same histories and copying the raw arrays (no downsampling);
 *  - the Vega-Lite spec built from that data;
 *  - Vega rendering it to SVG in Node (compile + dataflow + SVG), for the interactive chart the
 *    panel shows and the static one exports write. Target: drawn within 1 s after the data arrives;
 *  - for the same runs, the comparison (table, best run, specs) and its two charts rendered to SVG.
 * Medians over several rounds.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { metricHistoryData, metricHistorySpec, type ChartRun } from '../server/src/charts';
import { renderSvg, type RenderTimes } from '../server/src/charts/render';
import { comparisonData } from '../server/src/charts/comparison';
import { TrackingService } from '../server/src/tracking/service';
import { toRunInfo } from '../server/src/tracking/tree';
import { writeSyntheticMlruns } from '../test/helpers/synthetic-mlruns';
import { median, report } from './report';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const RUNS = 1_000;
const STEPS = 1_000;

function ms(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

async function main(): Promise<void> {
  const workspace = mkdtempSync(join(tmpdir(), 'mlops-bench-charts-'));
  try {
    const runIds = writeSyntheticMlruns(join(workspace, 'mlruns'), { experiments: 1, runsPerExperiment: RUNS, metrics: 1, steps: STEPS, params: 1 });
    const service = TrackingService.open(workspace);
    await service.refresh();
    const runs: ChartRun[] = service.runs().map((r) => ({ runId: r.runId, name: r.name, experiment: r.experimentName, status: r.status, metrics: r.metrics, source: service.repo }));
    if (runs.length !== RUNS) throw new Error(`expected ${RUNS} runs, got ${runs.length}`);

    const floor: number[] = [];
    const series: number[] = [];
    const wire: number[] = [];
    const spec: number[] = [];
    const compile: number[] = [];
    const render: number[] = [];
    const total: number[] = [];
    const exportRender: number[] = [];
    const comparison: number[] = [];
    const parallel: number[] = [];
    const scatter: number[] = [];
    let points = 0;
    let bytes = 0;
    for (let round = 0; round < ROUNDS; round++) {
      // Floor: the raw histories read and copied, as a panel without downsampling would need them.
      let t = process.hrtime.bigint();
      let copied = 0;
      for (const id of runIds) for (const h of service.repo.metricHistory(id, 'm0')) copied += Array.from(h.values).length + Array.from(h.steps).length;
      floor.push(ms(t));
      if (copied !== RUNS * STEPS * 2) throw new Error(`floor copied ${copied} values`);

      t = process.hrtime.bigint();
      const data = metricHistoryData(runs, { runIds, keys: ['m0'], x: 'step' });
      series.push(ms(t));
      points = data.series.reduce((n, s) => n + s.x.length, 0);

      t = process.hrtime.bigint();
      const json = JSON.stringify(data);
      const received = JSON.parse(json) as typeof data;
      wire.push(ms(t));
      bytes = json.length;

      // From here on, what happens after the data arrives in the webview.
      t = process.hrtime.bigint();
      const interactive = metricHistorySpec(received, { interactive: true });
      spec.push(ms(t));
      const times: RenderTimes = { compileMs: 0, renderMs: 0 };
      const svg = await renderSvg(interactive, times);
      compile.push(times.compileMs);
      render.push(times.renderMs);
      total.push(ms(t));
      if (!/mark-(line|rule) role-mark/.test(svg)) throw new Error('no lines rendered');

      t = process.hrtime.bigint();
      await renderSvg(metricHistorySpec(received, { interactive: false }));
      exportRender.push(ms(t));

      t = process.hrtime.bigint();
      const compared = comparisonData(service.runs().map(toRunInfo), { runIds });
      comparison.push(ms(t));
      if (!compared.parallel || !compared.scatter) throw new Error('no comparison charts');
      t = process.hrtime.bigint();
      await renderSvg(compared.parallel.spec as never);
      parallel.push(ms(t));
      t = process.hrtime.bigint();
      await renderSvg(compared.scatter.spec as never);
      scatter.push(ms(t));
    }
    await service.close();
    const seriesMs = median(series);
    const totalMs = median(total);
    report('charts', [
      { name: `runs × steps`, value: `${RUNS} × ${STEPS} (${(RUNS * STEPS).toLocaleString('en')} points)` },
      { name: 'points after LTTB', value: points },
      { name: 'floor: read + copy raw histories (ms)', value: median(floor) },
      { name: 'series + LTTB, from the index (ms)', value: seriesMs },
      { name: 'series + LTTB ÷ floor', value: seriesMs / median(floor) },
      { name: 'JSON over the wire (ms)', value: median(wire) },
      { name: 'JSON size (KB)', value: bytes / 1024 },
      { name: 'spec build (ms)', value: median(spec) },
      { name: 'vega-lite compile (ms)', value: median(compile) },
      { name: 'vega dataflow + SVG (ms)', value: median(render) },
      { name: 'data arrived → SVG, median (ms)', value: totalMs, target: '≤ 1000 ms', pass: totalMs <= 1000 },
      { name: 'static export SVG (ms)', value: median(exportRender) },
      { name: 'comparison: table, best run, specs (ms)', value: median(comparison) },
      { name: 'comparison: parallel coordinates → SVG (ms)', value: median(parallel) },
      { name: 'comparison: scatter → SVG (ms)', value: median(scatter) },
    ]);
  } finally {
    rmSync(workspace, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
