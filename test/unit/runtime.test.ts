import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { resolveServerRuntime } from '../../client/src/runtime';
import { tempDir } from '../helpers/paths';

test('the setting wins when it names an executable', () => {
  assert.deepEqual(resolveServerRuntime(process.execPath, ''), { path: process.execPath, origin: 'setting', env: {} });
});

test('a setting that is not an executable is an error that names it', () => {
  const r = resolveServerRuntime('/no/such/node', '');
  assert.ok('error' in r);
  assert.match(r.error, /\/no\/such\/node/);
});

test('node on PATH comes next, skipping folders without an executable node', () => {
  const dir = tempDir('path');
  const empty = join(dir, 'empty');
  const notExec = join(dir, 'noexec');
  const bin = join(dir, 'bin');
  for (const d of [empty, notExec, bin]) mkdirSync(d);
  writeFileSync(join(notExec, 'node'), '');
  chmodSync(join(notExec, 'node'), 0o644);
  writeFileSync(join(bin, 'node'), '#!/bin/sh\n');
  chmodSync(join(bin, 'node'), 0o755);
  const r = resolveServerRuntime('', [empty, notExec, bin].join(':'));
  assert.deepEqual(r, { path: join(bin, 'node'), origin: 'PATH', env: {} });
});

test('without node on PATH, the host runtime runs as Node', () => {
  const r = resolveServerRuntime('', '');
  assert.deepEqual(r, { path: process.execPath, origin: 'extension host', env: { ELECTRON_RUN_AS_NODE: '1' } });
});
