import { relative, resolve } from 'node:path';
import { CodeActionKind, type CodeAction, type Diagnostic, type Range, type TextEdit } from 'vscode-languageserver/node';
import type { Field, Group } from '../../manifest/model';
import { nodeAt } from '../../manifest/model';
import type { Analysis } from './analysis';
import { findFiles } from './files';

/**
 * Quick fixes: put the suggested text in place (an unknown metric, model, version or key replaced by
 * the closest known one), and scale a traffic split to sum to 100. Refactoring: add a version entry for
 * an .onnx file the model does not reference yet.
 */
export function codeActions(a: Analysis, range: Range, diagnostics: Diagnostic[]): CodeAction[] {
  const actions: CodeAction[] = [];
  for (const d of diagnostics) {
    if (d.source !== 'mlops') continue;
    const replacement = (d.data as { replacement?: unknown } | undefined)?.replacement;
    if (typeof replacement === 'string') {
      actions.push(fix(a, `Replace with '${replacement}'`, [{ range: d.range, newText: replacement }], d, true));
    }
    if (d.code === 'traffic-sum') {
      const traffic = trafficAt(a, d.range);
      const edits = traffic && normalizeTraffic(traffic);
      if (edits) actions.push(fix(a, 'Normalize traffic to 100%', edits, d, true));
    }
  }
  actions.push(...addVersionActions(a, range));
  return actions;
}

function fix(a: Analysis, title: string, edits: TextEdit[], diagnostic: Diagnostic, preferred: boolean): CodeAction {
  return { title, kind: CodeActionKind.QuickFix, diagnostics: [diagnostic], isPreferred: preferred, edit: { changes: { [a.uri]: edits } } };
}

function trafficAt(a: Analysis, range: Range): Group<Field<number>> | undefined {
  for (const e of a.model.serving?.endpoints?.entries.values() ?? []) {
    const t = e.traffic;
    if (t && (contains(t.range, range.start) || contains(t.keyRange, range.start))) return t;
  }
  return undefined;
}

/**
 * Scale each share to sum to exactly 100, whole percents, by the largest-remainder method (each share
 * moves by less than one percent from its exact scaled value). None when all shares are zero.
 */
export function normalizeTraffic(traffic: Group<Field<number>>): TextEdit[] | undefined {
  const shares = [...traffic.entries.values()];
  const total = shares.reduce((s, f) => s + Math.max(0, f.value), 0);
  if (total <= 0) return undefined;
  const exact = shares.map((f) => (Math.max(0, f.value) * 100) / total);
  const result = exact.map(Math.floor);
  let left = 100 - result.reduce((s, v) => s + v, 0);
  const order = exact.map((v, i) => [v - Math.floor(v), i] as const).sort((x, y) => y[0] - x[0] || x[1] - y[1]);
  for (const [, i] of order) {
    if (left <= 0) break;
    result[i]++;
    left--;
  }
  return shares.map((f, i) => ({ range: f.range, newText: String(result[i]) }));
}

/** On a model's `versions`, one action per .onnx file below the manifest that no version of it uses. */
function addVersionActions(a: Analysis, range: Range): CodeAction[] {
  const at = nodeAt(a.parsed, range.start);
  const p = at?.path.map(String) ?? [];
  if (p[0] !== 'models' || p[2] !== 'versions') return [];
  const model = a.model.models?.entries.get(p[1]);
  const versions = model?.versions;
  if (!model || !versions) return [];
  const used = new Set([...versions.entries.values()].flatMap((v) => (v.path ? [resolve(a.dir, v.path.value)] : [])));
  const ids = [...versions.entries.keys()].map(Number).filter(Number.isFinite);
  let next = ids.length ? Math.max(...ids) + 1 : 1;
  const last = [...versions.entries.values()].pop();
  return findFiles(a.dir, '.onnx', 200, 5)
    .filter((f) => !used.has(f))
    .slice(0, 10)
    .map((file) => {
      const id = String(next++);
      const path = relative(a.dir, file).split('\\').join('/');
      const indent = ' '.repeat(last ? last.keyRange.start.character : versions.keyRange.start.character + 2);
      const at = last ? last.range.end : versions.keyRange.end;
      const edit: TextEdit = { range: { start: at, end: at }, newText: `\n${indent}"${id}": { path: ${path} }` };
      return { title: `Add version ${id} of ${model.name} for ${path}`, kind: CodeActionKind.RefactorRewrite, edit: { changes: { [a.uri]: [edit] } } };
    });
}

function contains(r: Range, p: Range['start']): boolean {
  const afterStart = p.line > r.start.line || (p.line === r.start.line && p.character >= r.start.character);
  const beforeEnd = p.line < r.end.line || (p.line === r.end.line && p.character <= r.end.character);
  return afterStart && beforeEnd;
}
