import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { readManifestModel, type ManifestMemo, type ManifestModel } from '../../manifest/model';
import { IncrementalManifestParser } from '../../manifest/incremental';
import type { ParsedManifest } from '../../manifest/parse';

/** A manifest document parsed once per version, shared by every editor feature. */
export interface Analysis {
  uri: string;
  version: number;
  /** Absolute path of the manifest, and its folder (paths in it are relative to that). */
  path: string;
  dir: string;
  parsed: ParsedManifest;
  model: ManifestModel;
}

const cache = new Map<string, Analysis>();
/** Per open manifest: edits re-parse only the pieces they touch, and re-read only the entries in them. */
const readers = new Map<string, { parser: IncrementalManifestParser; memo: ManifestMemo }>();

export function analyze(document: TextDocument): Analysis {
  const cached = cache.get(document.uri);
  if (cached && cached.version === document.version) return cached;
  let reader = readers.get(document.uri);
  if (!reader) readers.set(document.uri, (reader = { parser: new IncrementalManifestParser(), memo: new WeakMap() }));
  const parsed = reader.parser.parse(document.getText());
  const path = fileURLToPath(document.uri);
  const analysis: Analysis = { uri: document.uri, version: document.version, path, dir: dirname(path), parsed, model: readManifestModel(parsed, reader.memo) };
  cache.set(document.uri, analysis);
  return analysis;
}

export function forget(uri: string): void {
  cache.delete(uri);
  readers.delete(uri);
}
