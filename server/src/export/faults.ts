import { readFileSync } from 'node:fs';
import type { Finding, Range } from '../contract';
import { deployBlocks } from '../manifest/deploy';
import { readManifestModel } from '../manifest/model';
import { parseManifest } from '../manifest/parse';
import { validateManifest } from '../manifest/validate';

/**
 * The manifest check's findings inside `deploy` blocks (schema and deploy-* codes alike): sizes that
 * cannot be right (min above max, a limit below its request, `1 GB`) would otherwise be exported as
 * given. `mlops export` and the editor's export both stop on an error here.
 */
export function deployFindings(manifestPath: string, text = readFileSync(manifestPath, 'utf8')): Finding[] {
  const parsed = parseManifest(text);
  const blocks = deployBlocks(readManifestModel(parsed)).map((b) => b.decl.range);
  if (blocks.length === 0) return [];
  const inside = (outer: Range, inner: Range) => !before(inner.start, outer.start) && !before(outer.end, inner.end);
  return validateManifest(parsed).filter((f) => f.severity !== 'hint' && f.severity !== 'information' && blocks.some((b) => inside(b, f.range)));
}

function before(a: Range['start'], b: Range['start']): boolean {
  return a.line < b.line || (a.line === b.line && a.character < b.character);
}
