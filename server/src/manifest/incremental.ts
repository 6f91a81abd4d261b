import { Document, LineCounter, Pair, YAMLMap, isAlias, isCollection, isMap, isScalar, parseDocument, visit, type Node, type Scalar } from 'yaml';
import { MAX_MANIFEST_BYTES, PARSE_OPTIONS, parseManifest, type ParsedManifest } from './parse';

/**
 * Re-parses a manifest being edited by pieces: each top-level key, and each entry of a top-level
 * block map (a model, an endpoint, an experiment), is parsed on its own and kept by its text, so an
 * edit re-parses only the piece it touched. The pieces are joined into one document with the same
 * nodes and offsets a whole-file parse gives. Anything the split could get wrong — a YAML error,
 * anchors and aliases, tags, directives, several documents, duplicate keys — falls back to parsing
 * the whole text, so results never differ from parseManifest's.
 */
export class IncrementalManifestParser {
  /** Pieces of the previous parse by their text; each remembers the offset its nodes carry. */
  private pieces = new Map<string, Piece>();
  /** How many pieces the last parse had to parse (0 after a whole-text parse); for tests and benchmarks. */
  piecesParsed = 0;

  parse(text: string): ParsedManifest {
    this.piecesParsed = 0;
    const joined = text.length <= MAX_MANIFEST_BYTES ? this.parseByPieces(text) : undefined;
    return joined ?? parseManifest(text);
  }

  private parseByPieces(text: string): ParsedManifest | undefined {
    if (text.charCodeAt(0) === 0xfeff || text.includes('\u0000') || text.includes('\r')) return undefined;
    const layout = splitTopLevel(text);
    if (!layout) return undefined;
    const previous = this.pieces;
    const next = new Map<string, Piece>();
    let last: Piece | undefined;
    const parse = (from: number, to: number): Pair | undefined => {
      const source = text.slice(from, to);
      if (next.has(source)) return undefined; // the same text twice is a duplicate key: let the full parse say so
      let piece = previous.get(source);
      if (piece) shift(piece, from);
      else {
        piece = parsePiece(source, from);
        this.piecesParsed++;
      }
      if (!piece) return undefined;
      next.set(source, piece);
      last = piece;
      return piece.pair;
    };

    const schemaHost = new Document(null, PARSE_OPTIONS);
    const top = new YAMLMap(schemaHost.schema);
    for (const section of layout) {
      if (!section.entries) {
        const pair = parse(section.from, section.to);
        if (!pair) return undefined;
        top.items.push(pair);
        continue;
      }
      const header = parse(section.from, section.entries[0].from);
      if (!header || !isScalar(header.value) || header.value.value !== null) return undefined;
      const map = new YAMLMap(schemaHost.schema);
      for (const entry of section.entries) {
        const pair = parse(entry.from, entry.to);
        if (!pair) return undefined;
        map.items.push(pair);
      }
      if (!uniqueKeys(map)) return undefined;
      map.range = spanOf(map);
      top.items.push(new Pair(header.key, map));
    }
    if (top.items.length === 0 || !uniqueKeys(top)) return undefined;
    top.range = spanOf(top);
    this.pieces = next;

    const document = schemaHost as Document.Parsed;
    document.contents = top as unknown as YAMLMap.Parsed; // built from parsed pieces, with their ranges
    document.range = [top.range[0], last!.documentRange[1], last!.documentRange[2]];
    const lineCounter = new LineCounter();
    lineCounter.addNewLine(0);
    for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) lineCounter.addNewLine(i + 1);
    return { document, lineCounter, findings: [] };
  }
}

interface Piece {
  pair: Pair;
  /** The piece document's own range: its end is the whole document's when the piece is the last. */
  documentRange: [number, number, number];
  /** The offset of the piece's first character that its nodes' ranges are relative to. */
  start: number;
}

interface Section {
  from: number;
  to: number;
  /** For `key:` followed by an indented block map: its entries, each a piece of its own. */
  entries?: { from: number; to: number }[];
}

/**
 * Cuts the text at each line that starts a top-level key, and the body of a bare `key:` line at
 * each line that starts a key at the body's indentation. Returns undefined for shapes a piecewise
 * parse could misread (document markers, directives, top-level sequences or scalars).
 */
function splitTopLevel(text: string): Section[] | undefined {
  const lineStarts: number[] = [];
  for (let i = 0; i < text.length; ) {
    lineStarts.push(i);
    const end = text.indexOf('\n', i);
    i = end === -1 ? text.length : end + 1;
  }
  const sections: Section[] = [];
  for (const start of lineStarts) {
    const c = text.charCodeAt(start);
    if (c === 32 || c === 10 || c === 35 /* # */) continue;
    if (c === 45 /* - */ || c === 37 /* % */ || c === 46 /* . */ || c === 9 /* tab */) return undefined;
    if (sections.length > 0) sections[sections.length - 1].to = start;
    // Comments and blank lines before the first key belong to it.
    sections.push({ from: sections.length === 0 ? 0 : start, to: text.length });
  }
  if (sections.length === 0) return undefined;
  for (const section of sections) section.entries = splitEntries(text, section, lineStarts);
  return sections;
}

const BARE_KEY_LINE = /^[A-Za-z_][\w.-]*:[ ]*(#.*)?$/;

function splitEntries(text: string, section: Section, lineStarts: number[]): { from: number; to: number }[] | undefined {
  const headerEnd = text.indexOf('\n', section.from);
  if (headerEnd === -1 || headerEnd >= section.to || !BARE_KEY_LINE.test(text.slice(section.from, headerEnd))) return undefined;
  const entries: { from: number; to: number }[] = [];
  let indent = -1;
  let pendingFrom = headerEnd + 1; // comments before the first entry go with it
  for (const start of lineStarts) {
    if (start <= headerEnd || start >= section.to) continue;
    let i = start;
    while (text.charCodeAt(i) === 32) i++;
    const c = text.charCodeAt(i);
    if (c === 10 || c === 35 || Number.isNaN(c)) continue; // blank or comment
    if (c === 9) return undefined;
    const column = i - start;
    if (indent === -1) {
      if (column === 0 || c === 45 /* a sequence */ || c === 63 /* ? complex key */) return undefined;
      indent = column;
    }
    if (column !== indent) continue;
    if (c === 45 || c === 63) return undefined;
    // The previous entry ends at this key, not at its line: a whole parse lets a block collection that
    // ends in comments run on over the next line's indentation, and the piece must see that too.
    if (entries.length > 0) entries[entries.length - 1].to = i;
    entries.push({ from: entries.length === 0 ? pendingFrom : start, to: section.to });
    pendingFrom = -1;
  }
  return entries.length > 0 ? entries : undefined;
}

/** One piece: a single-key block map, clean, without the features a split parse cannot see across. */
function parsePiece(source: string, offset: number): Piece | undefined {
  const doc = parseDocument(source, PARSE_OPTIONS);
  if (doc.errors.length > 0 || doc.warnings.length > 0 || doc.directives?.docStart) return undefined;
  const contents = doc.contents;
  if (!isMap(contents) || contents.items.length !== 1) return undefined;
  const pair = contents.items[0] as Pair;
  if (!isScalar(pair.key)) return undefined;
  let plain = true;
  visit(doc, {
    Node(_, node) {
      if (isAlias(node) || node.anchor || node.tag) {
        plain = false;
        return visit.BREAK;
      }
      return undefined;
    },
  });
  if (!plain) return undefined;
  const piece: Piece = { pair, documentRange: doc.range, start: 0 };
  shift(piece, offset);
  return piece;
}

/** Move a piece's nodes to a new start offset. */
function shift(piece: Piece, start: number): void {
  const delta = start - piece.start;
  if (delta === 0) return;
  const move = (node: Node | null | undefined) => {
    if (!node) return;
    if (node.range) node.range = [node.range[0] + delta, node.range[1] + delta, node.range[2] + delta];
    if (isCollection(node)) {
      for (const item of node.items as unknown[]) {
        if (item instanceof Pair) {
          move(item.key as Node | null);
          move(item.value as Node | null);
        } else move(item as Node);
      }
    }
  };
  const r = piece.documentRange;
  piece.documentRange = [r[0] + delta, r[1] + delta, r[2] + delta];
  move(piece.pair.key as Scalar);
  move(piece.pair.value as Node | null);
  piece.start = start;
}

function uniqueKeys(map: YAMLMap): boolean {
  const seen = new Set<unknown>();
  for (const pair of map.items) {
    const key = isScalar(pair.key) ? pair.key.value : pair.key;
    if (seen.has(key)) return false;
    seen.add(key);
  }
  return true;
}

/** The range a parsed block map has: from its first key to the end of its last value. */
function spanOf(map: YAMLMap): [number, number, number] {
  const first = map.items[0].key as Scalar;
  const last = map.items[map.items.length - 1];
  const end = (last.value as Node | null)?.range ?? (last.key as Scalar).range!;
  return [first.range![0], end[2], end[2]];
}
