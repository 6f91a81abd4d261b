import { chmodSync, copyFileSync, cpSync, mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO } from './paths';

/** Spawn options that run a child as `nobody` when the tests run as root (root reads and writes everything). */
export const AS_UNPRIVILEGED: { uid?: number; gid?: number } = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};

/** What the CLI needs at run time, as the VSIX carries it: the bundles and the native modules. */
const RUNTIME_PARTS = ['package.json', 'bin', 'dist/server', 'node_modules/better-sqlite3', 'node_modules/bindings', 'node_modules/file-uri-to-path', 'node_modules/onnxruntime-common'];

let copied: { node: string; cli: string } | undefined;

/**
 * The CLI, and the Node that runs these tests, in a folder every user may enter, wherever they are:
 * a checkout under a folder only its owner may enter (a `mktemp -d`, /root) is out of reach of
 * `nobody`, and so is a Node unpacked inside it (CI's Node 24 in .nodes/).
 */
export function cliForAnyUser(): { node: string; cli: string } {
  if (copied) return copied;
  const root = mkdtempSync(join(tmpdir(), 'mlops-cli-'));
  copyFileSync(process.execPath, join(root, 'node'));
  for (const part of RUNTIME_PARTS) cpSync(join(REPO, part), join(root, part), { recursive: true });
  const ort = 'node_modules/onnxruntime-node';
  cpSync(join(REPO, ort), join(root, ort), { recursive: true, filter: thisPlatformOnly });
  openToAll(root);
  copied = { node: join(root, 'node'), cli: join(root, 'bin', 'mlops.js') };
  return copied;
}

/** A copy of `source` that every user may read and nobody but root may write. */
export function readOnlyCopyForAnyUser(source: string): string {
  const root = mkdtempSync(join(tmpdir(), 'mlops-ro-'));
  const target = join(root, 'copy');
  cpSync(source, target, { recursive: true });
  openToAll(target, false);
  chmodSync(root, 0o755);
  return target;
}

/** onnxruntime-node's binaries for this platform only (the others are 250 MB). */
function thisPlatformOnly(src: string): boolean {
  const m = /[\\/]bin[\\/]napi-v6[\\/]([^\\/]+)(?:[\\/]([^\\/]+))?/.exec(src);
  return !m || (m[1] === process.platform && (m[2] === undefined || m[2] === process.arch));
}

function openToAll(path: string, writable = true): void {
  const dir = statSync(path).isDirectory();
  if (dir) for (const name of readdirSync(path)) openToAll(join(path, name), writable);
  const exec = dir || (statSync(path).mode & 0o100) !== 0;
  chmodSync(path, (writable ? 0o644 : 0o444) | (exec ? 0o111 : 0) | (writable && dir ? 0o200 : 0));
}
