// Experiment analysis: the churn example served for real with labelled Telco traffic, and A/A
// simulations written straight into a store to hold the false-positive rate to α.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { analyzeExperiment, analyzeObservations, loadObservations, resolveExperiment, type ExperimentSpec } from '../../server/src/experiments/analysis';
import { loadChurnDataset, type ChurnRows } from '../../server/src/example/churn-data';
import { readManifestModel } from '../../server/src/manifest/model';
import { parseManifest } from '../../server/src/manifest/parse';
import { startModelServer, type ModelServer } from '../../server/src/serving/server';
import { openStore } from '../../server/src/store/store';
import { seededRandom } from '../../server/src/util/random';
import { abCommand } from '../../server/src/cli/commands/ab';
import { tempDir } from '../helpers/paths';

let dir: string;
let server: ModelServer;
let rows: ChurnRows;

before(async () => {
  dir = tempDir('ab', 'examples/churn');
  server = await startModelServer({
    workspaceRoot: dir,
    manifestPath: join(dir, 'mlops.yaml'),
    port: 0,
    watch: false,
  });
  rows = loadChurnDataset(join(dir, 'data', 'telco-churn.csv')).test;
});

after(async () => {
  await server?.close();
});

function features(i: number): number[] {
  return Array.from(rows.x.data.subarray(i * rows.x.cols, (i + 1) * rows.x.cols));
}

async function post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; json: any; requestId: string | null }> {
  const res = await fetch(server.url + path, {
    method: 'POST',
    body: JSON.stringify(body),
    headers: { 'content-type': 'application/json', ...headers },
  });
  return {
    status: res.status,
    json: await res.json(),
    requestId: res.headers.get('x-request-id'),
  };
}

/** Every test row once through the endpoint (sticky by customer), each answered request followed by its true label. */
async function replay(): Promise<Map<string, number>> {
  const servedBy = new Map<string, number>();
  const CONCURRENCY = 32;
  let next = 0;
  const worker = async () => {
    while (next < rows.y.length) {
      const i = next++;
      const r = await post(
        '/v2/models/churn/infer',
        {
          inputs: [
            {
              name: 'features',
              datatype: 'FP32',
              shape: [1, 26],
              data: features(i),
            },
          ],
        },
        { 'x-user-id': rows.ids[i] },
      );
      assert.equal(r.status, 200, JSON.stringify(r.json));
      servedBy.set(rows.ids[i], Number(r.json.model_version));
      const fb = await post('/v2/models/churn/feedback', {
        id: r.requestId,
        label: rows.y[i],
      });
      assert.equal(fb.status, 200);
      assert.equal(fb.json.matched, true);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return servedBy;
}

/** Each version's label for every test row, asked of the version directly (one batch each). */
async function labelsOf(version: string): Promise<number[]> {
  const data = Array.from(rows.x.data);
  const r = await post(`/v2/models/churn/versions/${version}/infer`, {
    inputs: [{ name: 'features', datatype: 'FP32', shape: [rows.y.length, 26], data }],
  });
  assert.equal(r.status, 200);
  const label = r.json.outputs.find((o: { name: string }) => o.name === 'label');
  return label.data.map(Number);
}

test('serving the churn example: the analysis measures each variant and its CI holds the true difference', async () => {
  const servedBy = await replay();
  await server.logSettled();

  const manifest = readManifestModel(parseManifest(readFileSync(join(dir, 'mlops.yaml'), 'utf8')));
  const db = openStore(dir);
  const report = (() => {
    try {
      return analyzeExperiment(db, manifest, 'v2-vs-v1');
    } finally {
      db.close();
    }
  })();

  // Independently: both versions' answers on all rows, after the analysis (these requests are logged too).
  const [v1, v2] = [await labelsOf('1'), await labelsOf('2')];
  await server.logSettled();
  const acc = (labels: number[], pick: (i: number) => boolean) => {
    let n = 0;
    let hit = 0;
    for (let i = 0; i < rows.y.length; i++) if (pick(i)) (n++, (hit += Number(labels[i] === rows.y[i])));
    return { n, accuracy: hit / n };
  };
  const routedTo = (v: number) => (i: number) => servedBy.get(rows.ids[i]) === v;
  const control = acc(v1, routedTo(1));
  const treatment = acc(v2, routedTo(2));
  assert.equal(report.control.n, control.n);
  assert.equal(report.treatment.n, treatment.n);
  assert.equal(report.control.withFeedback, control.n);
  assert.ok(Math.abs(report.control.metrics.accuracy - control.accuracy) < 1e-12, `control accuracy ${report.control.metrics.accuracy} vs ${control.accuracy}`);
  assert.ok(Math.abs(report.treatment.metrics.accuracy - treatment.accuracy) < 1e-12);
  assert.equal(report.control.errorRate, 0);
  assert.ok(
    report.control.latency.p50! > 0 && report.control.latency.p50! <= report.control.latency.p95! && report.control.latency.p95! <= report.control.latency.p99!,
  );

  // The true effect: v2's accuracy minus v1's on the same (all) rows.
  const truth = acc(v2, () => true).accuracy - acc(v1, () => true).accuracy;
  assert.ok(truth > 0, `v2 is better on the test split (${truth})`);
  const d = report.difference!;
  assert.ok(Math.abs(d.estimate - (treatment.accuracy - control.accuracy)) < 1e-12);
  assert.ok(d.lower < truth && truth < d.upper, `the interval [${d.lower}, ${d.upper}] holds the true difference ${truth}`);
  assert.ok(report.sequential && d.method.includes('confidence sequence'));
  // 2113 customers cannot show a 1.3-point difference with a peeking-safe interval: it asks for more.
  assert.ok(['need-more-samples', 'inconclusive', 'treatment-better'].includes(report.verdict.kind), report.verdict.message);
  assert.notEqual(report.verdict.kind, 'treatment-worse');
  assert.equal(report.srm?.flagged, false, `sticky routing keeps the 70/30 split: ${JSON.stringify(report.srm)}`);
  assert.deepEqual(report.srm?.expected, [70, 30]);

  // The fixed-horizon analysis of the same log: a Wald interval, narrower than the sequence.
  const spec = {
    ...resolveExperiment(manifest, 'v2-vs-v1'),
    sequential: false,
  };
  const db2 = openStore(dir);
  const fixed = analyzeObservations(spec, loadObservations(db2, spec, { until: Date.now() }));
  db2.close();
  assert.ok(fixed.difference!.upper - fixed.difference!.lower < d.upper - d.lower);

  // The CLI prints the same report.
  const out: string[] = [];
  const html = join(dir, 'ab-report.html');
  const code = await abCommand(['v2-vs-v1', dir, '--json', '--html', html], {
    stdout: (s) => out.push(s),
    stderr: (s) => out.push(s),
  });
  assert.equal(code, 0, out.join(''));
  const printed = JSON.parse(out.join(''));
  // The batch asked of version 1 directly is one more logged request, without feedback.
  assert.equal(printed.control.n, report.control.n + 1);
  assert.equal(printed.control.withFeedback, report.control.withFeedback);
  assert.equal(printed.difference.estimate, d.estimate);
  // …with the metric over time: the last cumulative point of each variant is its overall figure.
  assert.ok(printed.timeline.bucketMs > 0 && printed.timeline.points.length >= 2);
  for (const [arm, variant] of [['control', report.control], ['treatment', report.treatment]] as const) {
    const points = printed.timeline.points.filter((p: { arm: string }) => p.arm === arm);
    assert.equal(points.reduce((n: number, p: { n: number }) => n + p.n, 0), printed[arm].n);
    assert.ok(Math.abs(points.at(-1).cumulative - variant.metrics.accuracy) < 1e-12, `${arm}: ${points.at(-1).cumulative} vs ${variant.metrics.accuracy}`);
  }
  // …and the standalone HTML report: the same verdict, both cards, both charts as inline SVG, nothing remote.
  const page = readFileSync(html, 'utf8');
  assert.match(page, new RegExp(`data-verdict="${printed.verdict.kind}"`));
  assert.equal((page.match(/<section class="card" data-arm=/g) ?? []).length, 2);
  assert.equal((page.match(/<svg/g) ?? []).length, 2);
  assert.doesNotMatch(page, /<script|https?:\/\/(?!www\.w3\.org)/);
  assert.match(page, /Content-Security-Policy" content="default-src 'none'/);
});

// ---------------------------------------------------------------------------------------------
// A/A simulations

const EXPERIMENTS = 200;
const PER_EXPERIMENT = 800;
const ALPHA = 0.05;
/** The expected count plus three binomial standard deviations. */
const TOLERATED = Math.floor(EXPERIMENTS * ALPHA + 3 * Math.sqrt(EXPERIMENTS * ALPHA * (1 - ALPHA)));

function aaSpec(i: number, sequential: boolean): ExperimentSpec {
  return {
    name: `aa-${i}`,
    endpoint: `aa-${i}`,
    model: 'm',
    control: '1',
    treatment: '2',
    task: 'classification',
    metric: 'accuracy',
    test: 'two-proportion',
    alpha: ALPHA,
    power: 0.8,
    sequential,
    split: [50, 50],
  };
}

test(`${EXPERIMENTS} A/A experiments: at most α false positives, fixed-horizon and sequential under continuous peeking`, () => {
  const root = tempDir('aa');
  const db = openStore(root);
  const random = seededRandom(20240611);
  const insertP = db.prepare(
    `INSERT INTO predictions (request_id, time, endpoint, model, version, protocol, outputs, latency_ms, status) VALUES (?, ?, ?, 'm', ?, 'v2', ?, ?, 200)`,
  );
  const insertF = db.prepare(`INSERT INTO feedback (request_id, time, endpoint, label) VALUES (?, ?, ?, ?)`);
  db.transaction(() => {
    for (let e = 0; e < EXPERIMENTS; e++) {
      for (let k = 0; k < PER_EXPERIMENT; k++) {
        const id = `${e}-${k}`;
        const label = random() < 0.3 ? 1 : 0;
        // Both versions are right 80% of the time.
        const predicted = random() < 0.8 ? label : 1 - label;
        const version = random() < 0.5 ? '1' : '2';
        insertP.run(id, 1000 + k, `aa-${e}`, version, `{"label":{"datatype":"INT64","shape":[1,1],"data":[${predicted}]}}`, 1 + random());
        insertF.run(id, 1000 + k, `aa-${e}`, label);
      }
    }
  })();

  let fixedPositives = 0;
  let sequentialPositives = 0;
  let looks = 0;
  for (let e = 0; e < EXPERIMENTS; e++) {
    const fixedSpec = aaSpec(e, false);
    const observations = loadObservations(db, fixedSpec);
    assert.equal(observations.length, PER_EXPERIMENT);
    const fixed = analyzeObservations(fixedSpec, observations);
    if (fixed.verdict.kind === 'treatment-better' || fixed.verdict.kind === 'treatment-worse') fixedPositives++;
    assert.equal(fixed.difference!.pvalue < ALPHA, fixed.verdict.kind.startsWith('treatment-'));
    // Peek after every 20 requests; stopping at the first decisive look is what counts.
    const seqSpec = aaSpec(e, true);
    for (let n = 20; n <= PER_EXPERIMENT; n += 20) {
      looks++;
      const kind = analyzeObservations(seqSpec, observations.slice(0, n)).verdict.kind;
      if (kind === 'treatment-better' || kind === 'treatment-worse') {
        sequentialPositives++;
        break;
      }
    }
  }
  db.close();
  assert.ok(fixedPositives <= TOLERATED, `fixed horizon: ${fixedPositives} of ${EXPERIMENTS} A/A tests significant (tolerated ${TOLERATED})`);
  assert.ok(fixedPositives >= 1, 'a fixed-horizon test at α = 0.05 finds some A/A differences (it is not trivially conservative)');
  assert.ok(
    sequentialPositives <= TOLERATED,
    `sequential with ${looks} looks: ${sequentialPositives} of ${EXPERIMENTS} A/A tests ever significant (tolerated ${TOLERATED})`,
  );
});
