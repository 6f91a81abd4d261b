/**
 * Globs in manifest paths (`data/*.csv`, `data/**\/*.parquet`); the one module that knows picomatch.
 * The walk starts at the glob's fixed base, follows no symbolic links to folders and skips the
 * folders a scan skips, so a glob cannot leave the folder it is written in by a link.
 */
import { readdirSync, type Dirent } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import picomatch from 'picomatch';

const SKIPPED = new Set(['node_modules', '.git', '.hg', '.svn', '.mlops', '.venv', 'venv', '__pycache__']);
const MAX_DEPTH = 16;
const MAX_FILES = 10_000;

export function isGlob(pattern: string): boolean {
  return picomatch.scan(pattern).isGlob;
}

/** The files matching `pattern` (relative to `base`, `/`-separated), sorted; the pattern itself when it is no glob. */
export function globFiles(base: string, pattern: string): string[] {
  const scan = picomatch.scan(pattern);
  if (!scan.isGlob) return [resolve(base, pattern)];
  const start = resolve(base, scan.base);
  const matches = picomatch(pattern.replace(/^\.\//, ''), { dot: false });
  const out: string[] = [];
  const visit = (dir: string, depth: number) => {
    if (depth > MAX_DEPTH || out.length >= MAX_FILES) return;
    let entries: Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const path = join(dir, e.name);
      if (e.isDirectory()) {
        if (!SKIPPED.has(e.name)) visit(path, depth + 1);
      } else if (e.isFile() && matches(relative(base, path).split(sep).join('/'))) out.push(path);
    }
  };
  visit(start, 0);
  return out.sort();
}
