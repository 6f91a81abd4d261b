// The sidebar rows say one figure each, so nothing is cut off at the default width; the rest is in
// the tooltip.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ExperimentSummary } from '../../server/src/tracking/repository';
import { ExperimentTree, modelNodes } from '../../server/src/tracking/tree';

function experiment(sourceId: number, sourcePath: string, name: string, experimentId = '0'): ExperimentSummary {
  return { sourceId, sourcePath, sourceKind: 'mlflow-file-store', experimentId, name, artifactLocation: null, lifecycleStage: 'active', creationTime: null, lastUpdateTime: null, tags: {}, runCount: 2 };
}

test('experiment rows: the run count, and the source only where two rows would read the same', () => {
  const tree = new ExperimentTree({
    experiments: [experiment(1, '/w/a/mlruns', 'Gabriel_Neil_Project'), experiment(2, '/w/b/mlruns', 'Default'), experiment(3, '/w/c/mlruns', 'Default')],
    runs: [],
    totals: new Map([['exp:1:0', 2], ['exp:2:0', 2], ['exp:3:0', 2]]),
    issues: [],
    keyMetric: '',
    filtered: false,
    multipleSources: true,
  });
  const rows = tree.childrenOf(null);
  assert.deepEqual(rows.map((r) => [r.label, r.description]), [
    ['Gabriel_Neil_Project', '2 runs'],
    ['Default', '2 runs · b/mlruns'],
    ['Default', '2 runs · c/mlruns'],
  ]);
  assert.match(rows[0].tooltip ?? '', /Source: `\/w\/a\/mlruns` \(a\/mlruns\)/);
});

test('model rows: the aliases (or the version count), with both in the tooltip', () => {
  const version = (v: string, aliases: string[] = []) => ({ name: "m", version: v, aliases, stage: "None", runId: null, source: null, status: null, creationTime: null, lastUpdatedTime: null, description: null, tags: {} });
  const { roots } = modelNodes(
    [
      { name: 'churn', description: null, creationTime: null, lastUpdatedTime: null, tags: {}, aliases: { production: '1' }, versions: [version('1', ['production']), version('2')], sourcePath: '/w/mlops.yaml' },
      { name: 'iris', description: null, creationTime: null, lastUpdatedTime: null, tags: {}, aliases: {}, versions: [version('1')], sourcePath: '/w/mlruns' },
    ],
    new Set(),
  );
  assert.deepEqual(roots.map((r) => r.description), ['@production→1', '1 version']);
  assert.match(roots[0].tooltip ?? '', /2 versions · @production→1/);
});
