// What each platform's VSIX carries of the native modules. onnxruntime-node is N-API, so one binary
// per platform serves every Node and Electron; better-sqlite3 is built for one Node ABI on this
// machine, so only the VSIX of this machine's platform carries it (the others use node:sqlite).
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const ORT = 'node_modules/onnxruntime-node/bin/napi-v6';

/** vsce target → onnxruntime-node's binary files for it (none: onnxruntime-node 1.30 ships no darwin-x64 build). */
export const TARGETS = {
  'linux-x64': [`${ORT}/linux/x64/onnxruntime_binding.node`, `${ORT}/linux/x64/libonnxruntime.so.1`],
  'linux-arm64': [`${ORT}/linux/arm64/onnxruntime_binding.node`, `${ORT}/linux/arm64/libonnxruntime.so.1`],
  // The binding loads @rpath/libonnxruntime.1.dylib; the package's second, versioned copy is left out.
  'darwin-arm64': [`${ORT}/darwin/arm64/onnxruntime_binding.node`, `${ORT}/darwin/arm64/libonnxruntime.1.dylib`],
  'darwin-x64': [],
  // dxcompiler.dll and dxil.dll are optional (WebGPU shader compilation); DirectML.dll is linked.
  'win32-x64': [`${ORT}/win32/x64/onnxruntime_binding.node`, `${ORT}/win32/x64/onnxruntime.dll`, `${ORT}/win32/x64/DirectML.dll`],
  'win32-arm64': [`${ORT}/win32/arm64/onnxruntime_binding.node`, `${ORT}/win32/arm64/onnxruntime.dll`, `${ORT}/win32/arm64/DirectML.dll`],
};

/** better-sqlite3 and what it requires at run time. */
const BETTER_SQLITE3 = [
  'node_modules/better-sqlite3/package.json',
  'node_modules/better-sqlite3/lib/**',
  'node_modules/better-sqlite3/build/Release/better_sqlite3.node',
  'node_modules/bindings/package.json',
  'node_modules/bindings/bindings.js',
  'node_modules/bindings/LICENSE.md',
  'node_modules/file-uri-to-path/package.json',
  'node_modules/file-uri-to-path/index.js',
  'node_modules/file-uri-to-path/LICENSE',
];

export function hostTarget() {
  return `${process.platform}-${process.arch}`;
}

/** The files (globs) a target's VSIX carries beyond what every VSIX carries. */
export function filesForTarget(target, root = new URL('..', import.meta.url).pathname) {
  const onnx = TARGETS[target];
  for (const file of onnx) if (!existsSync(join(root, file))) throw new Error(`${file} is missing: onnxruntime-node changed its layout`);
  const sqlite = target === hostTarget() && existsSync(join(root, 'node_modules/better-sqlite3/build/Release/better_sqlite3.node')) ? BETTER_SQLITE3 : [];
  return [...onnx, ...sqlite];
}
