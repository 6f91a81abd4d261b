// The language server's canary guard fed the model server's numbers directly: what it does to
// mlops.yaml on disk and to the editor's unsaved copy when the editor cannot take the rollback,
// or when that copy is half typed. (canary-guard.test.ts runs it end to end with real traffic.)
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { AutoRollbackEvent } from '../../server/src/contract';
import { CanaryGuardHost, type OpenManifest } from '../../server/src/lsp/canary-guard-host';
import { history } from '../../server/src/promotion/promotion';
import type { EndpointSummary } from '../../server/src/serving/http';
import type { SeriesStats } from '../../server/src/serving/metrics';
import { openStore } from '../../server/src/store/store';
import { GUARDED_MANIFEST } from '../helpers/canary';
import { tempDir } from '../helpers/paths';

const ROLLED_BACK = GUARDED_MANIFEST;
const SPLIT = ROLLED_BACK.replace('traffic: { "1": 100 }', 'traffic: { "1": 90, "2": 10 }');

const served = (traffic: Record<string, number>): EndpointSummary[] => [
  { name: 'churn', model: 'churn', traffic, versions: Object.keys(traffic).map((id) => ({ id, loaded: true, batching: false })) },
];
const stats = (control: [number, number], canary: [number, number]): SeriesStats[] =>
  [
    ['1', control],
    ['2', canary],
  ].map(([version, [requests, errors]]) => ({ endpoint: 'churn', version: version as string, requests: requests as number, protocols: { v2: requests as number }, errors: errors as number, requestsPerSecond: 0, p50: 1, p95: 1, p99: 1 }));

interface Harness {
  folder: string;
  manifest: string;
  events: AutoRollbackEvent[];
  edits: string[];
  guard: CanaryGuardHost;
}

function harness(open: (path: string) => OpenManifest | undefined, editorTakesEdits: boolean): Harness {
  const folder = tempDir('guard-host');
  const manifest = join(folder, 'mlops.yaml');
  writeFileSync(manifest, SPLIT);
  openStore(folder).close();
  const events: AutoRollbackEvent[] = [];
  const edits: string[] = [];
  const guard = new CanaryGuardHost({
    notify: (event) => events.push(event),
    log: () => {},
    openManifest: open,
    editOpen: async (_document, e) => {
      edits.push(JSON.stringify(e));
      return editorTakesEdits;
    },
  });
  return { folder, manifest, events, edits, guard };
}

/** The split's first numbers are the baseline; the next ones have the canary failing every request. */
async function tripGuard(h: Harness): Promise<void> {
  h.guard.observe(h.folder, served({ '1': 90, '2': 10 }), stats([100, 0], [10, 0]));
  h.guard.observe(h.folder, served({ '1': 90, '2': 10 }), stats([400, 0], [50, 40]));
  const deadline = Date.now() + 5_000;
  while (h.events.length === 0) {
    assert.ok(Date.now() < deadline, 'the guard did not act');
    await new Promise((resolve) => setImmediate(resolve));
  }
}

test('the editor refuses the edit of its unsaved copy: the file is rolled back, and the user is told that saving would undo it', async () => {
  const h = harness((path) => ({ uri: `file://${path}`, version: 7, text: `# typed, not saved\n${SPLIT}` }), false);
  await tripGuard(h);
  assert.equal(readFileSync(h.manifest, 'utf8'), ROLLED_BACK);
  assert.equal(h.edits.length, 1, 'the edit was offered to the editor');
  assert.match(h.events[0].summary, /^Auto-rollback: canary "2" on endpoint churn is worse than control "1" /);
  assert.match(h.events[0].summary, /mlops\.yaml has unsaved edits that could not take the rollback: saving them would give the canary its traffic back\.$/);
  const db = openStore(h.folder);
  assert.equal(history(db, 'churn')[0].evidence.reason, 'auto-rollback');
  db.close();
});

test('a half-typed unsaved copy that does not parse: the file is rolled back all the same, and the user is told', async () => {
  const h = harness((path) => ({ uri: `file://${path}`, version: 3, text: SPLIT.replace('models:\n', 'models:\n  churn: [\n') }), true);
  await tripGuard(h);
  assert.equal(readFileSync(h.manifest, 'utf8'), ROLLED_BACK);
  assert.equal(h.edits.length, 0, 'nothing to offer: no plan fits that text');
  assert.match(h.events[0].summary, /could not take the rollback/);
});

test('an open copy equal to the file is left to the editor (it reloads it): no edit, no note', async () => {
  const h = harness((path) => ({ uri: `file://${path}`, version: 1, text: SPLIT }), true);
  await tripGuard(h);
  assert.equal(readFileSync(h.manifest, 'utf8'), ROLLED_BACK);
  assert.equal(h.edits.length, 0);
  assert.doesNotMatch(h.events[0].summary, /unsaved/);
});

test('a split rolled back is not judged twice while the model server still serves it, but is judged again once served anew', async () => {
  const h = harness(() => undefined, true);
  await tripGuard(h);
  // The model server has not reloaded yet: the same numbers again change nothing.
  h.guard.observe(h.folder, served({ '1': 90, '2': 10 }), stats([500, 0], [60, 50]));
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(h.events.length, 1);
  // It reloads (100 % to "1"), then someone gives "2" its 10 % again: the guard watches from there.
  h.guard.observe(h.folder, served({ '1': 100 }), stats([600, 0], [60, 50]));
  writeFileSync(h.manifest, SPLIT);
  h.guard.observe(h.folder, served({ '1': 90, '2': 10 }), stats([700, 0], [60, 50]));
  h.guard.observe(h.folder, served({ '1': 90, '2': 10 }), stats([710, 0], [65, 50]));
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(h.events.length, 1, 'too few canary requests since the split came back (5 < min_requests 20)');
  h.guard.observe(h.folder, served({ '1': 90, '2': 10 }), stats([900, 0], [90, 75]));
  const deadline = Date.now() + 5_000;
  while (h.events.length < 2) {
    assert.ok(Date.now() < deadline, 'the guard did not act on the split given again');
    await new Promise((resolve) => setImmediate(resolve));
  }
  assert.equal(readFileSync(h.manifest, 'utf8'), ROLLED_BACK);
});
