// The editor's side of `data:` over real LSP with the built server: diagnostics on declarations, hover
// with the file's observed statistics, completion of column names and data sets, and the "Infer
// expectations" lens, whose command the server runs and applies as a versioned workspace edit.
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { after, before, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { ApplyWorkspaceEditRequest, CodeLensRequest, DidChangeWatchedFilesNotification, DidSaveTextDocumentNotification, FileChangeType, CompletionRequest, ExecuteCommandRequest, HoverRequest, type CompletionItem, type TextDocumentEdit } from 'vscode-languageserver-protocol/node';
import { applyEdits } from '../../server/src/promotion/promotion';
import { Requests, type DataPanelData } from '../../server/src/contract';
import { validateData } from '../../server/src/validation';
import { LspSession } from '../helpers/lsp';
import { SHARED_FIXTURES, tempDir } from '../helpers/paths';

const TELCO = join(SHARED_FIXTURES, 'data', 'telco-churn.csv');
const MANIFEST = `version: 1
models:
  churn:
    input: customers
data:
  customers:
    path: data/customers.csv
    columns:
      tenure: { type: integer, min: 80, max: 10 }
      TotalCharge: { type: number }
      
`;

let lsp: LspSession;
let workspace: string;
let uri: string;

before(async () => {
  workspace = tempDir('lsp-data');
  mkdirSync(join(workspace, 'data'));
  copyFileSync(TELCO, join(workspace, 'data', 'customers.csv'));
  writeFileSync(join(workspace, 'mlops.yaml'), MANIFEST);
  uri = pathToFileURL(join(workspace, 'mlops.yaml')).toString();
  lsp = new LspSession();
  await lsp.initialize(workspace, { workspace: { applyEdit: true, workspaceEdit: { documentChanges: true } } });
  await lsp.open(uri, MANIFEST);
});

after(async () => {
  await lsp.shutdown();
});

test('declarations are checked as typed: min above max, a column the header does not have (with the fix)', async () => {
  const diagnostics = await lsp.diagnosticsForVersion(uri, 1);
  const codes = diagnostics.map((d) => `${d.code}@${d.range.start.line}`).sort();
  assert.deepEqual(codes, ['data-column-missing@9', 'expectation-order@8']);
  const missing = diagnostics.find((d) => d.code === 'data-column-missing')!;
  assert.match(String(missing.message), /has no column `TotalCharge`; did you mean `TotalCharges`\?/);
});

test('hover on a column shows what the file holds: nulls, numbers and their range, as Python reads them', async () => {
  const truth = JSON.parse(
    execFileSync('/usr/bin/python3', ['-c', `
import csv, json, sys
rows = list(csv.DictReader(open(sys.argv[1], newline='')))
t = [int(r['tenure']) for r in rows]
print(json.dumps({'rows': len(rows), 'min': min(t), 'max': max(t), 'mean': sum(t) / len(t), 'distinct': len(set(t))}))
`, TELCO]).toString(),
  ) as { rows: number; min: number; max: number; mean: number; distinct: number };
  const hover = await lsp.connection.sendRequest(HoverRequest.type, { textDocument: { uri }, position: { line: 8, character: 8 } });
  const text = (hover?.contents as { value: string }).value;
  assert.match(text, new RegExp(`\\*\\*tenure\\*\\* in \`data/customers.csv\` \\(${truth.rows.toLocaleString('en-US')} rows\\)`));
  assert.match(text, /\| nulls \| 0 \(0\.00%\) \|/);
  assert.match(text, new RegExp(`\\| distinct \\| ${truth.distinct} \\|`));
  assert.match(text, new RegExp(`\\| min · mean · max \\| ${truth.min} · ${Number(truth.mean.toPrecision(6)).toLocaleString('en-US', { maximumFractionDigits: 6 })} · ${truth.max} \\|`));
});

test('completion offers the header\'s columns not listed yet, and data sets for a model\'s input', async () => {
  const columns = (await lsp.connection.sendRequest(CompletionRequest.type, { textDocument: { uri }, position: { line: 10, character: 6 } })) as CompletionItem[];
  const labels = columns.map((c) => c.label);
  assert.ok(labels.includes('customerID') && labels.includes('TotalCharges'), labels.join(', '));
  assert.ok(!labels.includes('tenure'), 'a listed column is not offered again');
  const header = readFileSync(TELCO, 'utf8').split('\n')[0].trim().split(',');
  assert.equal(labels.length, header.length - 1);
  const inputs = (await lsp.connection.sendRequest(CompletionRequest.type, { textDocument: { uri }, position: { line: 3, character: 11 } })) as CompletionItem[];
  assert.deepEqual(inputs.map((c) => c.label), ['customers']);
});

test('the Infer expectations lens rewrites the data set from its file, and the result then passes', async () => {
  const lenses = await lsp.connection.sendRequest(CodeLensRequest.type, { textDocument: { uri } });
  const infer = (lenses ?? []).find((l) => l.command?.command === 'mlops.server.inferExpectations');
  assert.ok(infer?.command, JSON.stringify(lenses));
  assert.equal(infer.range.start.line, 5);
  let applied: TextDocumentEdit | undefined;
  lsp.connection.onRequest(ApplyWorkspaceEditRequest.type, ({ edit }) => {
    applied = edit.documentChanges?.[0] as TextDocumentEdit;
    return { applied: true };
  });
  await lsp.connection.sendRequest(ExecuteCommandRequest.type, { command: infer.command.command, arguments: infer.command.arguments });
  assert.ok(applied, 'the server applied an edit');
  assert.equal(applied.textDocument.version, 1);
  const next = applyEdits(MANIFEST, applied.edits.map((e) => ({ range: e.range, newText: 'newText' in e ? e.newText : '' })));
  assert.match(next, /^ {2}customers:\n {4}path: data\/customers\.csv\n {4}columns:\n {6}customerID: \{ type: string, unique: true, pattern: "\^\[0-9\]\{4\}-\[A-Z\]\{5\}\$", max_null_share: 0 \}/m);
  assert.match(next, /^models:\n {2}churn:\n {4}input: customers\n/m);
  writeFileSync(join(workspace, 'mlops.yaml'), next);
  const report = await validateData({ manifestPath: join(workspace, 'mlops.yaml'), workspaceRoot: workspace });
  assert.equal(report.errors + report.warnings, 0, JSON.stringify(report.datasets[0].results.filter((r) => !r.passed)));
  // The editor's view of the new text, once saved and its data checked again, has no problems either.
  const mark = lsp.mark();
  await lsp.change(uri, 2, next);
  await lsp.connection.sendNotification(DidSaveTextDocumentNotification.type, { textDocument: { uri } });
  const diagnostics = await lsp.diagnosticsFor(uri, mark, (d) => d.length === 0);
  assert.deepEqual(diagnostics.map((d) => d.code), []);
});

test('the Problems panel: a failing expectation of the saved manifest shows on its line, and goes when the data is fixed', async () => {
  const dir = tempDir('lsp-data-problems');
  mkdirSync(join(dir, 'data'));
  copyFileSync(TELCO, join(dir, 'data', 'customers.csv'));
  const text = 'version: 1\ndata:\n  customers:\n    path: data/customers.csv\n    columns:\n      TotalCharges: { type: number, max_null_share: 0 }\n';
  writeFileSync(join(dir, 'mlops.yaml'), text);
  const session = new LspSession();
  try {
    await session.initialize(dir, { workspace: { applyEdit: true, workspaceEdit: { documentChanges: true } } });
    const manifest = pathToFileURL(join(dir, 'mlops.yaml')).toString();
    await session.open(manifest, text);
    const found = await session.diagnosticsFor(manifest, 0, (d) => d.some((x) => x.code === 'data-max-null-share'));
    const problem = found.find((x) => x.code === 'data-max-null-share')!;
    assert.equal(problem.range.start.line, 5);
    assert.match(String(problem.message), /customers: `TotalCharges` has 11 nulls in 7,043 rows/);
    // The blanks filled in: the watcher's change reaches the server, the problem goes.
    const fixed = readFileSync(TELCO, 'utf8').replace(/, ,/g, ',0,');
    writeFileSync(join(dir, 'data', 'customers.csv'), fixed);
    const mark = session.mark();
    await session.connection.sendNotification(DidChangeWatchedFilesNotification.type, { changes: [{ uri: pathToFileURL(join(dir, 'data', 'customers.csv')).toString(), type: FileChangeType.Changed }] });
    const after = await session.diagnosticsFor(manifest, mark, (d) => !d.some((x) => x.code === 'data-max-null-share'));
    assert.deepEqual(after.map((d) => d.code), []);
    // The Validate Data panel's report: found by scanning the workspace, from the same core as mlops validate.
    const panel = await session.connection.sendRequest(Requests.validateData.method, {}) as DataPanelData;
    assert.equal(panel.manifest, join(dir, 'mlops.yaml'));
    assert.equal(panel.report?.passed, true);
    assert.equal(panel.report?.datasets[0].rows, 7043);
    assert.ok(panel.report?.datasets[0].profiles.find((p) => p.column === 'TotalCharges')?.histogram);
    const none = await session.connection.sendRequest(Requests.validateData.method, { manifest: join(dir, 'missing.yaml') }) as DataPanelData;
    assert.match(none.message ?? '', /Cannot read/);
  } finally {
    await session.shutdown();
  }
});
