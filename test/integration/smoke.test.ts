// `mlops smoke` against a real model server of the churn example (onnxruntime-node, HTTP on
// 127.0.0.1) in all three protocols, and against stand-ins in front of it that answer wrong labels
// or scores, slowly, with another signature, with a 500 or with a body that is not JSON.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, test } from 'node:test';
import { smokeCommand } from '../../server/src/cli/commands/smoke';
import { UsageError } from '../../server/src/cli/usage';
import { startModelServer, type ModelServer } from '../../server/src/serving/server';
import type { SmokeReport } from '../../server/src/smoke';
import { CLI, REPO, tempDir } from '../helpers/paths';
import { startStandin, type Standin, type StandinOptions } from '../helpers/smoke-standin';

async function smoke(args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await smokeCommand(args, { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s) });
  return { code, stdout, stderr, report: () => JSON.parse(stdout) as SmokeReport };
}

const codes = (r: SmokeReport, check?: string) => r.findings.filter((f) => check === undefined || f.check === check).map((f) => f.code);

describe('mlops smoke', () => {
  let dir: string;
  let server: ModelServer;
  const standins: Standin[] = [];
  const standin = async (o: Omit<StandinOptions, 'upstream'>) => {
    const s = await startStandin({ upstream: server.url, ...o });
    standins.push(s);
    return s;
  };

  before(async () => {
    // A copy: the server writes its prediction log into the workspace.
    dir = tempDir('smoke', 'examples/churn');
    server = await startModelServer({ workspaceRoot: dir, manifestPath: join(dir, 'mlops.yaml'), port: 0, watch: false });
  });
  after(async () => {
    await Promise.all(standins.map((s) => s.close()));
    await server.close();
  });

  for (const protocol of ['v2', 'v1', 'mlflow'] as const) {
    test(`passes against mlops serve of the example over ${protocol}`, async () => {
      const r = await smoke([server.url, dir, '--protocol', protocol, '--rows', '40', '--p95-ms', '5000', '--json']);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      const report = r.report();
      assert.equal(report.passed, true);
      assert.deepEqual(report.findings, []);
      assert.equal(report.rows.sent, 40);
      assert.equal(report.matched, 40);
      assert.equal(report.rows.from, 'monitoring.churn.reference');
      assert.match(report.rows.file, /data[\\/]reference\.csv$/);
      assert.equal(report.version, '1');
      assert.equal(report.versionReason, 'the production alias');
      assert.deepEqual(report.versions.sort(), ['1', '2']);
      // The 70/30 split answers from both versions (all 40 from one: 0.7^40 ≈ 6e-7), each compared with its own.
      assert.ok(report.answeredBy['1'] > 0 && report.answeredBy['2'] > 0, JSON.stringify(report.answeredBy));
      assert.equal(report.answeredBy['1'] + report.answeredBy['2'], 40);
      assert.equal(report.checks.health.status, 'pass');
      assert.equal(report.checks.metadata.status, protocol === 'v2' ? 'pass' : 'not checked');
      assert.equal(report.checks.latency.status, 'pass');
      assert.equal(report.latency.requests, 40);
      assert.ok(report.latency.p50Ms! > 0 && report.latency.p95Ms! >= report.latency.p50Ms!);
    });
  }

  test('the text report: every check, the rows sent, and the numbers for people', async () => {
    const r = await smoke([server.url, dir, '--rows', '12', '--batch', '4', '--p95-ms', '5000']);
    assert.equal(r.code, 0, r.stdout);
    assert.match(r.stdout, /^Smoke test of churn at http:\/\/127\.0\.0\.1:\d+ \(Open Inference Protocol V2\) against model churn\n/);
    assert.match(r.stdout, /rows: 12 of .*reference\.csv \(monitoring\.churn\.reference\), 4 rows per request/);
    assert.match(r.stdout, /PASS {2}health/);
    assert.match(r.stdout, /PASS {2}metadata {2}inputs and outputs/);
    assert.match(r.stdout, /PASS {2}answers {3}12 of 12 rows match: labels equal, scores within 0\.0001 \+ 0\.0001·\|expected\|/);
    assert.match(r.stdout, /PASS {2}latency {3}p50 \d+(\.\d)? ms, p95 \d+(\.\d)? ms, max .* over 3 requests vs a budget of 5\.00 s \(--p95-ms\)/);
    assert.match(r.stdout, /Smoke test passed: 12 rows in \d+\.\d s\.\n$/);
  });

  test('wrong labels and scores: exit 1, and the report names those rows, outputs and values', async () => {
    // The stand-in counts requests: each run gets its own, so that requests 3, 5 and 7 are rows 3, 5 and 7.
    const wrong = () => standin({ wrongLabels: new Set([3, 7]), shiftedScores: new Map([[5, 0.01]]) });
    const r = await smoke([(await wrong()).url, dir, '--rows', '10', '--p95-ms', '5000', '--json']);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    const report = r.report();
    assert.equal(report.passed, false);
    assert.deepEqual(report.findings.map((f) => [f.row, f.output, f.code]), [
      [3, 'label', 'label-mismatch'],
      [5, 'probability', 'score-mismatch'],
      [7, 'label', 'label-mismatch'],
    ]);
    assert.equal(report.matched, 7);
    for (const f of report.findings) {
      assert.match(f.file, /reference\.csv$/);
      assert.equal(f.line, f.row! + 1, 'the CSV line of the row');
      assert.ok(f.version === '1' || f.version === '2');
    }
    const label = report.findings[0];
    assert.notEqual(label.expected, label.got);
    assert.match(label.message, /^row 3, output label: expected [01] \(version [12]\), got [01]$/);
    assert.match(report.findings[1].message, /^row 5, output probability: expected 0\.\d+ \(version [12]\), got 0\.\d+: off by 0\.0100, more than 0\.0001 \+ 0\.0001·\|expected\|$/);
    assert.equal(report.checks.answers.status, 'fail');
    assert.equal(report.checks.health.status, 'pass');
    assert.equal(report.checks.metadata.status, 'pass');

    const text = await smoke([(await wrong()).url, dir, '--rows', '10', '--p95-ms', '5000']);
    assert.equal(text.code, 1);
    assert.match(text.stdout, /FAIL {2}answers {3}7 of 10 rows match/);
    assert.match(text.stdout, /reference\.csv:4: answers: row 3, output label: expected [01] \(version [12]\), got [01]\n.*reference\.csv:6: answers: row 5, output probability: .*\n.*reference\.csv:8: answers: row 7, output label: /);
    assert.match(text.stdout, /Smoke test failed: 3 findings \(answers\)\.\n$/);

    // KServe V1's per-row predictions: the same rows.
    const v1 = (await smoke([(await wrong()).url, dir, '--rows', '8', '--protocol', 'v1', '--p95-ms', '5000', '--json'])).report();
    assert.deepEqual(v1.findings.map((f) => [f.row, f.code]), [
      [3, 'label-mismatch'],
      [5, 'score-mismatch'],
      [7, 'label-mismatch'],
    ]);

    const github = await smoke([(await wrong()).url, dir, '--rows', '10', '--p95-ms', '5000', '--format', 'github']);
    assert.equal(github.code, 1);
    const annotations = github.stdout.split('\n').filter((l) => l.startsWith('::error '));
    assert.equal(annotations.length, 3, github.stdout);
    assert.match(annotations[0], /^::error file=[^,]*reference\.csv,line=4,col=1,endLine=4,endColumn=1,title=mlops smoke label-mismatch::churn at http:\/\/127\.0\.0\.1:\d+: row 3, output label: expected/);
  });

  test('slow answers: the p95 budget fails (from --p95-ms, else the model\'s p95_latency_ms gate) while the answers pass', async () => {
    const s = await standin({ delayMs: 120 });
    const r = await smoke([s.url, dir, '--rows', '6', '--p95-ms', '60', '--json']);
    assert.equal(r.code, 1);
    const report = r.report();
    assert.deepEqual(codes(report), ['p95-over-budget']);
    assert.equal(report.checks.answers.status, 'pass');
    assert.equal(report.checks.latency.status, 'fail');
    assert.ok(report.latency.p95Ms! >= 120, String(report.latency.p95Ms));
    assert.match(report.findings[0].message, /^p95 latency 1\d\d ms over 6 requests is over the budget of 60 ms \(--p95-ms\)/);

    const gate = (await smoke([s.url, dir, '--rows', '4', '--json'])).report();
    assert.equal(gate.latency.budgetMs, 50);
    assert.equal(gate.latency.budgetFrom, 'models.churn.gates.p95_latency_ms');
    assert.deepEqual(codes(gate), ['p95-over-budget']);
    assert.match(gate.findings[0].file, /mlops\.yaml$/);
    assert.equal(gate.findings[0].line, 26, 'the gate\'s max in mlops.yaml');

    // A per-request timeout below the delay: each row is a located timeout, not a hang.
    const timeout = (await smoke([s.url, dir, '--rows', '2', '--timeout-ms', '30', '--json'])).report();
    assert.deepEqual(codes(timeout, 'answers'), ['timeout', 'timeout']);
    assert.deepEqual(timeout.findings.filter((f) => f.check === 'answers').map((f) => f.row), [1, 2]);
    assert.match(timeout.findings[0].message, /^row 1: no answer within 30 ms \(--timeout-ms\)$/);
  });

  test('another signature in the metadata: located metadata findings; the answers still compared', async () => {
    const s = await standin({
      metadata: (m) => ({
        ...m,
        inputs: [{ name: 'features', datatype: 'FP64', shape: [-1, 25] }],
        outputs: m.outputs.filter((o) => o.name !== 'label').concat([{ name: 'probabilities', datatype: 'FP32', shape: [-1, 2] }]),
      }),
    });
    const r = await smoke([s.url, dir, '--rows', '3', '--p95-ms', '5000', '--json']);
    assert.equal(r.code, 1);
    const report = r.report();
    assert.equal(report.checks.metadata.status, 'fail');
    assert.equal(report.checks.answers.status, 'pass');
    const messages = report.findings.filter((f) => f.check === 'metadata').map((f) => f.message);
    assert.deepEqual(messages, [
      'input features: the endpoint says datatype FP64, version 1 has FP32',
      'input features: the endpoint says shape [-1, 25], version 1 has [-1, 26]',
      "output label (INT64 [-1, 1] in version 1) is not in the endpoint's metadata (its outputs: probability, probabilities)",
      'the endpoint has output probabilities, which version 1 has not',
    ]);
    for (const f of report.findings) {
      assert.match(f.file, /mlops\.yaml$/);
      assert.equal(f.line, 9, 'models.churn in mlops.yaml');
    }
  });

  test('a 500 and a body that is not JSON: findings with the error text, the other rows still checked', async () => {
    const s = await standin({ broken: new Map([[2, 'error' as const], [4, 'malformed' as const]]) });
    const r = await smoke([s.url, dir, '--rows', '5', '--p95-ms', '5000', '--json']);
    assert.equal(r.code, 1, r.stderr);
    const report = r.report();
    assert.deepEqual(report.findings.map((f) => [f.row, f.code]), [
      [2, 'http-error'],
      [4, 'bad-answer'],
    ]);
    assert.match(report.findings[0].message, /^row 2: POST \/v2\/models\/churn\/infer answered 500: CUDA out of memory$/);
    assert.match(report.findings[1].message, /^row 4: the answer is not JSON: \{"outputs"/);
    assert.equal(report.matched, 3);
  });

  test('an answer that names no version is accepted from either version of the split, and said so', async () => {
    const s = await standin({ hideVersion: true });
    const r = await smoke([s.url, dir, '--rows', '30', '--p95-ms', '5000', '--json']);
    assert.equal(r.code, 0, r.stdout);
    const report = r.report();
    assert.equal(report.matched, 30);
    assert.ok(report.answeredBy['1'] > 0 && report.answeredBy['2'] > 0, JSON.stringify(report.answeredBy));
    assert.match(report.checks.answers.note!, /else with whichever version of the split it matches/);

    // With --version staging an unnamed answer is tried against 2 first; the split's 1 is still accepted.
    const wrong = (await smoke([s.url, dir, '--rows', '30', '--p95-ms', '5000', '--json', '--model', 'churn', '--version', 'staging', '--input', join(dir, 'data', 'reference.csv')])).report();
    assert.equal(wrong.version, '2');
    assert.deepEqual(wrong.versions.sort(), ['1', '2'], 'the endpoint still splits: either is accepted');
    assert.equal(wrong.passed, true);
  });

  test('unready, unreachable and token-guarded endpoints', async () => {
    const unready = (await smoke([(await standin({ unready: true })).url, dir, '--rows', '2', '--json'])).report();
    assert.equal(unready.checks.health.status, 'fail');
    assert.match(unready.findings[0].message, /^GET \/v2\/health\/ready answered 503: model churn is still loading$/);
    assert.match(unready.findings[0].file, /mlops\.yaml$/);
    assert.equal(unready.findings[0].line, 31, 'serving.endpoints.churn');

    const closed = await standin({});
    const url = closed.url;
    await closed.close();
    const down = await smoke([url, dir, '--json']);
    assert.equal(down.code, 1);
    const report = down.report();
    assert.deepEqual(codes(report), ['unreachable']);
    assert.match(report.findings[0].message, /ECONNREFUSED/);
    assert.equal(report.rows.sent, 0);
    assert.equal(report.checks.answers.status, 'not checked');

    const guarded = await startModelServer({ workspaceRoot: dir, manifestPath: join(dir, 'mlops.yaml'), port: 0, watch: false, token: 's3cret' });
    try {
      const refused = (await smoke([guarded.url, dir, '--rows', '2', '--json'])).report();
      assert.equal(refused.passed, false);
      assert.match(refused.findings[0].message, /answered 401: missing or wrong bearer token/);
      const ok = await smoke([guarded.url, dir, '--rows', '2', '--p95-ms', '5000', '--header', 'Authorization: Bearer s3cret']);
      assert.equal(ok.code, 0, ok.stdout);
    } finally {
      await guarded.close();
    }
  });

  test('--remote-name: the model under another name on the endpoint', async () => {
    const r = await smoke([server.url, dir, '--remote-name', 'churn-prod', '--rows', '2', '--json']);
    assert.equal(r.code, 1);
    const report = r.report();
    assert.equal(report.remoteName, 'churn-prod');
    assert.match(report.findings[0].message, /^GET \/v2\/models\/churn-prod\/ready answered 404: unknown model "churn-prod"; served: churn$/);
  });

  test('bad usage is refused before anything is sent', async () => {
    // Thrown to the CLI's main, which prints them with the usage hint and exits 2 (see the bin/mlops.js test).
    for (const args of [[], ['not-a-url', dir], [server.url, dir, '--protocol', 'grpc'], [server.url, dir, '--rows', '0'], [server.url, dir, '--header', 'no colon'], [server.url, dir, '--format', 'xml'], [server.url, join(dir, 'nope')]]) {
      await assert.rejects(smoke(args), UsageError, args.join(' '));
    }
    const unknown = await smoke([server.url, dir, '--model', 'fraud', '--json']);
    assert.equal(unknown.code, 2);
    assert.match(JSON.parse(unknown.stdout).error, /no model or endpoint "fraud"/);
    const noVersion = await smoke([server.url, dir, '--version', 'canary']);
    assert.equal(noVersion.code, 2);
    assert.match(noVersion.stderr, /model churn has no version or alias "canary"/);
  });
});

/** A child process's whole output, without blocking this process's event loop (it serves the requests). */
function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

test('bin/mlops.js: smoke passes against `mlops serve` of the example and fails, located, against a wrong stand-in', async () => {
  const dir = tempDir('smoke-cli', 'examples/churn');
  const serve: ChildProcess = spawn(process.execPath, [CLI, 'serve', dir, '--port', '0', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let serveErr = '';
  serve.stderr!.on('data', (d) => (serveErr += d));
  const exited = new Promise<void>((resolve) => serve.once('exit', () => resolve()));
  let s: Standin | undefined;
  try {
    const line = await new Promise<string>((resolve, reject) => {
      createInterface({ input: serve.stdout! }).once('line', resolve);
      serve.once('exit', (code) => reject(new Error(`mlops serve exited with ${code}: ${serveErr}`)));
    });
    const url = (JSON.parse(line) as { url: string }).url;
    const ok = await run(['smoke', url, dir, '--rows', '20', '--p95-ms', '5000']);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, /PASS {2}answers {3}20 of 20 rows match/);

    s = await startStandin({ upstream: url, wrongLabels: new Set([4]) });
    const bad = await run(['smoke', s.url, dir, '--rows', '6', '--p95-ms', '5000', '--format', 'github']);
    assert.equal(bad.code, 1, bad.stdout + bad.stderr);
    assert.match(bad.stdout, /^::error file=[^,]*reference\.csv,line=5,col=1,endLine=5,endColumn=1,title=mlops smoke label-mismatch::churn at http:\/\/127\.0\.0\.1:\d+: row 4, output label: expected [01] \(version [12]\), got [01]\n/);
    assert.match(bad.stdout, /Smoke test failed: 1 finding \(answers\)\.\n$/);

    const usage = await run(['smoke', url, dir, '--protocol', 'grpc']);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /^mlops: --protocol must be one of v2, v1, mlflow, not "grpc"\nRun "mlops --help" for usage\.\n$/);
  } finally {
    await s?.close();
    serve.kill('SIGTERM');
    await exited;
  }
});
