import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { test } from 'node:test';
import { TrackingService, type TrackingServiceOptions } from '../../server/src/tracking/service';
import type { RunRecord } from '../../server/src/tracking/model';
import { readStore, startMlflowStandin, type Standin } from '../helpers/mlflow-standin';
import { CLI, SHARED_FIXTURES, tempDir } from '../helpers/paths';

/**
 * Remote tracking against the MLflow REST stand-in (test/helpers/mlflow-standin.ts), over real HTTP on
 * 127.0.0.1: what is indexed from the server must equal what is indexed from the same store read
 * directly — runs, params, tags, latest metrics, full histories, experiments and the registry.
 */

const STORES = [
  join(SHARED_FIXTURES, 'mlflow-db', 'mlflow-1.x-2022.db'),
  join(SHARED_FIXTURES, 'mlruns', 'mlflow-2.4-registry', 'mlruns'),
  join(SHARED_FIXTURES, 'mlruns', 'mlflow-1.x-demo', 'mlruns'),
];

function remoteWorkspace(url: string): string {
  const dir = tempDir('remote');
  writeFileSync(join(dir, 'mlops.yaml'), `version: 1\ntracking: [${url}]\n`);
  return dir;
}

/** The same store as a local source of a workspace (copied: local sources stay inside the workspace). */
function localWorkspace(store: string): string {
  const dir = tempDir('local');
  const name = basename(store);
  cpSync(store, join(dir, name), { recursive: true });
  writeFileSync(join(dir, 'mlops.yaml'), `version: 1\ntracking: [${name}]\n`);
  return dir;
}

async function indexed(workspace: string, options: TrackingServiceOptions = {}): Promise<{ service: TrackingService; issues: string[] }> {
  const service = TrackingService.open(workspace, () => {}, options);
  const result = await service.refresh();
  return { service, issues: result.newIssues.map((i) => i.message) };
}

function sameNumber(a: number, b: number): boolean {
  return Object.is(a, b) || a === b;
}

async function withStandin<T>(options: Parameters<typeof startMlflowStandin>[0], body: (s: Standin) => Promise<T>): Promise<T> {
  const standin = await startMlflowStandin(options);
  try {
    return await body(standin);
  } finally {
    await standin.close();
  }
}

for (const store of STORES) {
  test(`indexed through the REST API = indexed from the store: ${store.slice(SHARED_FIXTURES.length + 1)}`, async () => {
    const snapshot = readStore(store);
    const pageSize = Math.max(1, Math.min(7, Math.floor(snapshot.runs.length / 2)));
    await withStandin({ snapshot, maxPageSize: pageSize, maxHistoryPageSize: 100 }, async (standin) => {
      const remote = await indexed(remoteWorkspace(standin.url), { pageSize: 500 });
      const local = await indexed(localWorkspace(store));
      try {
        assert.deepEqual(remote.issues, []);
        const remoteRuns = remote.service.runs({ includeDeleted: true });
        const localRuns = local.service.runs({ includeDeleted: true });
        assert.equal(remoteRuns.length, snapshot.runs.length);
        assert.equal(remoteRuns.length, localRuns.length);
        assert.ok(remoteRuns.length > pageSize, 'more runs than one page holds');
        assert.ok((standin.requests.get('runs/search') ?? 0) > 1, 'runs/search was paged');
        assert.equal(remoteRuns[0].sourceKind, 'mlflow-server');

        const byId = new Map(localRuns.map((r) => [r.runId, r]));
        let points = 0;
        for (const r of remoteRuns) {
          const l = byId.get(r.runId);
          assert.ok(l, `run ${r.runId} is in the store`);
          const pick = (x: typeof r) => [
            x.experimentId,
            x.experimentName,
            x.name,
            x.status,
            x.startTime,
            x.endTime,
            x.lifecycleStage,
            x.artifactUri,
            x.parentRunId,
            x.userId,
          ];
          assert.deepEqual(pick(r), pick(l), r.runId);
          assert.deepEqual(r.params, l.params, `params of ${r.runId}`);
          assert.deepEqual(r.tags, l.tags, `tags of ${r.runId}`);
          assert.deepEqual(Object.keys(r.metrics).sort(), Object.keys(l.metrics).sort(), `metric keys of ${r.runId}`);
          for (const key of Object.keys(l.metrics))
            assert.ok(sameNumber(r.metrics[key], l.metrics[key]), `latest ${key} of ${r.runId}: ${r.metrics[key]} vs ${l.metrics[key]}`);
          const rh = remote.service.repo.metricHistory(r.runId);
          const lh = local.service.repo.metricHistory(r.runId);
          assert.deepEqual(
            rh.map((h) => h.key),
            lh.map((h) => h.key),
          );
          for (let i = 0; i < lh.length; i++) {
            assert.deepEqual([...rh[i].steps], [...lh[i].steps], `steps of ${lh[i].key} in ${r.runId}`);
            assert.deepEqual([...rh[i].timestamps], [...lh[i].timestamps], `timestamps of ${lh[i].key} in ${r.runId}`);
            assert.deepEqual([...rh[i].values], [...lh[i].values], `values of ${lh[i].key} in ${r.runId}`);
            points += lh[i].values.length;
          }
        }
        assert.ok(points > 0);
        const pickExperiment = (e: { experimentId: string; name: string; lifecycleStage: string; runCount: number }) => [
          e.experimentId,
          e.name,
          e.lifecycleStage,
          e.runCount,
        ];
        assert.deepEqual(remote.service.repo.experiments().map(pickExperiment), local.service.repo.experiments().map(pickExperiment));
        const pickModel = (m: ReturnType<TrackingService['repo']['registeredModels']>[number]) => ({
          name: m.name,
          aliases: m.aliases,
          tags: m.tags,
          versions: m.versions.map((v) => [v.version, v.stage, v.aliases, v.runId, v.source, v.status]),
        });
        assert.deepEqual(remote.service.repo.registeredModels().map(pickModel), local.service.repo.registeredModels().map(pickModel));

        // A second read fetches no history: every run's fingerprint is unchanged.
        const historyCalls = standin.requests.get('metrics/get-history') ?? 0;
        const again = await remote.service.refresh();
        assert.deepEqual([again.runsRead, again.runsUnchanged, again.runsDeleted], [0, snapshot.runs.length, 0]);
        assert.equal(standin.requests.get('metrics/get-history') ?? 0, historyCalls);
      } finally {
        await remote.service.close();
        await local.service.close();
      }
    });
  });
}

test('the 1001-step history of the SQLite fixture comes back whole through pages of 10', async () => {
  const snapshot = readStore(STORES[0]);
  const longest = snapshot.runs
    .flatMap((r) => [...new Set(r.metrics.map((m) => m.key))].map((key) => ({ run: r, key, n: r.metrics.filter((m) => m.key === key).length })))
    .sort((a, b) => b.n - a.n)[0];
  assert.equal(longest.n, 1001);
  await withStandin({ snapshot }, async (standin) => {
    const { service } = await indexed(remoteWorkspace(standin.url), { pageSize: 10 });
    try {
      const [history] = service.repo.metricHistory(longest.run.runId, longest.key);
      assert.equal(history.values.length, 1001);
      assert.deepEqual(
        [...history.values],
        longest.run.metrics
          .filter((m) => m.key === longest.key)
          .sort((a, b) => a.step - b.step || a.timestamp - b.timestamp)
          .map((m) => m.value),
      );
      assert.ok((standin.requests.get('metrics/get-history') ?? 0) >= Math.ceil(1001 / 10));
    } finally {
      await service.close();
    }
  });
});

test('a server that wants a token: 401 is one clear issue, nothing crashes; with the token every run is read', async () => {
  const snapshot = readStore(STORES[1]);
  await withStandin({ snapshot, token: 's3cret-token' }, async (standin) => {
    const workspace = remoteWorkspace(standin.url);
    const service = TrackingService.open(workspace, () => {}, {});
    try {
      const denied = await service.refresh();
      assert.equal(denied.newIssues.length, 1);
      assert.match(
        denied.newIssues[0].message,
        /^the tracking server asks for a token: run "MLOps: Set MLflow Tracking Token" in the editor, or set MLFLOW_TRACKING_TOKEN for the CLI \(401 UNAUTHENTICATED: You are not authenticated/,
      );
      assert.equal(denied.newIssues[0].path, standin.url);
      assert.equal(service.runs().length, 0);

      service.configureRemote({ token: 'wrong' });
      const wrong = await service.refresh();
      assert.match(wrong.newIssues[0]?.message ?? '', /^the tracking server did not accept the token: .*\(401 /);
      assert.doesNotMatch(wrong.newIssues[0]?.message ?? '', /wrong/, 'the token itself is never in a message');

      service.configureRemote({ token: 's3cret-token' });
      const allowed = await service.refresh();
      assert.deepEqual(allowed.newIssues, []);
      assert.equal(service.runs({ includeDeleted: true }).length, snapshot.runs.length);
      assert.deepEqual(service.repo.issues(), [], 'the 401 issue is gone once the token works');
    } finally {
      await service.close();
    }
  });
});

test('server down: reported, what was indexed stays, nothing crashes; a port nobody listens on likewise', async () => {
  const snapshot = readStore(STORES[1]);
  const standin = await startMlflowStandin({ snapshot });
  const service = TrackingService.open(remoteWorkspace(standin.url), () => {}, { timeoutMs: 2000 });
  try {
    await service.refresh();
    const before = service.runs({ includeDeleted: true }).length;
    assert.equal(before, snapshot.runs.length);
    await standin.close();
    const down = await service.refresh();
    assert.equal(down.newIssues.length, 1);
    assert.equal(down.newIssues[0].message, 'cannot reach the tracking server: ECONNREFUSED (nothing listens there: is the server running?)');
    assert.equal(down.newIssues[0].path, standin.url);
    assert.equal(service.runs({ includeDeleted: true }).length, before, 'runs indexed before are kept');
    // From the start, with nothing there: the same one issue, no runs.
    const never = TrackingService.open(remoteWorkspace(standin.url), () => {}, {});
    const result = await never.refresh();
    await never.close();
    assert.deepEqual([result.runsRead, result.newIssues.length], [0, 1]);
    assert.match(result.newIssues[0].message, /ECONNREFUSED/);
  } finally {
    await service.close();
  }
});

test('polling: a new run on the server appears; an outage is reported once, not every interval', async () => {
  const snapshot = readStore(STORES[1]);
  const standin = await startMlflowStandin({ snapshot });
  const service = TrackingService.open(remoteWorkspace(standin.url), () => {}, { pollMs: 100, timeoutMs: 1000 });
  const changes: { runsRead: number; issues: string[] }[] = [];
  try {
    await service.refresh();
    await service.watch(
      (r) => changes.push({ runsRead: r.runsRead, issues: r.newIssues.map((i) => i.message) }),
      (message) => assert.fail(message),
    );
    const template = snapshot.runs[0];
    const added: RunRecord = {
      ...template,
      runId: 'f'.repeat(32),
      name: 'logged-later',
      startTime: Date.now(),
      metrics: [{ key: 'accuracy', value: 0.93, timestamp: Date.now(), step: 0 }],
    };
    snapshot.runs.push(added);
    await until(() => service.runs().some((r) => r.runId === added.runId));
    assert.equal(service.runs().find((r) => r.runId === added.runId)?.metrics.accuracy, 0.93);
    assert.ok(changes.some((c) => c.runsRead === 1));

    await standin.close();
    await until(() => changes.some((c) => c.issues.length > 0));
    await new Promise((r) => setTimeout(r, 600)); // several more polls against the dead server
    assert.equal(changes.filter((c) => c.issues.length > 0).length, 1, JSON.stringify(changes));
    assert.ok(
      service.runs().some((r) => r.runId === added.runId),
      'kept through the outage',
    );
  } finally {
    await service.close();
    await standin.close();
  }
});

test('mlops runs and mlops models read a tracking server with MLFLOW_TRACKING_TOKEN', async () => {
  const snapshot = readStore(STORES[1]);
  await withStandin({ snapshot, token: 'cli-token', maxPageSize: 3 }, async (standin) => {
    const workspace = remoteWorkspace(standin.url);
    const run = (args: string[], env: NodeJS.ProcessEnv) => {
      // Async spawn: the stand-in answers on this process's event loop.
      return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
        const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env } });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d: Buffer) => (stdout += d));
        child.stderr.on('data', (d: Buffer) => (stderr += d));
        child.on('close', (code) => resolve({ code, stdout, stderr }));
      });
    };
    const withToken = await run(['runs', workspace, '--json', '--all'], { MLFLOW_TRACKING_TOKEN: 'cli-token' });
    assert.equal(withToken.code, 0, withToken.stderr);
    const runs = JSON.parse(withToken.stdout) as { run_id: string; source: string }[];
    assert.equal(runs.length, snapshot.runs.length);
    const models = await run(['models', workspace, '--json'], { MLFLOW_TRACKING_TOKEN: 'cli-token' });
    const local = snapshot.registeredModels.map((m) => ({ name: m.name, versions: m.versions.map((v) => ({ version: v.version, stage: v.stage })) }));
    const listed = (JSON.parse(models.stdout) as { name: string; versions: { version: string; stage: string }[] }[]).map((m) => ({
      name: m.name,
      versions: m.versions.map((v) => ({ version: v.version, stage: v.stage })),
    }));
    assert.deepEqual(listed, local);

    const without = await run(['runs', tempCopy(workspace)], { MLFLOW_TRACKING_TOKEN: '' });
    assert.equal(without.code, 0);
    assert.match(without.stderr, /mlops: warning: http:\/\/127\.0\.0\.1:\d+: the tracking server asks for a token: .*\(401 /);
    assert.doesNotMatch(without.stderr, /cli-token/);
  });
});

test('mlops check: a tracking URL with another scheme or credentials is an error, plain http off this machine a warning', () => {
  const dir = tempDir('tracking-url');
  writeFileSync(
    join(dir, 'mlops.yaml'),
    'version: 1\ntracking: [ftp://files.example.com/mlruns, "https://user:pw@mlflow.example.com", http://mlflow.example.com:5000, http://localhost:5000]\n',
  );
  const r = spawnSync(process.execPath, [CLI, 'check', dir, '--format', 'json'], {
    encoding: 'utf8',
    env: { ...process.env, MLFLOW_TRACKING_TOKEN: '' },
    timeout: 60_000,
  });
  const findings = (JSON.parse(r.stdout) as { code: string; severity: string; column: number }[]).filter((f) => f.code.startsWith('tracking-'));
  assert.deepEqual(
    findings.map((f) => [f.code, f.severity]),
    [
      ['tracking-url', 'error'],
      ['tracking-url', 'error'],
      ['tracking-plain-http', 'warning'],
    ],
  );
  assert.equal(r.status, 1);
});

function tempCopy(workspace: string): string {
  const dir = tempDir('remote-copy');
  cpSync(join(workspace, 'mlops.yaml'), join(dir, 'mlops.yaml'));
  return dir;
}

async function until(probe: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!probe()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}
