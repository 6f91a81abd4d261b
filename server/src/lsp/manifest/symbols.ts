import { SymbolKind, type DocumentSymbol } from 'vscode-languageserver/node';
import type { Entry, Group, ManifestModel } from '../../manifest/model';

/** The outline: models → versions, aliases, gates; serving → endpoints; experiments; monitoring. */
export function documentSymbols(model: ManifestModel): DocumentSymbol[] {
  const symbols: DocumentSymbol[] = [];
  if (model.models) {
    symbols.push(
      section(model.models, SymbolKind.Namespace, [...model.models.entries.values()].map((m) => {
        const children: DocumentSymbol[] = [];
        if (m.versions) children.push(section(m.versions, SymbolKind.Namespace, [...m.versions.entries.values()].map((v) => symbol(v, SymbolKind.EnumMember, v.path?.value))));
        if (m.aliases) children.push(section(m.aliases, SymbolKind.Namespace, [...m.aliases.entries.entries()].map(([name, target]) => ({ name, detail: `→ ${target.value}`, kind: SymbolKind.Constant, range: span(target.keyRange, target.range), selectionRange: target.keyRange }))));
        if (m.gates) children.push(section(m.gates, SymbolKind.Namespace, [...m.gates.entries.values()].map((g) => symbol(g, SymbolKind.Property, bounds(g.min?.value, g.max?.value)))));
        return symbol(m, SymbolKind.Class, m.task?.value, children);
      })),
    );
  }
  if (model.serving) {
    const endpoints = model.serving.endpoints;
    const children = endpoints ? [section(endpoints, SymbolKind.Namespace, [...endpoints.entries.values()].map((e) => symbol(e, SymbolKind.Interface, e.model?.value ? `model ${e.model.value}` : undefined)))] : [];
    symbols.push(symbol(model.serving, SymbolKind.Module, model.serving.port ? `port ${model.serving.port.value}` : undefined, children));
  }
  if (model.experiments) symbols.push(section(model.experiments, SymbolKind.Namespace, [...model.experiments.entries.values()].map((e) => symbol(e, SymbolKind.Event, e.control && e.treatment ? `${e.control.value} vs ${e.treatment.value}` : undefined))));
  if (model.monitoring) symbols.push(section(model.monitoring, SymbolKind.Namespace, [...model.monitoring.entries.values()].map((m) => symbol(m, SymbolKind.Field, m.reference?.value))));
  return symbols;
}

function section<T>(group: Group<T>, kind: SymbolKind, children: DocumentSymbol[]): DocumentSymbol {
  return symbol(group, kind, `${group.entries.size}`, children);
}

function symbol(entry: Entry, kind: SymbolKind, detail?: string, children?: DocumentSymbol[]): DocumentSymbol {
  return { name: entry.name || ' ', detail, kind, range: span(entry.keyRange, entry.range), selectionRange: entry.keyRange, children };
}

function span(a: DocumentSymbol['range'], b: DocumentSymbol['range']): DocumentSymbol['range'] {
  const before = (x: typeof a.start, y: typeof a.start) => x.line < y.line || (x.line === y.line && x.character <= y.character);
  return { start: before(a.start, b.start) ? a.start : b.start, end: before(a.end, b.end) ? b.end : a.end };
}

function bounds(min?: number, max?: number): string | undefined {
  if (min === undefined && max === undefined) return undefined;
  return [min !== undefined ? `≥ ${min}` : '', max !== undefined ? `≤ ${max}` : ''].filter(Boolean).join(', ');
}
