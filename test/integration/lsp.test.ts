import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { Notifications, Requests, type ServerStatus, type WorkspaceSummary } from '../../server/src/contract';
import { LspSession } from '../helpers/lsp';
import { tempDir } from '../helpers/paths';

let lsp: LspSession;
let workspace: string;

before(async () => {
  workspace = tempDir('lsp', 'examples/churn');
  lsp = new LspSession();
  await lsp.initialize(workspace);
});

after(async () => {
  await lsp.shutdown();
  assert.equal(lsp.exitCode, 0);
});

const uriOf = (name: string) => pathToFileURL(join(workspace, name)).toString();

test('the server reports itself running with both native modules loaded', async () => {
  const status = await lsp.notification<ServerStatus>(Notifications.serverStatus.method);
  assert.equal(status.state, 'running');
  assert.equal(status.nodeVersion, process.version);
  assert.ok(status.natives.every((n) => n.ok));
  const asked = await lsp.connection.sendRequest<ServerStatus>(Requests.serverStatus.method, {});
  assert.equal(asked.state, 'running');
});

test('a YAML syntax error is published with its range, code and source, and cleared when fixed', async () => {
  const uri = uriOf('mlops.yaml');
  // By version: a publication for the previous version may still arrive after the next edit.
  await lsp.open(uri, 'version: 1\nmodels:\n  churn: {}\n');
  assert.deepEqual(await lsp.diagnosticsForVersion(uri, 1), []);

  await lsp.change(uri, 2, 'version: 1\nmodels:\n  churn:\n    task: classification\n   bad: indent\n');
  const [d] = await lsp.diagnosticsForVersion(uri, 2);
  assert.equal(d.source, 'mlops');
  assert.equal(d.code, 'yaml-syntax');
  assert.equal(d.severity, 1);
  assert.equal(d.range.start.line, 4);

  await lsp.change(uri, 3, 'version: 1\nmodels:\n  churn:\n    task: classification\n');
  assert.deepEqual(await lsp.diagnosticsForVersion(uri, 3), []);
});

test('every keystroke of a manifest typed out leaves the last diagnostics matching the last text', async () => {
  const uri = uriOf('typed/mlops.yaml');
  const text = 'version: 1\nserving: { port: 8080, host: 127.0.0.1 }\n';
  await lsp.open(uri, '', 1);
  for (let i = 1; i <= text.length; i++) await lsp.change(uri, i + 1, text.slice(0, i));
  // Halfway through, the flow map is open: an error. The final text is valid: nothing may be left.
  const half = text.indexOf('port:');
  assert.equal((await lsp.diagnosticsForVersion(uri, half + 1))[0]?.code, 'yaml-syntax');
  assert.deepEqual(await lsp.diagnosticsForVersion(uri, text.length + 1), []);
});

test('closing a manifest clears its diagnostics; other YAML files are ignored', async () => {
  const uri = uriOf('broken-closed/mlops.yaml');
  let mark = lsp.mark();
  await lsp.open(uri, 'a: [1\n');
  assert.equal((await lsp.diagnosticsFor(uri, mark)).length, 1);
  mark = lsp.mark();
  await lsp.close(uri);
  assert.deepEqual(await lsp.diagnosticsFor(uri, mark), []);

  const other = uriOf('other.yaml');
  await lsp.open(other, 'a: [1\n');
  // A manifest opened after it is answered, while other.yaml never is.
  mark = lsp.mark();
  const probe = uriOf('probe/mlops.yaml');
  await lsp.open(probe, 'version: 1\n');
  await lsp.diagnosticsFor(probe, mark);
  await assert.rejects(lsp.diagnosticsFor(other, 0, () => true, 300));
});

test('binary and huge documents are reported, and the server stays up', async () => {
  const uri = uriOf('bin/mlops.yaml');
  await lsp.open(uri, 'version: 1\u0000\u0001\u0002');
  assert.equal((await lsp.diagnosticsForVersion(uri, 1))[0].code, 'manifest-binary');
  await lsp.change(uri, 2, 'models: {}\n'.repeat(1_000_000));
  assert.equal((await lsp.diagnosticsForVersion(uri, 2))[0].code, 'manifest-too-large');
  const status = await lsp.connection.sendRequest<ServerStatus>(Requests.serverStatus.method, {});
  assert.equal(status.state, 'running');
});

test('the workspace summary lists manifests with their counts and tracking sources', async () => {
  writeFileSync(join(workspace, 'mlflow.db'), '');
  const summary = await lsp.connection.sendRequest<WorkspaceSummary>(Requests.workspaceSummary.method, {});
  assert.deepEqual(summary.folders, [workspace]);
  const root = summary.manifests.find((m) => m.file === join(workspace, 'mlops.yaml'));
  assert.ok(root, JSON.stringify(summary.manifests));
  assert.equal(root.errors, 0);
  assert.ok(summary.trackingSources.some((s) => s.kind === 'mlflow-sqlite'));
  assert.equal(summary.server.state, 'running');
});
