import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { isMap, isScalar, isSeq, type Node, type Pair } from 'yaml';
import { checkParsed } from '../../server/src/check/check';
import { IncrementalManifestParser } from '../../server/src/manifest/incremental';
import { readManifestModel, type ManifestMemo } from '../../server/src/manifest/model';
import { parseManifest, type ParsedManifest } from '../../server/src/manifest/parse';
import { seededRandom } from '../../server/src/util/random';
import { largeManifest } from '../helpers/large-manifest';
import { REPO } from '../helpers/paths';

/** Every node's kind, value, style and offsets, so two parses can be compared whole. */
function shape(node: unknown): unknown {
  if (node === null || node === undefined) return null;
  if (isScalar(node)) return { s: node.value, type: node.type, range: node.range };
  if (isMap(node)) return { map: node.items.map((p: Pair) => [shape(p.key), shape(p.value)]), flow: node.flow ?? false, range: node.range };
  if (isSeq(node)) return { seq: node.items.map(shape), flow: node.flow ?? false, range: node.range };
  return { other: String(node), range: (node as Node).range };
}

/** `memo`: the reader's memory of earlier parses, which must not change what it reads. */
function assertSameAsWholeParse(incremental: ParsedManifest, text: string, label: string, memo: ManifestMemo = new WeakMap()): void {
  const whole = parseManifest(text);
  assert.deepEqual(incremental.findings, whole.findings, `${label}: parse findings`);
  assert.deepEqual(shape(incremental.document?.contents), shape(whole.document?.contents), `${label}: nodes`);
  assert.deepEqual(incremental.document?.range, whole.document?.range, `${label}: document range`);
  assert.deepEqual(incremental.lineCounter.lineStarts, whole.lineCounter.lineStarts, `${label}: line starts`);
  assert.deepEqual(valuesOf(incremental), valuesOf(whole), `${label}: values`);
  const model = readManifestModel(incremental, memo);
  assert.deepEqual(JSON.parse(JSON.stringify(model)), JSON.parse(JSON.stringify(readManifestModel(whole))), `${label}: manifest model`);
  assert.deepEqual(checkParsed(incremental, text, undefined, model), checkParsed(whole, text), `${label}: findings`);
}

function valuesOf(parsed: ParsedManifest): unknown {
  try {
    return parsed.document?.toJS({ mapAsMap: true });
  } catch (error) {
    return `throws: ${String(error)}`;
  }
}

const EDGES: Record<string, string> = {
  comments: '# head\n\nversion: 1 # one\nmodels:\n  # lead\n  a:\n    task: regression # t\n\n  # between\n  b: { task: classification }\n# trailing at column 0\nserving:\n  port: 8080\n# end\n',
  'sequence body': 'version: 1\ntracking:\n  - runs/\n  - mlruns\n',
  'flow section': 'version: 1\nmodels: { a: { task: regression } }\n',
  'empty section': 'version: 1\nmodels:\nserving:\n  port: 1\n',
  'duplicate entry': 'models:\n  a:\n    task: regression\n  a:\n    task: regression\n',
  'duplicate key': 'models:\n  a: 1\n  a: 2\n',
  'duplicate top key': 'version: 1\nversion: 2\n',
  anchors: 'models:\n  a: &base\n    task: regression\n  b: *base\n',
  tags: 'version: !!str 1\n',
  'two documents': 'version: 1\n---\nversion: 2\n',
  'flow split across lines': 'models:\n  a: { task: regression,\n  path: x }\n',
  'deeper indent then shallower': 'models:\n    a: 1\n  b: 2\n',
  'numeric keys': 'models:\n  m:\n    versions:\n      1: { path: a.onnx }\n      "1": { path: b.onnx }\n',
  'block scalar': 'models:\n  a:\n    description: |\n      text\n  b\n',
  'no final newline': 'version: 1\nmodels:\n  a:\n    task: regression',
  'crlf': 'version: 1\r\nmodels:\r\n  a: {}\r\n',
  'bom': '\uFEFFversion: 1\n',
  'top-level scalar': 'just text\n',
  'top-level sequence': '- a\n- b\n',
  'tabs': 'models:\n\ta: 1\n',
  'only comments': '# nothing\n',
  empty: '',
  'entry ending in a deeper comment': 'm:\n  a:\n    x: 1\n    # c\n  b: 2\n',
  'entry ending in a shallower comment': 'm:\n  a:\n    x: 1\n  # c\n  b: 2\n',
  'entry ending in a column-0 comment': 'm:\n  a:\n    x: 1\n# c\n  b: 2\n',
  'blank line then comment': 'm:\n  a:\n    x: 1\n\n    # c\n  b: 2\n',
  'flow value then comment': 'm:\n  a: { x: 1 }\n    # c\n  b: 2\n',
  'last entry then comment': 'm:\n  a:\n    x: 1\n    # c\nn: 2\n',
  'nested maps ending in a comment': 'm:\n  a:\n    x:\n      y: 1\n      # c\n  b: 2\n',
  'trailing spaces at the end': 'm:\n  a: 1\n  ',
  unicode: 'models:\n  模型:\n    task: regression # é\n  "ünï": {}\n',
};

test('a piecewise parse equals a whole parse, node for node, on real and odd manifests', () => {
  const corpus: Record<string, string> = {
    ...EDGES,
    churn: readFileSync(join(REPO, 'examples', 'churn', 'mlops.yaml'), 'utf8'),
    broken: readFileSync(join(REPO, 'examples', 'broken', 'mlops.yaml'), 'utf8'),
    large: largeManifest(30),
  };
  for (const [label, text] of Object.entries(corpus)) assertSameAsWholeParse(new IncrementalManifestParser().parse(text), text, label);
});

test('typing a manifest out character by character, one parser throughout, matches whole parses', () => {
  const text = readFileSync(join(REPO, 'examples', 'churn', 'mlops.yaml'), 'utf8');
  const parser = new IncrementalManifestParser();
  const memo: ManifestMemo = new WeakMap();
  let piecewise = 0;
  for (let n = 0; n <= text.length; n += 2) {
    assertSameAsWholeParse(parser.parse(text.slice(0, n)), text.slice(0, n), `prefix ${n}`, memo);
    if (parser.piecesParsed > 0) piecewise++;
  }
  // Most prefixes are valid YAML, and those must take the piecewise path for the comparison to mean anything.
  assert.ok(piecewise > text.length / 4, `${piecewise} of ${text.length + 1} prefixes parsed by pieces`);
});

for (const seed of [11, 12, 13]) test(`random edits, kept across parses, match whole parses (seed ${seed})`, () => {
  const random = seededRandom(seed);
  const alphabet = [' ', '\n', ':', '#', '-', '{', '}', ',', '"', '&a', '*a', '1', 'x', '  ', '\n  ', '\n    ', 'é'];
  let text = readFileSync(join(REPO, 'examples', 'churn', 'mlops.yaml'), 'utf8');
  const parser = new IncrementalManifestParser();
  const memo: ManifestMemo = new WeakMap();
  let piecewise = 0;
  for (let i = 0; i < 800; i++) {
    const at = Math.floor(random() * (text.length + 1));
    const roll = random();
    if (roll < 0.4 && text.length > 0) text = text.slice(0, at) + text.slice(at + 1 + Math.floor(random() * 3));
    else if (roll < 0.8) text = text.slice(0, at) + alphabet[Math.floor(random() * alphabet.length)] + text.slice(at);
    else {
      // Move a line elsewhere: whole entries shift, and their cached pieces with them.
      const lines = text.split('\n');
      const [line] = lines.splice(Math.floor(random() * lines.length), 1);
      lines.splice(Math.floor(random() * lines.length), 0, line);
      text = lines.join('\n');
    }
    assertSameAsWholeParse(parser.parse(text), text, `edit ${i}`, memo);
    if (parser.piecesParsed > 0) piecewise++;
    if (i % 100 === 99) text = readFileSync(join(REPO, 'examples', 'churn', 'mlops.yaml'), 'utf8'); // back to a valid start
  }
  assert.ok(piecewise > 150, `${piecewise} of 800 edited texts parsed by pieces`);
});

test('an edit inside one model re-parses that model only', () => {
  const text = largeManifest(200);
  const parser = new IncrementalManifestParser();
  const memo: ManifestMemo = new WeakMap();
  readManifestModel(parser.parse(text), memo);
  assert.ok(parser.piecesParsed > 400, `first parse: ${parser.piecesParsed} pieces`);
  const edited = text.replace('gates: { accuracy: { min: 0.8 }', 'gates: { accuracy: { min: 0.85 }');
  assertSameAsWholeParse(parser.parse(edited), edited, 'edited', memo);
  assert.equal(parser.piecesParsed, 1);
});
