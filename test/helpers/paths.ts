import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** The repository root; compiled tests live in out/test/<kind>/ (or a temp copy of that layout, see scripts/test-one.mjs). */
export const REPO = process.env.MLOPS_REPO ?? resolve(__dirname, '..', '..', '..');
export const CLI = join(REPO, 'bin', 'mlops.js');
export const SERVER = join(REPO, 'dist', 'server', 'server.js');
export const SHARED_FIXTURES = resolve(REPO, '..', 'shared', 'fixtures');

/** A fresh temporary folder, optionally seeded with a copy of a repo folder. */
export function tempDir(prefix: string, copyFrom?: string): string {
  const dir = mkdtempSync(join(tmpdir(), `mlops-${prefix}-`));
  // A workspace's own store (.mlops/) is state from earlier runs, never part of what is copied.
  if (copyFrom) cpSync(join(REPO, copyFrom), dir, { recursive: true, filter: (src) => !/[\\/]\.mlops$/.test(src) });
  return dir;
}
