import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkManifestBytes, checkManifestText } from '../../server/src/check/check';
import { isManifestPath, MAX_MANIFEST_BYTES } from '../../server/src/manifest/parse';

const codes = (text: string) => checkManifestText(text).map((f) => f.code);

test('a valid manifest has no findings', () => {
  assert.deepEqual(checkManifestText('version: 1\nmodels:\n  churn:\n    task: classification\n'), []);
});

test('an unclosed flow sequence is a located yaml-syntax error', () => {
  const findings = checkManifestText('version: 1\nmodels:\n  churn: [a, b\nserving: {}\n');
  assert.ok(findings.length >= 1);
  const first = findings[0];
  assert.equal(first.code, 'yaml-syntax');
  assert.equal(first.severity, 'error');
  // The error is on or after the line that opens the sequence, never at the top of the file.
  assert.ok(first.range.start.line >= 2, `line ${first.range.start.line}`);
});

test('a bad indent points at the offending line and column', () => {
  const text = 'version: 1\nmodels:\n  churn:\n    task: classification\n   bad: indent\n';
  const [f] = checkManifestText(text);
  assert.equal(f.code, 'yaml-syntax');
  assert.equal(f.range.start.line, 4);
  assert.ok(f.range.end.line > f.range.start.line || f.range.end.character > f.range.start.character, 'range is not empty');
});

test('a tab used for indentation is reported on its line', () => {
  const [f] = checkManifestText('version: 1\nmodels:\n\tchurn: {}\n');
  assert.equal(f.code, 'yaml-syntax');
  assert.equal(f.range.start.line, 2);
});

test('duplicate keys get their own code at the second key', () => {
  const findings = checkManifestText('version: 1\nmodels: {}\nmodels: {}\n');
  assert.deepEqual(findings.map((f) => [f.code, f.range.start.line]), [['duplicate-key', 2]]);
});

test('empty, whitespace-only and comment-only manifests are a warning, not an error', () => {
  for (const text of ['', '   \n\n', '# just a comment\n', '~\n']) {
    const findings = checkManifestText(text);
    assert.deepEqual(findings.map((f) => [f.code, f.severity]), [['manifest-empty', 'warning']], JSON.stringify(text));
  }
});

test('text that is not a YAML mapping is located', () => {
  for (const text of ['hello world\n', '- a\n- b\n', '42\n']) {
    const findings = checkManifestText(text);
    assert.deepEqual(findings.map((f) => f.code), ['manifest-not-mapping'], text);
    assert.equal(findings[0].range.start.line, 0);
  }
});

test('binary content is refused with a clear reason', () => {
  const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d]);
  assert.deepEqual(checkManifestBytes(png).map((f) => f.code), ['manifest-binary']);
  assert.match(checkManifestBytes(png)[0].message, /NUL/);
  const latin1 = Buffer.from([0x76, 0x3a, 0x20, 0xe9, 0x0a]); // "v: é" in Latin-1 is not UTF-8
  assert.match(checkManifestBytes(latin1)[0].message, /UTF-8/);
});

test('a manifest over the size limit is refused without parsing', () => {
  const big = Buffer.alloc(10 * 1024 * 1024, 'a: 1\n');
  const started = process.hrtime.bigint();
  const findings = checkManifestBytes(big);
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  assert.deepEqual(findings.map((f) => f.code), ['manifest-too-large']);
  assert.match(findings[0].message, /10\.0 MB/);
  assert.ok(ms < 1000, `took ${ms} ms`);
  assert.ok(MAX_MANIFEST_BYTES < big.length);
});

test('unicode, a BOM and CRLF line endings parse cleanly', () => {
  assert.deepEqual(codes('\uFEFFversion: 1\r\nmodels:\r\n  модель:\r\n    task: classification # 🚀\r\n'), []);
});

test('an error on a CRLF file keeps the right line', () => {
  const [f] = checkManifestText('version: 1\r\nmodels:\r\n  a: [1\r\n');
  assert.equal(f.code, 'yaml-syntax');
  assert.ok(f.range.start.line >= 2);
});

test('every prefix of a manifest (typing it out) yields findings without throwing', () => {
  const text = 'version: 1\nmodels:\n  churn:\n    versions:\n      "1": { path: models/a.onnx }\n    aliases: { production: "1" }\nserving:\n  port: 8080\n';
  for (let i = 0; i <= text.length; i++) {
    const findings = checkManifestText(text.slice(0, i));
    for (const f of findings) {
      assert.ok(f.range.start.line >= 0 && f.range.start.character >= 0);
      assert.ok(f.range.end.line > f.range.start.line || f.range.end.character > f.range.start.character);
    }
  }
});

test('random bytes never throw', () => {
  let seed = 42;
  const next = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff);
  for (let i = 0; i < 300; i++) {
    const bytes = Buffer.alloc(next() % 400, 0);
    for (let j = 0; j < bytes.length; j++) bytes[j] = next() % 128; // ASCII noise, incl. YAML punctuation
    assert.ok(Array.isArray(checkManifestBytes(bytes)));
  }
});

test('a GitHub Actions workflow named mlops.yml is not a manifest', () => {
  assert.equal(isManifestPath('/repo/app/mlops.yml'), true);
  assert.equal(isManifestPath('/repo/mlops.yaml'), true);
  assert.equal(isManifestPath('/repo/.github/workflows/mlops.yml'), false);
  assert.equal(isManifestPath('C:\\repo\\.github\\workflows\\mlops.yml'), false);
  assert.equal(isManifestPath('/repo/workflows/mlops.yml'), true);
});
