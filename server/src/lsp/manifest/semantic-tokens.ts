import type { SemanticTokens, SemanticTokensLegend } from 'vscode-languageserver/node';
import type { Field, ManifestModel } from '../../manifest/model';

/** Token types, by what the manifest's names stand for. */
export const SEMANTIC_LEGEND: SemanticTokensLegend = {
  tokenTypes: ['enumMember', 'class', 'interface', 'property', 'variable', 'event'],
  tokenModifiers: ['declaration', 'readonly'],
};

const TYPE = { version: 0, model: 1, endpoint: 2, metric: 3, run: 4, experiment: 5 } as const;
const DECLARATION = 1;

interface Token {
  line: number;
  start: number;
  length: number;
  type: number;
  modifiers: number;
}

/**
 * What a line grammar cannot know: which words are version ids, model, endpoint and metric names, or
 * run references — by where they stand in the manifest. Declarations carry the `declaration` modifier.
 */
export function semanticTokens(model: ManifestModel): SemanticTokens {
  const tokens: Token[] = [];
  const push = (r: Field<unknown>['range'] | undefined, type: number, modifiers = 0) => {
    if (r && r.start.line === r.end.line && r.end.character > r.start.character) tokens.push({ line: r.start.line, start: r.start.character, length: r.end.character - r.start.character, type, modifiers });
  };
  for (const m of model.models?.entries.values() ?? []) {
    push(m.keyRange, TYPE.model, DECLARATION);
    for (const v of m.versions?.entries.values() ?? []) {
      push(v.keyRange, TYPE.version, DECLARATION);
      push(v.run?.range, TYPE.run);
    }
    for (const a of m.aliases?.entries.values() ?? []) push(a.range, TYPE.version);
    for (const g of m.gates?.entries.values() ?? []) push(g.keyRange, TYPE.metric);
  }
  for (const e of model.serving?.endpoints?.entries.values() ?? []) {
    push(e.keyRange, TYPE.endpoint, DECLARATION);
    push(e.model?.range, TYPE.model);
    for (const t of e.traffic?.entries.values() ?? []) push(t.keyRange, TYPE.version);
    push(e.mirror?.version?.range, TYPE.version);
  }
  for (const x of model.experiments?.entries.values() ?? []) {
    push(x.keyRange, TYPE.experiment, DECLARATION);
    push(x.endpoint?.range, TYPE.endpoint);
    push(x.control?.range, TYPE.version);
    push(x.treatment?.range, TYPE.version);
    push(x.metric?.range, TYPE.metric);
  }
  for (const m of model.monitoring?.entries.values() ?? []) push(m.keyRange, TYPE.model);
  return { data: encode(tokens) };
}

/** LSP's relative encoding: delta line, delta start, length, type, modifiers. */
function encode(tokens: Token[]): number[] {
  tokens.sort((a, b) => a.line - b.line || a.start - b.start);
  const data: number[] = [];
  let line = 0;
  let start = 0;
  for (const t of tokens) {
    const dl = t.line - line;
    data.push(dl, dl === 0 ? t.start - start : t.start, t.length, t.type, t.modifiers);
    line = t.line;
    start = t.start;
  }
  return data;
}
