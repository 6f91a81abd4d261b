/**
 * A data set's expectations (`data.<name>` in mlops.yaml), compiled from the manifest's located view
 * into rules a validator runs per cell. Compiling also finds the expectations that can never be
 * checked or never pass (min above max, a regular expression that does not compile, a format for a
 * number column), which the manifest check reports where they are written.
 */
import type { Range } from '../contract';
import type { ColumnDecl, DatasetDecl, ExpectationField } from '../manifest/model';
import { compileDateFormat, isoDateFormat, type DateFormat } from './dates';

export const COLUMN_TYPES = ['integer', 'number', 'string', 'category', 'boolean', 'date', 'datetime'] as const;
export type ColumnType = (typeof COLUMN_TYPES)[number];

/** Every expectation a column can have, by its manifest key. */
export type ColumnExpectationKey = 'required' | 'type' | 'min' | 'max' | 'values' | 'unique' | 'pattern' | 'max_null_share';

export type RuleSeverity = 'error' | 'warning';

/** One expectation of a column, ready to run. */
export interface ColumnRule {
  key: ColumnExpectationKey;
  /** How it reads in a report: "type: integer", "min: 0", "max_null_share: 0.01". */
  label: string;
  severity: RuleSeverity;
  /** Where it is written in the manifest (its value). */
  range: Range;
  keyRange: Range;
}

export interface ColumnSpec {
  name: string;
  keyRange: Range;
  range: Range;
  required: boolean;
  type?: ColumnType;
  /** The type's rule (absent when no type is declared). */
  typeRule?: ColumnRule;
  /** Dates' format: the declared one, or ISO 8601. */
  dateFormat?: DateFormat;
  /** Bounds as numbers (dates as ms). */
  min?: { value: number; rule: ColumnRule };
  max?: { value: number; rule: ColumnRule };
  values?: { set: Set<string>; rule: ColumnRule };
  unique?: ColumnRule;
  pattern?: { regex: RegExp; rule: ColumnRule };
  maxNullShare?: { value: number; rule: ColumnRule };
  requiredRule: ColumnRule;
}

export interface DatasetSpec {
  name: string;
  path?: string;
  pathRange?: Range;
  keyRange: Range;
  columns: ColumnSpec[];
  rows?: { min?: number; max?: number; severity: RuleSeverity; range: Range; minRange?: Range; maxRange?: Range };
  extraColumns: 'error' | 'warn' | 'ignore';
  extraColumnsRange?: Range;
  reference?: string;
  referenceRange?: Range;
}

/** A declaration that cannot be checked as written: reported in the manifest, skipped by the validator. */
export interface SpecProblem {
  range: Range;
  severity: 'error' | 'warning';
  code: 'expectation-invalid' | 'expectation-order' | 'expectation-type';
  message: string;
}

export function compileDataset(decl: DatasetDecl): { spec: DatasetSpec; problems: SpecProblem[] } {
  const problems: SpecProblem[] = [];
  const datasetSeverity = severityOf(decl.severity?.value, 'error');
  const columns = [...(decl.columns?.entries.values() ?? [])].map((c) => compileColumn(c, datasetSeverity, problems));
  const rows = decl.rows;
  if (rows?.min && rows.max && rows.min.value > rows.max.value) {
    problems.push({ range: rows.range, severity: 'error', code: 'expectation-order', message: `rows: min ${rows.min.value} is above max ${rows.max.value}: no file can pass.` });
  }
  const extra = decl.extraColumns?.value;
  return {
    spec: {
      name: decl.name,
      path: decl.path?.value,
      pathRange: decl.path?.range,
      keyRange: decl.keyRange,
      columns,
      rows: rows && (rows.min || rows.max) ? { min: rows.min?.value, max: rows.max?.value, severity: severityOf(rows.severity?.value, datasetSeverity), range: rows.range, minRange: rows.min?.range, maxRange: rows.max?.range } : undefined,
      extraColumns: extra === 'error' || extra === 'warn' ? extra : 'ignore',
      extraColumnsRange: decl.extraColumns?.range,
      reference: decl.reference?.value,
      referenceRange: decl.reference?.range,
    },
    problems,
  };
}

function severityOf(text: string | undefined, fallback: RuleSeverity | 'error'): RuleSeverity {
  if (text === 'warn') return 'warning';
  if (text === 'error') return 'error';
  return fallback;
}

function compileColumn(c: ColumnDecl, datasetSeverity: RuleSeverity, problems: SpecProblem[]): ColumnSpec {
  const columnSeverity = severityOf(c.severity?.value, datasetSeverity);
  const rule = (key: ColumnExpectationKey, field: ExpectationField<unknown>, shown: string): ColumnRule => ({
    key,
    label: `${key}: ${shown}`,
    severity: severityOf(field.severity?.value, columnSeverity),
    range: field.range,
    keyRange: field.keyRange,
  });
  const spec: ColumnSpec = {
    name: c.name,
    keyRange: c.keyRange,
    range: c.range,
    required: c.required?.value !== false,
    requiredRule: { key: 'required', label: 'the column is in the file', severity: columnSeverity, range: c.keyRange, keyRange: c.keyRange },
  };
  const type = c.type && (COLUMN_TYPES as readonly string[]).includes(c.type.value) ? (c.type.value as ColumnType) : undefined;
  if (type && c.type) {
    spec.type = type;
    spec.typeRule = rule('type', c.type, type);
  }
  const isDate = type === 'date' || type === 'datetime';
  if (c.format) {
    if (!isDate) {
      problems.push({ range: c.format.keyRange, severity: 'warning', code: 'expectation-type', message: `\`format\` applies to date and datetime columns; \`${c.name}\` is ${type ? `of type ${type}` : 'not declared a date (add type: date)'}, so it is not checked.` });
    } else {
      const compiled = compileDateFormat(c.format.value);
      if ('error' in compiled) problems.push({ range: c.format.range, severity: 'error', code: 'expectation-invalid', message: `the date format "${c.format.value}" cannot be used: ${compiled.error}.` });
      else spec.dateFormat = compiled;
    }
  }
  if (isDate) spec.dateFormat ??= isoDateFormat(type === 'datetime');
  for (const side of ['min', 'max'] as const) {
    const field = c[side];
    if (!field) continue;
    const bound = boundOf(field.value, type, spec.dateFormat);
    if ('error' in bound) {
      problems.push({ range: field.range, severity: 'error', code: 'expectation-type', message: `${side} ${JSON.stringify(field.value)} of \`${c.name}\`: ${bound.error}.` });
      continue;
    }
    spec[side] = { value: bound.value, rule: rule(side, field, String(field.value)) };
  }
  if (spec.min && spec.max && spec.min.value > spec.max.value) {
    problems.push({ range: c.range, severity: 'error', code: 'expectation-order', message: `\`${c.name}\` has min ${String(c.min?.value)} above max ${String(c.max?.value)}: no value can pass.` });
  }
  if (c.values) {
    if (type && type !== 'category' && type !== 'string' && type !== 'integer' && type !== 'number' && type !== 'boolean') {
      problems.push({ range: c.values.keyRange, severity: 'warning', code: 'expectation-type', message: `\`values\` on a ${type} column compares the text of each value with the list.` });
    }
    spec.values = { set: new Set(c.values.value.map((v) => canonicalValue(v.value, type))), rule: rule('values', c.values, c.values.value.length > 6 ? `${c.values.value.slice(0, 6).map((v) => String(v.value)).join(', ')}, …` : c.values.value.map((v) => String(v.value)).join(', ')) };
  }
  if (c.unique?.value === true) spec.unique = rule('unique', c.unique, 'true');
  if (c.pattern) {
    try {
      spec.pattern = { regex: new RegExp(`^(?:${c.pattern.value})$`, 'u'), rule: rule('pattern', c.pattern, c.pattern.value) };
    } catch (error) {
      problems.push({ range: c.pattern.range, severity: 'error', code: 'expectation-invalid', message: `the pattern of \`${c.name}\` is not a regular expression: ${(error as Error).message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /, '')}.` });
    }
    if (type && type !== 'string' && type !== 'category') {
      problems.push({ range: c.pattern.keyRange, severity: 'warning', code: 'expectation-type', message: `\`pattern\` matches text; \`${c.name}\` is of type ${type}, so the pattern is matched against each value as written.` });
    }
  }
  if (c.maxNullShare) spec.maxNullShare = { value: c.maxNullShare.value, rule: rule('max_null_share', c.maxNullShare, String(c.maxNullShare.value)) };
  return spec;
}

function boundOf(value: number | string, type: ColumnType | undefined, format: DateFormat | undefined): { value: number } | { error: string } {
  if (type === 'date' || type === 'datetime') {
    if (typeof value !== 'string' || !format) return { error: 'a date bound is a date written in the column\'s format' };
    const ms = format.parse(value);
    return ms === undefined ? { error: `is not a date in the format ${format.text}` } : { value: ms };
  }
  if (type === 'string' || type === 'category' || type === 'boolean') return { error: `min and max apply to numbers and dates, not to a ${type} column` };
  const n = typeof value === 'number' ? value : Number(value);
  return Number.isFinite(n) && (typeof value === 'number' || value.trim() !== '') ? { value: n } : { error: 'a numeric bound must be a number' };
}

/** How a listed value and a cell are compared for `values`: numbers by value (1 and 1.0 alike), the rest as text. */
export function canonicalValue(value: string | number | boolean | bigint, type: ColumnType | undefined): string {
  if ((type === 'integer' || type === 'number') && typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return String(Number(value));
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  if (typeof value === 'boolean') return type === 'boolean' ? String(value) : value ? 'true' : 'false';
  if (type === 'boolean') {
    const b = parseBoolean(value);
    return b === undefined ? value : String(b);
  }
  return value;
}

const TRUE = new Set(['true', 'yes', 'y', 't', '1']);
const FALSE = new Set(['false', 'no', 'n', 'f', '0']);

export function parseBoolean(text: string): boolean | undefined {
  // The usual spellings first, without making new text.
  if (text === 'true' || text === 'True' || text === 'TRUE' || text === '1') return true;
  if (text === 'false' || text === 'False' || text === 'FALSE' || text === '0') return false;
  const t = text.trim().toLowerCase();
  if (TRUE.has(t)) return true;
  if (FALSE.has(t)) return false;
  return undefined;
}
