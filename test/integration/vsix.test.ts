import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { REPO } from '../helpers/paths';

/** A VSIX for each platform, each with exactly that platform's native binaries. */
const TARGETS = ['linux-x64', 'linux-arm64', 'darwin-x64', 'darwin-arm64', 'win32-x64', 'win32-arm64'] as const;
const NATIVE = /\.(node|so(\.\d+)*|dll|dylib)$/;
const vsixOf = (target: string) => join(REPO, 'dist', `mlops-workbench-${target}.vsix`);
const entries = (target: string) => execFileSync('unzip', ['-Z1', vsixOf(target)], { encoding: 'utf8' }).trim().split('\n');
const ORT = 'extension/node_modules/onnxruntime-node/bin/napi-v6';

/** What each target must carry of native code, and nothing else. */
const EXPECTED_NATIVE: Record<(typeof TARGETS)[number], string[]> = {
  'linux-x64': [`${ORT}/linux/x64/libonnxruntime.so.1`, `${ORT}/linux/x64/onnxruntime_binding.node`],
  'linux-arm64': [`${ORT}/linux/arm64/libonnxruntime.so.1`, `${ORT}/linux/arm64/onnxruntime_binding.node`],
  // onnxruntime-node 1.30 ships no build for Intel Macs.
  'darwin-x64': [],
  'darwin-arm64': [`${ORT}/darwin/arm64/libonnxruntime.1.dylib`, `${ORT}/darwin/arm64/onnxruntime_binding.node`],
  'win32-x64': [`${ORT}/win32/x64/DirectML.dll`, `${ORT}/win32/x64/onnxruntime.dll`, `${ORT}/win32/x64/onnxruntime_binding.node`],
  'win32-arm64': [`${ORT}/win32/arm64/DirectML.dll`, `${ORT}/win32/arm64/onnxruntime.dll`, `${ORT}/win32/arm64/onnxruntime_binding.node`],
};

describe('platform VSIXes', () => {
  before(() => {
    const r = spawnSync(process.execPath, [join(REPO, 'scripts', 'package.mjs'), '--all-targets'], { cwd: REPO, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stdout.slice(-2000) + r.stderr);
  });

  for (const target of TARGETS) {
    test(`${target}: its own native binaries only, the same bundles, at most 25 MB, marked for ${target}`, () => {
      const files = entries(target);
      // better-sqlite3 goes only where it was built: this machine's platform.
      const sqlite = target === `${process.platform}-${process.arch}` ? ['extension/node_modules/better-sqlite3/build/Release/better_sqlite3.node'] : [];
      assert.deepEqual(files.filter((f) => NATIVE.test(f)).sort(), [...EXPECTED_NATIVE[target], ...sqlite].sort());
      for (const part of ['extension/dist/server/server.js', 'extension/dist/server/cli.js', 'extension/dist/server/log-writer.js', 'extension/dist/server/read-worker.js', 'extension/dist/client/main.js', 'extension/bin/mlops.js', 'extension/schemas/mlops.schema.json', 'extension/node_modules/onnxruntime-node/dist/index.js', 'extension/node_modules/onnxruntime-common/dist/cjs/package.json']) {
        assert.ok(files.includes(part), `${part} in ${target}`);
      }
      assert.deepEqual(files.filter((f) => /\.(ts|map)$/.test(f)), [], 'no sources, type declarations or source maps');
      assert.ok(statSync(vsixOf(target)).size <= 25 * 1024 * 1024);
      const manifest = execFileSync('unzip', ['-p', vsixOf(target), 'extension.vsixmanifest'], { encoding: 'utf8' });
      assert.match(manifest, new RegExp(`TargetPlatform="${target}"`));
    });
  }
});
