import { readFileSync } from 'node:fs';
import { LineCounter, isMap, isScalar, parseDocument, type Document, type YAMLError } from 'yaml';
import type { Finding, Range } from '../contract';

/** Manifests above this size are not parsed: a YAML parse of tens of MB would stall the server. */
export const MAX_MANIFEST_BYTES = 2 * 1024 * 1024;

export const MANIFEST_FILE_NAMES = ['mlops.yaml', 'mlops.yml'] as const;

/**
 * Whether a path names a manifest: mlops.yaml or mlops.yml — but not a GitHub Actions workflow of
 * that name (`mlops export github-actions` writes `.github/workflows/mlops.yml`).
 */
export function isManifestPath(path: string): boolean {
  const parts = path.split(/[\\/]/);
  const base = parts[parts.length - 1] ?? '';
  if (parts.length >= 3 && parts[parts.length - 2] === 'workflows' && parts[parts.length - 3] === '.github') return false;
  return (MANIFEST_FILE_NAMES as readonly string[]).includes(base);
}

export interface ParsedManifest {
  /** Absent when the text could not be parsed at all (binary, too large). */
  document?: Document.Parsed;
  lineCounter: LineCounter;
  findings: Finding[];
}

/** How manifests are parsed, whole or piece by piece (see incremental.ts). */
export const PARSE_OPTIONS = { prettyErrors: false, uniqueKeys: true, strict: true } as const;

const START: Range = { start: { line: 0, character: 0 }, end: { line: 0, character: 1 } };

/** Decode raw file bytes, reporting binary content instead of guessing at it. */
export function decodeManifest(bytes: Uint8Array): { text: string } | { finding: Finding } {
  if (bytes.byteLength > MAX_MANIFEST_BYTES) return { finding: tooLarge(bytes.byteLength) };
  if (bytes.subarray(0, 8192).includes(0)) return { finding: binary('it contains NUL bytes') };
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes) };
  } catch {
    return { finding: binary('it is not valid UTF-8') };
  }
}

/**
 * A manifest's text: the editor's unsaved text when there is one (it is newer than the file), else
 * the file's; undefined when the file cannot be read or is not text.
 */
export function manifestText(path: string, openText?: string): string | undefined {
  if (openText !== undefined) return openText;
  try {
    const decoded = decodeManifest(readFileSync(path));
    return 'text' in decoded ? decoded.text : undefined;
  } catch {
    return undefined;
  }
}

/** Parse manifest text into a YAML document plus located findings. Never throws. */
export function parseManifest(text: string): ParsedManifest {
  const lineCounter = new LineCounter();
  if (text.length > MAX_MANIFEST_BYTES) return { lineCounter, findings: [tooLarge(text.length)] };
  if (text.includes('\u0000')) return { lineCounter, findings: [binary('it contains NUL bytes')] };

  const document = parseDocument(text.replace(/^\uFEFF/, ''), { ...PARSE_OPTIONS, lineCounter });
  const lines = text.split(/\r?\n/);
  const findings: Finding[] = [
    ...document.errors.map((e) => yamlFinding(e, 'error', lineCounter, lines)),
    ...document.warnings.map((e) => yamlFinding(e, 'warning', lineCounter, lines)),
  ];

  if (document.errors.length === 0) {
    const contents = document.contents;
    if (contents === null || (isScalar(contents) && contents.value === null)) {
      findings.push({
        range: START,
        severity: 'warning',
        code: 'manifest-empty',
        message: 'mlops.yaml is empty: start it with `version: 1` and declare your models.',
      });
    } else if (!isMap(contents)) {
      const [from, to] = contents.range ?? [0, 1];
      findings.push({
        range: offsetsToRange(from, to, lineCounter, lines),
        severity: 'error',
        code: 'manifest-not-mapping',
        message: 'mlops.yaml must be a mapping of keys to values at the top level (e.g. `version: 1`).',
      });
    }
  }
  return { document, lineCounter, findings };
}

function yamlFinding(
  error: YAMLError,
  severity: 'error' | 'warning',
  lineCounter: LineCounter,
  lines: string[],
): Finding {
  const [from, to] = error.pos;
  // The yaml package's messages may carry a trailing source excerpt; keep the first sentence.
  const message = error.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
  return {
    range: offsetsToRange(from, to, lineCounter, lines),
    severity,
    code: error.code === 'DUPLICATE_KEY' ? 'duplicate-key' : 'yaml-syntax',
    message,
  };
}

/** Convert character offsets into a 0-based range that is never empty, so editors can show it. */
export function offsetsToRange(from: number, to: number, lineCounter: LineCounter, lines: string[]): Range {
  const start = toPosition(from, lineCounter);
  let end = toPosition(Math.max(from, to), lineCounter);
  if (end.line === start.line && end.character <= start.character) {
    const lineLength = lines[start.line]?.length ?? 0;
    end = { line: start.line, character: Math.min(Math.max(start.character + 1, 1), Math.max(lineLength, start.character + 1)) };
  }
  return { start, end };
}

function toPosition(offset: number, lineCounter: LineCounter): { line: number; character: number } {
  const { line, col } = lineCounter.linePos(offset);
  return { line: Math.max(0, line - 1), character: Math.max(0, col - 1) };
}

function tooLarge(size: number): Finding {
  const mb = (n: number) => (n / 1024 / 1024).toFixed(1);
  return {
    range: START,
    severity: 'error',
    code: 'manifest-too-large',
    message: `mlops.yaml is ${mb(size)} MB; manifests over ${mb(MAX_MANIFEST_BYTES)} MB are not validated. Split it or remove generated content.`,
  };
}

function binary(why: string): Finding {
  return {
    range: START,
    severity: 'error',
    code: 'manifest-binary',
    message: `mlops.yaml is not a text file (${why}); it must be UTF-8 YAML.`,
  };
}
