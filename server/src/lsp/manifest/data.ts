/**
 * Editor features of `data:`: hover on a column with the file's observed statistics, and the
 * "Infer expectations" action that rewrites a data set's entry from its file. The statistics come
 * from the validation core (server/src/validation); this file only shapes them for the editor.
 */
import { statSync } from 'node:fs';
import type { Hover, TextEdit } from 'vscode-languageserver/node';
import type { ColumnProfile } from '../../contract';
import { DataFileError } from '../../data/types';
import type { DatasetDecl } from '../../manifest/model';
import { firstDataFile } from '../../manifest/validate-data';
import { inferExpectations, profileFile } from '../../validation';
import type { Analysis } from './analysis';
import type { DataProfile, ManifestFacts } from './facts';

/** Profiles by file, kept while the file's size and modification time stay the same. */
export class DataProfiles {
  private readonly cache = new Map<string, { stamp: string; profile: Promise<DataProfile> }>();

  get(file: string): Promise<DataProfile> {
    let stamp: string;
    try {
      const st = statSync(file);
      stamp = `${st.size}:${st.mtimeMs}`;
    } catch (error) {
      return Promise.resolve({ error: `cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? String(error)})` });
    }
    const cached = this.cache.get(file);
    if (cached?.stamp === stamp) return cached.profile;
    const profile = profileFile(file).catch((error: unknown): DataProfile => {
      if (error instanceof DataFileError) return { error: error.message };
      throw error;
    });
    this.cache.set(file, { stamp, profile });
    return profile;
  }
}

/** Hover on `data.<set>.columns.<column>`: what the file's column holds. */
export async function columnHover(a: Analysis, dataset: DatasetDecl, column: string, facts: ManifestFacts): Promise<Hover | null> {
  if (!dataset.path) return null;
  const file = firstDataFile(dataset.path.value, a.path);
  if (!file) return markdown(`No file matches \`${dataset.path.value}\` yet.`);
  const profile = await facts.dataProfile(file);
  if ('error' in profile) return markdown(`**${column}** — ${profile.error}`);
  const p = profile.profiles.find((x) => x.column === column);
  if (!p) return markdown(`**${column}** is not a column of \`${dataset.path.value}\` (its columns: ${profile.columns.slice(0, 12).join(', ')}${profile.columns.length > 12 ? ', …' : ''}).`);
  return markdown(describeColumn(p, dataset.path.value, profile.rows));
}

const count = (n: number) => n.toLocaleString('en-US');
const number = (n: number) => (Number.isInteger(n) ? count(n) : Number(n.toPrecision(6)).toLocaleString('en-US', { maximumFractionDigits: 6 }));

export function describeColumn(p: ColumnProfile, path: string, rows: number): string {
  const lines = [`**${p.column}** in \`${path}\` (${count(rows)} row${rows === 1 ? '' : 's'})`];
  const table = ['| | |', '|---|---|'];
  table.push(`| nulls | ${count(p.nulls)} (${rows > 0 ? ((100 * p.nulls) / rows).toFixed(2) : '0'}%) |`);
  const among = p.distinctAmong < p.count ? ` among the first ${count(p.distinctAmong)}` : '';
  table.push(`| distinct | ${p.distinctCapped ? `more than ${count(p.distinct)}` : count(p.distinct)}${among} |`);
  if (p.numeric > 0 && p.min !== undefined && p.max !== undefined && p.mean !== undefined) {
    table.push(`| numbers | ${count(p.numeric)} of ${count(p.count)} values |`, `| min · mean · max | ${number(p.min)} · ${number(p.mean)} · ${number(p.max)} |`);
  }
  if (!p.distinctCapped && p.distinct <= 20) table.push(`| values | ${p.top.map((t) => `${t.value.replace(/\|/g, '\\|')} (${count(t.count)})`).join(', ')} |`);
  lines.push(table.join('\n'));
  return lines.join('\n\n');
}

function markdown(value: string): Hover {
  return { contents: { kind: 'markdown', value } };
}

/**
 * The edit that replaces a data set's entry with expectations inferred from its (first) file; its
 * path is kept as written. Undefined (with the reason) when the file cannot be read.
 */
export async function inferEdit(a: Analysis, datasetName: string): Promise<{ edit: TextEdit; columns: number } | { error: string }> {
  const decl = a.model.data?.entries.get(datasetName);
  if (!decl?.path) return { error: `data set \`${datasetName}\` has no path to infer from` };
  const file = firstDataFile(decl.path.value, a.path);
  if (!file) return { error: `no file matches ${decl.path.value}` };
  let inferred;
  try {
    inferred = await inferExpectations(file, { name: datasetName, path: decl.path.value, withDataKey: false });
  } catch (error) {
    if (error instanceof DataFileError) return { error: error.message };
    throw error;
  }
  const indent = ' '.repeat(decl.keyRange.start.character);
  const text = inferred.yaml.trimEnd().split('\n').map((line, i) => (i === 0 ? line : `${indent}${line}`)).join('\n');
  return { edit: { range: { start: decl.keyRange.start, end: decl.range.end }, newText: text }, columns: inferred.dataset.columns.length };
}
