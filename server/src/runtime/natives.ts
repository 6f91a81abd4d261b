import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { NativeModuleStatus, RuntimeOrigin, ServerStatus, SqliteDriverStatus } from '../contract';
import { describeMissingSqlite, sqliteDriverStatus } from '../sqlite';

/** Set by the editor on the server it starts: where it found the runtime (the CLI's own runs say "command line"). */
export const RUNTIME_ORIGIN_ENV = 'MLOPS_RUNTIME_ORIGIN';
const ORIGIN_WORDS: Record<RuntimeOrigin, string> = {
  setting: 'from mlops.server.runtime',
  PATH: 'node on PATH',
  editor: "the editor's own runtime",
  'command line': 'this command line',
};
const ORIGINS = Object.keys(ORIGIN_WORDS) as RuntimeOrigin[];

export interface RuntimeProbe {
  natives: NativeModuleStatus[];
  sqlite: SqliteDriverStatus;
}

/**
 * Load what the server needs from this runtime and say, per part, whether it works here: an SQLite
 * driver (better-sqlite3 is built for one Node ABI; node:sqlite needs Node ≥ 22.13) and
 * onnxruntime-node (N-API, so one binary per platform serves every Node).
 */
export function probeNativeModules(): RuntimeProbe {
  const sqlite = sqliteDriverStatus();
  const sqliteEntry: NativeModuleStatus = sqlite.driver
    ? { name: sqlite.driver, ok: true, version: `SQLite ${sqlite.sqliteVersion}` }
    : { name: 'SQLite', ok: false, error: describeMissingSqlite(sqlite) };
  return { natives: [sqliteEntry, probe('onnxruntime-node', probeOnnxRuntime)], sqlite };
}

function probe(name: string, load: () => string): NativeModuleStatus {
  try {
    return { name, ok: true, version: load() };
  } catch (error) {
    const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
    return { name, ok: false, error: message };
  }
}

function probeOnnxRuntime(): string {
  // A platform VSIX carries one platform's binary; onnxruntime-node 1.30 has none for Intel Macs.
  const binaries = join(dirname(require.resolve('onnxruntime-node/package.json')), 'bin', 'napi-v6', process.platform, process.arch);
  if (!existsSync(binaries)) throw new Error(`no onnxruntime-node binary for ${process.platform}-${process.arch} is installed (onnxruntime-node 1.30 ships none for darwin-x64); serving and ONNX checks are off`);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const ort = require('onnxruntime-node') as typeof import('onnxruntime-node');
  return ort.env.versions.node ?? 'unknown';
}

export function runtimeOrigin(): RuntimeOrigin {
  const said = process.env[RUNTIME_ORIGIN_ENV] as RuntimeOrigin | undefined;
  return said && ORIGINS.includes(said) ? said : 'command line';
}

/** The server's status after probing: running, or degraded with the problem and what to do. */
export function statusFromProbe({ natives, sqlite }: RuntimeProbe): ServerStatus {
  const failed = natives.filter((n) => !n.ok);
  const origin = runtimeOrigin();
  const summary = `Node ${process.version} (${ORIGIN_WORDS[origin]}) · SQLite ${sqlite.driver ? `via ${sqlite.driver} ${sqlite.sqliteVersion}` : 'unavailable'}`;
  const base = { nodeVersion: process.version, nodePath: process.execPath, runtimeOrigin: origin, natives, sqlite, runtimeSummary: summary };
  if (failed.length === 0) return { state: 'running', ...base };
  const where = `Node ${process.version} (${process.execPath})`;
  return {
    state: 'degraded',
    ...base,
    problem: failed.map((f) => (f.name === 'SQLite' ? f.error : `${f.name} failed to load on ${where}: ${f.error}`)).join('; '),
    remedy: sqlite.driver
      ? 'Reinstall the extension for this platform (its VSIX carries onnxruntime-node for one operating system and processor), then run "MLOps: Restart Server".'
      : 'Put Node.js 22.13 or newer (22, 24 or 26) on PATH, or set "mlops.server.runtime" to such a node executable, then run "MLOps: Restart Server". ' +
        'Manifest syntax checks keep working meanwhile.',
  };
}
