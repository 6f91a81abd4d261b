import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import {
  CodeActionRequest,
  CodeLensRequest,
  CompletionRequest,
  DefinitionRequest,
  DocumentSymbolRequest,
  HoverRequest,
  SemanticTokensRequest,
  type CodeAction,
  type CompletionItem,
  type CompletionList,
  type Diagnostic,
  type DocumentSymbol,
  type Location,
  type TextEdit,
} from 'vscode-languageserver-protocol/node';
import { LspSession } from '../helpers/lsp';
import { SHARED_FIXTURES, tempDir } from '../helpers/paths';

let lsp: LspSession;
let workspace: string;
let uri: string;
let version = 1;

const MANIFEST = `version: 1
tracking: [runs/]
models:
  churn:
    task: classification
    versions:
      "1": { path: models/a.onnx, run: run-a }
      "2": { path: models/b.onnx, run: run-b }
    aliases: { production: "1" }
    gates:
      accuracy: { min: 0.8 }
serving:
  endpoints:
    web:
      model: churn
      traffic: { "1": 60, "2": 30 }
experiments:
  ab:
    endpoint: web
    control: "1"
    treatment: "2"
    metric: accuracy
`;

before(async () => {
  workspace = tempDir('lsp-manifest');
  mkdirSync(join(workspace, 'models'));
  mkdirSync(join(workspace, 'runs'));
  for (const name of ['a', 'b', 'c']) copyFileSync(join(SHARED_FIXTURES, 'onnx', 'logreg_iris.onnx'), join(workspace, 'models', `${name}.onnx`));
  const run = (id: string, accuracy: number) =>
    [JSON.stringify({ type: 'run_start', run_id: id, experiment: 'churn', name: id, params: { C: '1' } }), JSON.stringify({ type: 'metric', key: 'accuracy', value: accuracy, step: 0 }), JSON.stringify({ type: 'run_end', status: 'FINISHED' }), ''].join('\n');
  writeFileSync(join(workspace, 'runs', 'run-a.jsonl'), run('run-a', 0.85));
  writeFileSync(join(workspace, 'runs', 'run-b.jsonl'), run('run-b', 0.75));
  writeFileSync(join(workspace, 'mlops.yaml'), MANIFEST);
  uri = pathToFileURL(join(workspace, 'mlops.yaml')).toString();
  lsp = new LspSession();
  await lsp.initialize(workspace);
  await lsp.open(uri, MANIFEST, version);
});

after(async () => {
  await lsp.shutdown();
});

/** Diagnostics once the index and the ONNX inspections have arrived (the server re-validates then). */
async function settledDiagnostics(predicate: (ds: Diagnostic[]) => boolean): Promise<Diagnostic[]> {
  return lsp.diagnosticsFor(uri, 0, predicate, 20_000);
}

const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle));
const at = (needle: string, offset = 0) => ({ line: lineOf(MANIFEST, needle), character: MANIFEST.split('\n')[lineOf(MANIFEST, needle)].indexOf(needle) + offset });

test('diagnostics use the index and the ONNX files: a split of 90, a failing gate, the non-tensor output', async () => {
  const ds = await settledDiagnostics((d) => d.some((x) => x.code === 'gate-failed') && d.some((x) => x.code === 'onnx-non-tensor-output'));
  const codes = ds.map((d) => d.code);
  assert.ok(codes.includes('traffic-sum'), codes.join(','));
  const gate = ds.find((d) => d.code === 'gate-failed')!;
  assert.match(String(gate.message), /0\.75/);
});

test('the quick fix scales the split to 100 and the diagnostic goes away', async () => {
  const ds = await settledDiagnostics((d) => d.some((x) => x.code === 'traffic-sum'));
  const diagnostic = ds.find((d) => d.code === 'traffic-sum')!;
  const actions = (await lsp.connection.sendRequest(CodeActionRequest.type, { textDocument: { uri }, range: diagnostic.range, context: { diagnostics: [diagnostic] } })) as CodeAction[];
  const normalize = actions.find((a) => a.title === 'Normalize traffic to 100%');
  assert.ok(normalize, actions.map((a) => a.title).join(', '));
  const edits = normalize.edit!.changes![uri] as TextEdit[];
  assert.deepEqual(edits.map((e) => e.newText), ['67', '33']);
  const lines = MANIFEST.split('\n');
  for (const e of [...edits].sort((x, y) => y.range.start.character - x.range.start.character)) {
    const l = lines[e.range.start.line];
    lines[e.range.start.line] = l.slice(0, e.range.start.character) + e.newText + l.slice(e.range.end.character);
  }
  const fixed = lines.join('\n');
  version++;
  await lsp.change(uri, version, fixed);
  const after = await lsp.diagnosticsForVersion(uri, version);
  assert.ok(!after.some((d) => d.code === 'traffic-sum'), after.map((d) => d.code).join(','));
  version++;
  await lsp.change(uri, version, MANIFEST);
});

test('completion offers schema keys, model names, version ids and run ids', async () => {
  const complete = async (line: number, character: number) => {
    const r = (await lsp.connection.sendRequest(CompletionRequest.type, { textDocument: { uri }, position: { line, character } })) as CompletionItem[] | CompletionList | null;
    return (Array.isArray(r) ? r : r?.items ?? []).map((i) => i.label);
  };
  const modelValue = at('model: churn', 'model: '.length);
  assert.ok((await complete(modelValue.line, modelValue.character)).includes('churn'));
  const control = at('control: "1"', 'control: '.length);
  assert.deepEqual((await complete(control.line, control.character)).sort(), ['1', '2']);
  const run = at('run: run-a', 'run: '.length);
  const runs = await complete(run.line, run.character);
  assert.ok(runs.includes('run-a') && runs.includes('run-b'), runs.join(','));
  const endpointKey = at('model: churn');
  const keys = await complete(endpointKey.line, endpointKey.character);
  for (const k of ['sticky', 'mirror', 'batching']) assert.ok(keys.includes(k), `${k} in ${keys.join(',')}`);
});

test('hover on a version shows its run metrics and the ONNX signature; on a gate, pass or fail per version', async () => {
  const hoverAt = async (p: { line: number; character: number }) => {
    const h = await lsp.connection.sendRequest(HoverRequest.type, { textDocument: { uri }, position: p });
    return h && typeof h.contents === 'object' && 'value' in h.contents ? h.contents.value : '';
  };
  const v1 = await hoverAt(at('"1": { path'));
  assert.match(v1, /accuracy \| 0\.85/);
  assert.match(v1, /float_input \| float32 \| \[\?, 4\]/);
  const gate = await hoverAt(at('accuracy: { min'));
  assert.match(gate, /\| 1 \| 0\.85 \| ✓ pass \|/);
  assert.match(gate, /\| 2 \| 0\.75 \| ✗ fails \|/);
});

test('go to definition: a model path opens the file; a version id jumps to its entry', async () => {
  const path = at('models/a.onnx', 2);
  const [file] = (await lsp.connection.sendRequest(DefinitionRequest.type, { textDocument: { uri }, position: path })) as Location[];
  assert.equal(file.uri, pathToFileURL(join(workspace, 'models', 'a.onnx')).toString());
  const alias = at('production: "1"', 'production: "'.length);
  const [entry] = (await lsp.connection.sendRequest(DefinitionRequest.type, { textDocument: { uri }, position: alias })) as Location[];
  assert.equal(entry.range.start.line, lineOf(MANIFEST, '"1": { path'));
});

test('outline and code lenses cover models, endpoints and experiments', async () => {
  const symbols = (await lsp.connection.sendRequest(DocumentSymbolRequest.type, { textDocument: { uri } })) as DocumentSymbol[];
  assert.deepEqual(symbols.map((s) => s.name), ['models', 'serving', 'experiments']);
  assert.deepEqual(symbols[0].children?.map((c) => c.name), ['churn']);
  const lenses = (await lsp.connection.sendRequest(CodeLensRequest.type, { textDocument: { uri } })) ?? [];
  assert.deepEqual(lenses.map((l) => l.command?.command), ['mlops.startServing', 'mlops.promoteVersion', 'mlops.rollback', 'mlops.startServing', 'mlops.analyzeExperiment']);
});

test('an unused .onnx file can be added as a version', async () => {
  const versions = at('versions:');
  const actions = (await lsp.connection.sendRequest(CodeActionRequest.type, { textDocument: { uri }, range: { start: versions, end: versions }, context: { diagnostics: [] } })) as CodeAction[];
  const add = actions.find((a) => a.title.startsWith('Add version 3'));
  assert.ok(add, actions.map((a) => a.title).join(', '));
  assert.match((add.edit!.changes![uri] as TextEdit[])[0].newText, /"3": \{ path: models\/c\.onnx \}/);
});

test('semantic tokens mark version ids, model, endpoint and metric names where they stand', async () => {
  const tokens = await lsp.connection.sendRequest(SemanticTokensRequest.type, { textDocument: { uri } });
  const data = tokens?.data ?? [];
  // Decode to (line, start, length, type).
  const decoded: [number, number, number, number][] = [];
  for (let i = 0, line = 0, start = 0; i < data.length; i += 5) {
    line += data[i];
    start = data[i] === 0 ? start + data[i + 1] : data[i + 1];
    decoded.push([line, start, data[i + 2], data[i + 3]]);
  }
  const text = (t: [number, number, number, number]) => MANIFEST.split('\n')[t[0]].slice(t[1], t[1] + t[2]);
  const model = decoded.find((t) => t[0] === lineOf(MANIFEST, 'model: churn'));
  assert.equal(text(model!), 'churn');
  assert.equal(model![3], 1); // class
  const control = decoded.find((t) => t[0] === lineOf(MANIFEST, 'control:'));
  assert.equal(text(control!), '"1"');
  assert.equal(control![3], 0); // enumMember
});
