import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CheckReport } from '../../server/src/check/check';
import { displayPath, formatReport, toJsonFindings } from '../../server/src/check/format';

const report: CheckReport = {
  manifestsChecked: 1,
  files: [
    {
      file: '/ws/a,b/mlops.yaml',
      findings: [
        { range: { start: { line: 2, character: 4 }, end: { line: 2, character: 9 } }, severity: 'error', code: 'yaml-syntax', message: 'bad: 100% wrong\nsecond line' },
        { range: { start: { line: 0, character: 0 }, end: { line: 0, character: 1 } }, severity: 'warning', code: 'manifest-empty', message: 'empty' },
      ],
    },
  ],
};

test('json findings are 1-based', () => {
  const [row] = toJsonFindings(report.files, '/ws');
  assert.deepEqual(row, { file: 'a,b/mlops.yaml', line: 3, column: 5, endLine: 3, endColumn: 10, severity: 'error', code: 'yaml-syntax', message: 'bad: 100% wrong\nsecond line' });
});

test('github annotations escape properties and data as GitHub Actions requires', () => {
  const out = formatReport(report, 'github', '/ws').split('\n');
  assert.equal(out[0], '::error file=a%2Cb/mlops.yaml,line=3,col=5,endLine=3,endColumn=10,title=mlops yaml-syntax::bad: 100%25 wrong%0Asecond line');
  assert.match(out[1], /^::warning file=/);
});

test('text output has one line per finding and a summary', () => {
  const out = formatReport(report, 'text', '/ws');
  assert.match(out, /^a,b\/mlops\.yaml:3:5: error \[yaml-syntax\]/);
  assert.match(out, /1 manifest checked: 1 error, 1 warning\.\n$/);
});

test('paths outside the working folder stay absolute', () => {
  assert.equal(displayPath('/elsewhere/mlops.yaml', '/ws'), '/elsewhere/mlops.yaml');
  assert.equal(displayPath('/ws/x/mlops.yaml', '/ws'), 'x/mlops.yaml');
});
