/**
 * Promotion into an MLflow model registry: the aliases a promotion (or rollback) moves in mlops.yaml
 * are set on the registered model of the same name too, opt-in. The registry is the workspace's
 * MLflow tracking source that has that model — a SQLite database (`registered_model_aliases`, the
 * database backed up first with SQLite's online backup) or a file store (`models/<name>/aliases/<alias>`
 * holding the version, as MLflow's FileStore writes it; the aliases folder copied first).
 */
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openSqlite, type SqliteDatabase } from '../sqlite';
import type { DeploymentState, MlflowAliasChange } from '../contract';
import { resolveTrackingSources } from '../tracking/sources';
import { PromotionError } from './promotion';

export type { MlflowAliasChange } from '../contract';

export interface MlflowRegistry {
  kind: 'mlflow-sqlite' | 'mlflow-file-store';
  /** The database file, or the file store's root (mlruns/). */
  path: string;
}

/** The workspace's MLflow registry that has a registered model of this name; undefined when none has. */
export function findMlflowRegistry(workspaceRoot: string, model: string): MlflowRegistry | undefined {
  for (const source of resolveTrackingSources(workspaceRoot).sources) {
    try {
      if (source.kind === 'mlflow-file-store' && statSync(join(source.path, 'models', model, 'meta.yaml'), { throwIfNoEntry: false })?.isFile())
        return { kind: source.kind, path: source.path };
      if (source.kind === 'mlflow-sqlite' && existsSync(source.path)) {
        const db = openMlflowDb(source.path, true);
        try {
          if (hasTable(db, 'registered_models') && db.prepare('SELECT 1 FROM registered_models WHERE name = ?').get(model))
            return { kind: source.kind, path: source.path };
        } finally {
          db.close();
        }
      }
    } catch {
      // An unreadable source holds no registry we could write to.
    }
  }
  return undefined;
}

/** Aliases that differ between two deployment states: alias → its new version (null: removed). */
export function aliasChanges(from: DeploymentState, to: DeploymentState): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const alias of new Set([...Object.keys(from.aliases), ...Object.keys(to.aliases)])) {
    if (from.aliases[alias] !== to.aliases[alias]) out[alias] = to.aliases[alias] ?? null;
  }
  return out;
}

/** MLflow's own rules for alias names (mlflow.utils.validation._validate_model_alias_name). */
export function mlflowAliasProblem(alias: string): string | undefined {
  if (alias.trim() === '') return 'an MLflow alias cannot be empty';
  if (alias.includes('/')) return `MLflow aliases cannot contain "/" ("${alias}")`;
  if (alias.length > 255) return 'MLflow aliases are at most 255 characters';
  if (alias.toLowerCase() === 'latest') return '"latest" is reserved by MLflow';
  if (/^v\d+$/i.test(alias)) return `"${alias}" looks like a version reference (v<number>), which MLflow reserves`;
  return undefined;
}

/**
 * Set (or, for null, delete) aliases of a registered model, after backing the registry up. Every
 * version must exist in the registry; nothing is written when one does not.
 */
export async function setMlflowAliases(
  registry: MlflowRegistry,
  model: string,
  changes: Record<string, string | null>,
  now = new Date(),
): Promise<MlflowAliasChange[]> {
  const entries = Object.entries(changes);
  if (entries.length === 0) return [];
  for (const [alias] of entries) {
    const problem = mlflowAliasProblem(alias);
    if (problem) throw new PromotionError(problem);
  }
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return registry.kind === 'mlflow-sqlite' ? setInDatabase(registry.path, model, entries, stamp) : setInFileStore(registry.path, model, entries, stamp);
}

async function setInDatabase(path: string, model: string, entries: [string, string | null][], stamp: string): Promise<MlflowAliasChange[]> {
  const db = openMlflowDb(path, false);
  try {
    if (!hasTable(db, 'registered_model_aliases'))
      throw new PromotionError(`${path} predates MLflow's model aliases (MLflow 2.3): upgrade it with \`mlflow db upgrade\` first`);
    if (!db.prepare('SELECT 1 FROM registered_models WHERE name = ?').get(model)) throw new PromotionError(`no registered model "${model}" in ${path}`);
    const deleted = columnsOf(db, 'model_versions').has('current_stage') ? "AND (current_stage IS NULL OR current_stage <> 'Deleted_Internal')" : '';
    for (const [, version] of entries) {
      if (version !== null && !db.prepare(`SELECT 1 FROM model_versions WHERE name = ? AND version = ? ${deleted}`).get(model, Number(version)))
        throw new PromotionError(`registered model "${model}" in ${path} has no version ${version}`);
    }
    const backup = unused(`${path}.bak-${stamp}`);
    await db.backup(backup);
    // MLflow 3.x keys every registry row by a workspace too.
    const workspace = columnsOf(db, 'registered_model_aliases').has('workspace')
      ? ((db.prepare('SELECT workspace FROM registered_models WHERE name = ?').get(model) as { workspace?: string } | undefined)?.workspace ?? 'default')
      : undefined;
    const where = workspace !== undefined ? 'AND workspace = ?' : '';
    const scope = workspace !== undefined ? [workspace] : [];
    const previousOf = db.prepare(`SELECT version FROM registered_model_aliases WHERE name = ? AND alias = ? ${where}`);
    const remove = db.prepare(`DELETE FROM registered_model_aliases WHERE name = ? AND alias = ? ${where}`);
    const insert = db.prepare(
      workspace !== undefined
        ? 'INSERT INTO registered_model_aliases (alias, version, name, workspace) VALUES (?, ?, ?, ?)'
        : 'INSERT INTO registered_model_aliases (alias, version, name) VALUES (?, ?, ?)',
    );
    const out: MlflowAliasChange[] = [];
    db.transaction(() => {
      for (const [alias, version] of entries) {
        const previous = previousOf.get(model, alias, ...scope) as { version: number } | undefined;
        remove.run(model, alias, ...scope);
        if (version !== null) insert.run(alias, Number(version), model, ...scope);
        out.push({ registry: path, kind: 'mlflow-sqlite', model, alias, version, previous: previous ? String(previous.version) : null, backup });
      }
    })();
    return out;
  } finally {
    db.close();
  }
}

function setInFileStore(root: string, model: string, entries: [string, string | null][], stamp: string): MlflowAliasChange[] {
  const modelDir = join(root, 'models', model);
  if (!existsSync(join(modelDir, 'meta.yaml'))) throw new PromotionError(`no registered model "${model}" in ${root}`);
  for (const [, version] of entries) {
    if (version !== null && !existsSync(join(modelDir, `version-${version}`, 'meta.yaml')))
      throw new PromotionError(`registered model "${model}" in ${root} has no version ${version}`);
  }
  const aliasesDir = join(modelDir, 'aliases');
  // The aliases as they were: a copy of the folder (empty when there was none).
  const backup = unused(join(modelDir, `aliases.bak-${stamp}`));
  if (existsSync(aliasesDir)) cpSync(aliasesDir, backup, { recursive: true });
  else mkdirSync(backup, { recursive: true });
  mkdirSync(aliasesDir, { recursive: true });
  const present = new Set(readdirSync(aliasesDir));
  return entries.map(([alias, version]) => {
    const file = join(aliasesDir, alias);
    const previous = present.has(alias) ? readFileSync(file, 'utf8').trim() : null;
    if (version === null) rmSync(file, { force: true });
    else writeFileSync(file, version);
    return { registry: root, kind: 'mlflow-file-store' as const, model, alias, version, previous, backup };
  });
}

/** The path, or the path with -2, -3… when a backup of the same second exists already. */
function unused(path: string): string {
  let candidate = path;
  for (let i = 2; existsSync(candidate); i++) candidate = `${path}-${i}`;
  return candidate;
}

function openMlflowDb(path: string, readonly: boolean): SqliteDatabase {
  return openSqlite(path, { fileMustExist: true, readonly, timeoutMs: 5000 });
}

function hasTable(db: SqliteDatabase, name: string): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined;
}

function columnsOf(db: SqliteDatabase, table: string): Set<string> {
  return new Set((db.prepare(`PRAGMA table_info("${table.replace(/"/g, '""')}")`).all() as { name: string }[]).map((c) => c.name));
}

/**
 * Set in the workspace's MLflow registry the aliases a plan moves (a rollback's put them back).
 * Throws a PromotionError, before writing anything, when no registry has the model or lacks a version.
 */
export async function syncMlflowAliases(workspaceRoot: string, plan: { model: string; from: DeploymentState; to: DeploymentState }): Promise<MlflowAliasChange[]> {
  const changes = aliasChanges(plan.from, plan.to);
  if (Object.keys(changes).length === 0) return [];
  const registry = findMlflowRegistry(workspaceRoot, plan.model);
  if (!registry) throw new PromotionError(`no MLflow registry of this workspace (its tracking: sources) has a registered model "${plan.model}"`);
  return setMlflowAliases(registry, plan.model, changes);
}

/** One line per change, for the CLI and the editor's message. */
export function describeMlflowChange(c: MlflowAliasChange): string {
  const what = c.version === null ? `alias ${c.alias} removed` : `alias ${c.alias} → version ${c.version}`;
  return `MLflow ${c.model}: ${what}${c.previous !== null ? ` (was ${c.previous})` : ''} in ${c.registry}; backup ${c.backup}`;
}
