import type { NativeModuleStatus, ServerStatus } from '../contract';

/**
 * Load the native modules the server depends on and report, per module, whether it works on this
 * Node runtime. better-sqlite3 is built for one Node ABI; a mismatch (e.g. Electron's Node) fails here.
 */
export function probeNativeModules(): NativeModuleStatus[] {
  return [probe('better-sqlite3', probeSqlite), probe('onnxruntime-node', probeOnnxRuntime)];
}

function probe(name: string, load: () => string): NativeModuleStatus {
  try {
    return { name, ok: true, version: load() };
  } catch (error) {
    const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
    return { name, ok: false, error: message };
  }
}

function probeSqlite(): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const Database = require('better-sqlite3') as typeof import('better-sqlite3');
  const db = new Database(':memory:');
  try {
    return (db.prepare('select sqlite_version() as v').get() as { v: string }).v;
  } finally {
    db.close();
  }
}

function probeOnnxRuntime(): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const ort = require('onnxruntime-node') as typeof import('onnxruntime-node');
  return ort.env.versions.node ?? 'unknown';
}

/** The server's status after probing: running, or degraded with the problem and what to do. */
export function statusFromProbe(natives: NativeModuleStatus[]): ServerStatus {
  const failed = natives.filter((n) => !n.ok);
  const base = { nodeVersion: process.version, nodePath: process.execPath, natives };
  if (failed.length === 0) return { state: 'running', ...base };
  return {
    state: 'degraded',
    ...base,
    problem: `${failed.map((f) => `${f.name} failed to load on Node ${process.version} (${process.execPath}): ${f.error}`).join('; ')}`,
    remedy:
      'Set "mlops.server.runtime" to a Node.js 20 (or newer) executable, or put node on PATH, then run "MLOps: Restart Server". ' +
      'If you built the extension yourself, run "npm rebuild better-sqlite3" with that Node. Manifest syntax checks keep working meanwhile.',
  };
}
