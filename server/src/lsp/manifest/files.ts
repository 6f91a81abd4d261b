import { readdirSync } from 'node:fs';
import { join } from 'node:path';

/** Folders that hold no files a manifest points at, and can be large. */
const SKIP = new Set(['node_modules', '.git', '.mlops', '.venv', 'venv', '__pycache__', 'mlruns']);

/** Absolute paths of files with an extension below a folder, sorted; bounded in depth and count. */
export function findFiles(dir: string, extension: string, maxFiles = 2000, maxDepth = 6): string[] {
  const found: string[] = [];
  const visit = (folder: string, depth: number) => {
    if (depth > maxDepth || found.length >= maxFiles) return;
    let entries;
    try {
      entries = readdirSync(folder, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.isDirectory() && !SKIP.has(e.name)) visit(join(folder, e.name), depth + 1);
      else if (e.isFile() && e.name.endsWith(extension)) found.push(join(folder, e.name));
    }
  };
  visit(dir, 0);
  return found.sort();
}
