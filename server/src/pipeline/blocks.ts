/**
 * Generated blocks and the user's lines around them.
 *
 * A generated file is a sequence of blocks, each between a `# >>> mlops-workbench generated: <id>`
 * line and a `# <<< mlops-workbench generated: <id> <hash>` line, with free regions between them.
 * Re-export rewrites the blocks and keeps every free region where it was: after the same block.
 * The hash in the closing line is of the block's content as written, so an edit inside a block is
 * seen (and reported) instead of being replaced silently.
 */
import { createHash } from 'node:crypto';

export type Part = { kind: 'block'; id: string; lines: string[] } | { kind: 'free'; lines: string[] };

/** The anchor of the free region before the first block. */
export const START = '^';

const OPEN = /^(\s*)# >>> mlops-workbench generated: (\S+)\s*$/;
const CLOSE = /^(\s*)# <<< mlops-workbench generated: (\S+) ([0-9a-f]{12})\s*$/;

export function blockHash(lines: readonly string[]): string {
  return createHash('sha256').update(lines.join('\n')).digest('hex').slice(0, 12);
}

/** The text of the parts; block markers take the indentation of the block's first line. */
export function render(parts: readonly Part[]): string {
  const out: string[] = [];
  for (const part of parts) {
    if (part.kind === 'free') {
      out.push(...part.lines);
      continue;
    }
    const indent = /^\s*/.exec(part.lines.find((l) => l.trim() !== '') ?? '')?.[0] ?? '';
    out.push(`${indent}# >>> mlops-workbench generated: ${part.id}`, ...part.lines, `${indent}# <<< mlops-workbench generated: ${part.id} ${blockHash(part.lines)}`);
  }
  return `${out.join('\n')}\n`;
}

export interface ParsedFile {
  /** Free regions by the id of the block before them (START for the top of the file). */
  free: Map<string, string[]>;
  /** Blocks whose content no longer matches the hash they were written with. */
  edited: string[];
  blocks: string[];
}

/** The blocks and free regions of an existing file, or what is wrong with its markers. */
export function parseFile(text: string): ParsedFile | { problem: string } {
  const lines = text.replace(/\r\n/g, '\n').replace(/\n$/, '').split('\n');
  const free = new Map<string, string[]>();
  const edited: string[] = [];
  const blocks: string[] = [];
  let anchor = START;
  let region: string[] = [];
  let open: { id: string; line: number; content: string[] } | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const opening = OPEN.exec(line);
    const closing = CLOSE.exec(line);
    if (open) {
      if (opening) return { problem: `line ${i + 1} opens block "${opening[2]}" inside block "${open.id}" (opened on line ${open.line})` };
      if (!closing) {
        open.content.push(line);
        continue;
      }
      if (closing[2] !== open.id) return { problem: `line ${i + 1} closes block "${closing[2]}", but the open block is "${open.id}" (line ${open.line})` };
      if (blockHash(open.content) !== closing[3]) edited.push(open.id);
      blocks.push(open.id);
      anchor = open.id;
      region = [];
      open = undefined;
      continue;
    }
    if (closing) return { problem: `line ${i + 1} closes block "${closing[2]}", which is not open` };
    if (opening) {
      if (blocks.includes(opening[2])) return { problem: `block "${opening[2]}" appears twice (line ${i + 1})` };
      free.set(anchor, region);
      open = { id: opening[2], line: i + 1, content: [] };
      continue;
    }
    region.push(line);
  }
  if (open) return { problem: `block "${open.id}" opened on line ${open.line} is never closed` };
  free.set(anchor, region);
  return { free, edited, blocks };
}

export interface Merge {
  text: string;
  /** Blocks of the old file edited by hand: their edits are replaced. */
  edited: string[];
  /** Free regions (with something in them) whose block the new file no longer has. */
  orphaned: { after: string; lines: string[] }[];
}

/** The new parts with the old file's free regions in place of the new defaults. */
export function merge(parts: readonly Part[], old: ParsedFile): Merge {
  const merged: Part[] = [];
  let anchor = START;
  const used = new Set<string>();
  for (const part of parts) {
    if (part.kind === 'block') {
      merged.push(part);
      anchor = part.id;
      continue;
    }
    const kept = old.free.get(anchor);
    used.add(anchor);
    merged.push(kept ? { kind: 'free', lines: kept } : part);
  }
  const orphaned = [...old.free]
    .filter(([after, lines]) => !used.has(after) && lines.some((l) => l.trim() !== ''))
    .map(([after, lines]) => ({ after, lines }));
  return { text: render(merged), edited: old.edited, orphaned };
}
