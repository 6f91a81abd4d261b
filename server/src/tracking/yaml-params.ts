/** Params from other tools' YAML files (Lightning's hparams.yaml, W&B's config.yaml). */
import { existsSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { ReadIssue } from './model';

/** The YAML document at `path`; undefined when there is none, or (with a read problem) when it is not YAML. */
export function readParamsYaml(path: string, issues: ReadIssue[]): unknown {
  if (!existsSync(path)) return undefined;
  try {
    return parseYaml(readFileSync(path, 'utf8'));
  } catch (error) {
    issues.push({ path, message: `${basename(path)} is not YAML (${error instanceof Error ? error.message.split('\n')[0] : String(error)}); its params are left out` });
    return undefined;
  }
}

/** Nested mappings flattened into `out` with dotted keys under `prefix`; values as text (JSON for all but strings). */
export function flattenParams(value: unknown, prefix: string, out: Record<string, string>): void {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, x] of Object.entries(value)) flattenParams(x, prefix ? `${prefix}.${k}` : k, out);
  } else if (prefix) {
    out[prefix] = typeof value === 'string' ? value : JSON.stringify(value);
  }
}
