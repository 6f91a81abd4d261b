/**
 * The manifest's JSON Schema (schemas/mlops.schema.json, also contributed to VS Code through
 * yamlValidation) checked directly on the YAML tree, so each error sits on the offending key or value.
 * It implements the draft-07 subset the schema uses: type, properties, additionalProperties,
 * required, minProperties, items, enum, const, minimum/maximum (and exclusive), minLength, pattern
 * (with the editors' `patternErrorMessage`) and local `$ref`s.
 */
import { isMap, isScalar, isSeq, type YAMLMap } from 'yaml';
import type { Range } from '../contract';
import rawSchema from '../../../schemas/mlops.schema.json';
import type { Locator } from './model';
import { closest } from './suggest';
import type { ManifestFinding } from './validate';

export interface JsonSchema {
  type?: string | string[];
  description?: string;
  default?: unknown;
  properties?: Record<string, JsonSchema>;
  additionalProperties?: boolean | JsonSchema;
  required?: string[];
  minProperties?: number;
  items?: JsonSchema;
  enum?: unknown[];
  /** Suggested values (offered by completion where there is no enum). */
  examples?: unknown[];
  const?: unknown;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minLength?: number;
  pattern?: string;
  patternErrorMessage?: string;
  $ref?: string;
  definitions?: Record<string, JsonSchema>;
}

/** The manifest schema with every `$ref` inlined (the schema is not recursive). */
export const MANIFEST_SCHEMA: JsonSchema = inline(rawSchema as JsonSchema, (rawSchema as JsonSchema).definitions ?? {});

/**
 * The schema of the value at a path such as ['models', 'churn', 'versions', '1'] (sequence indexes as
 * numbers), for completion and hover; undefined where the schema allows nothing.
 */
export function schemaAt(path: readonly (string | number)[]): JsonSchema | undefined {
  let schema: JsonSchema | undefined = MANIFEST_SCHEMA;
  for (const segment of path) {
    if (!schema) return undefined;
    if (typeof segment === 'number') schema = schema.items;
    else schema = propertySchema(schema, segment);
  }
  return schema;
}

/** Schema findings for a document's root node. */
export function checkSchema(root: unknown, locator: Locator): ManifestFinding[] {
  const walker = new SchemaWalker(locator);
  walker.walk(root, MANIFEST_SCHEMA, undefined);
  return walker.findings;
}

class SchemaWalker {
  readonly findings: ManifestFinding[] = [];
  private readonly path: string[] = [];

  constructor(private readonly locator: Locator) {}

  /**
   * `anchor` is the key node holding the node (undefined for the document): where a missing key is
   * reported. Ranges are computed only for findings: most nodes are fine, and this runs on every edit.
   */
  walk(node: unknown, schema: JsonSchema, anchor: unknown): void {
    const value = this.locator.deref(node);
    const actual = typeOf(value);
    if (schema.type !== undefined && !typeMatches(actual, schema.type)) {
      this.wrongType(node, value, actual, schema, anchor);
      return;
    }
    if (actual === 'object') this.object(value as YAMLMap<unknown, unknown>, schema, anchor);
    else if (actual === 'array' && schema.items) this.array(value, schema.items);
    else if (isScalar(value)) this.scalar(node, value.value, schema, anchor);
  }

  private object(map: YAMLMap<unknown, unknown>, schema: JsonSchema, anchor: unknown): void {
    const keys = map.items.map((pair) => this.locator.keyText(pair.key));
    for (let i = 0; i < map.items.length; i++) {
      const pair = map.items[i];
      const key = keys[i];
      const keyNode = pair.key ?? pair.value;
      if (key === undefined) {
        const kind = typeOf(this.locator.deref(pair.key));
        const what = kind === 'null' ? 'is empty' : `is ${article(kind)}`;
        this.report(this.locator.range(keyNode), 'wrong-type', `A key in ${this.where()} ${what}; keys must be names.`);
        continue;
      }
      const child = propertySchema(schema, key);
      if (child) {
        this.path.push(key);
        this.walk(pair.value, child, keyNode);
        this.path.pop();
      } else if (schema.additionalProperties === false) {
        this.unknownKey(key, this.locator.range(keyNode), schema, keys);
      }
    }
    for (const name of schema.required ?? []) {
      if (!keys.includes(name)) this.report(this.anchorRange(anchor), 'missing-key', `${capitalize(this.where())} needs \`${name}\`${hint(schema.properties?.[name])}.`);
    }
    if (schema.minProperties !== undefined && map.items.length < schema.minProperties) {
      const names = Object.keys(schema.properties ?? {}).map((n) => `\`${n}\``);
      this.report(this.anchorRange(anchor), 'missing-key', `${capitalize(this.where())} needs at least one of ${names.join(', ')}.`);
    }
  }

  private unknownKey(key: string, range: Range, schema: JsonSchema, present: (string | undefined)[]): void {
    const allowed = Object.keys(schema.properties ?? {});
    const suggestion = closest(key, allowed.filter((k) => !present.includes(k)));
    const where = this.path.length === 0 ? 'at the top level' : `in ${this.where()}`;
    const tail = suggestion ? `did you mean \`${suggestion}\`?` : `expected one of ${allowed.map((k) => `\`${k}\``).join(', ')}.`;
    this.report(range, 'unknown-key', `\`${key}\` is not allowed ${where}; ${tail}`, suggestion);
  }

  private array(seq: unknown, items: JsonSchema): void {
    if (!isSeq(seq)) return;
    seq.items.forEach((item, i) => {
      this.path.push(String(i));
      this.walk(item, items, item);
      this.path.pop();
    });
  }

  private scalar(node: unknown, value: unknown, schema: JsonSchema, anchor: unknown): void {
    const problem = this.scalarProblem(value, schema);
    if (problem) this.report(this.valueRange(node, anchor), problem.code, problem.message, problem.replacement);
  }

  private scalarProblem(value: unknown, schema: JsonSchema): { code: string; message: string; replacement?: string } | undefined {
    const where = (): string => capitalize(this.where());
    if (schema.const !== undefined && value !== schema.const) {
      return { code: 'invalid-value', message: `${where()} must be ${JSON.stringify(schema.const)}.`, replacement: String(schema.const) };
    }
    if (schema.enum && !schema.enum.includes(value)) {
      const options = schema.enum.map(String);
      const suggestion = typeof value === 'string' ? closest(value, options) : undefined;
      const tail = suggestion ? `; did you mean \`${suggestion}\`?` : '.';
      return { code: 'invalid-value', message: `${where()} must be one of ${options.map((o) => `\`${o}\``).join(', ')}${tail}`, replacement: suggestion };
    }
    if (typeof value === 'string') {
      if (schema.minLength !== undefined && value.length < schema.minLength) return { code: 'invalid-value', message: `${where()} must not be empty.` };
      if (schema.pattern !== undefined && !pattern(schema.pattern).test(value)) {
        return { code: 'invalid-value', message: schema.patternErrorMessage ?? `${where()} must match ${schema.pattern}.` };
      }
    }
    if (typeof value === 'number') {
      const { minimum: min, maximum: max, exclusiveMinimum: xmin, exclusiveMaximum: xmax } = schema;
      const outside = (min !== undefined && value < min) || (max !== undefined && value > max) || (xmin !== undefined && value <= xmin) || (xmax !== undefined && value >= xmax);
      if (outside) return { code: 'out-of-range', message: `${where()} is ${value}; it must be ${describeBounds(schema)}.` };
    }
    return undefined;
  }

  private wrongType(node: unknown, value: unknown, actual: string, schema: JsonSchema, anchor: unknown): void {
    const expected = typeNames(schema.type ?? []);
    const range = this.valueRange(node, anchor);
    if (actual === 'null') {
      this.report(range, 'wrong-type', `${capitalize(this.where())} is empty; it must be ${expected}.`);
      return;
    }
    let tail = '';
    let replacement: string | undefined;
    const raw = isScalar(value) ? value.value : undefined;
    const wantsNumber = typeMatches('number', schema.type ?? []) || typeMatches('integer', schema.type ?? []);
    if (typeof raw === 'string' && wantsNumber && raw.trim() !== '' && Number.isFinite(Number(raw))) {
      tail = ': remove the quotes';
      replacement = raw.trim();
    } else if (actual !== 'string' && typeMatches('string', schema.type ?? []) && isScalar(value) && value.source) {
      tail = `: YAML reads \`${value.source}\` as ${actual === 'boolean' ? 'a boolean' : 'a number'}; quote it`;
      replacement = JSON.stringify(value.source);
    }
    this.report(range, 'wrong-type', `${capitalize(this.where())} must be ${expected}, not ${article(actual)}${tail}.`, replacement);
  }

  /** A value's range, or its key's when the value is empty (`port:` with nothing after it). */
  private valueRange(node: unknown, anchor: unknown): Range {
    const value = this.locator.deref(node);
    return typeOf(value) === 'null' && !(isScalar(value) && value.source) ? this.anchorRange(anchor) : this.locator.range(node);
  }

  private anchorRange(anchor: unknown): Range {
    return anchor === undefined ? this.locator.rangeOf(0, 0) : this.locator.range(anchor);
  }

  private where(): string {
    return this.path.length === 0 ? 'the manifest' : `\`${this.path.join('.')}\``;
  }

  private report(range: Range, code: string, message: string, replacement?: string): void {
    this.findings.push({ range, severity: 'error', code, message, ...(replacement !== undefined ? { data: { replacement } } : {}) });
  }
}

/** The schema of a key of an object: its own property, else additionalProperties (never Object.prototype's). */
function propertySchema(schema: JsonSchema, key: string): JsonSchema | undefined {
  if (schema.properties && Object.hasOwn(schema.properties, key)) return schema.properties[key];
  return typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined;
}

type JsonType = 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean' | 'null';

function typeOf(node: unknown): JsonType {
  if (isMap(node)) return 'object';
  if (isSeq(node)) return 'array';
  const v = isScalar(node) ? node.value : undefined;
  if (typeof v === 'string') return 'string';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  if (typeof v === 'boolean') return 'boolean';
  return 'null';
}

function typeMatches(actual: string, expected: string | string[]): boolean {
  const list = Array.isArray(expected) ? expected : [expected];
  return list.includes(actual) || (actual === 'integer' && list.includes('number'));
}

const TYPE_NAMES: Record<string, string> = { object: 'a mapping', array: 'a list', string: 'a string', integer: 'an integer', number: 'a number', boolean: 'true or false', null: 'empty' };

function typeNames(expected: string | string[]): string {
  return (Array.isArray(expected) ? expected : [expected]).map((t) => TYPE_NAMES[t] ?? t).join(' or ');
}

function article(actual: string): string {
  return actual === 'boolean' ? 'a boolean' : (TYPE_NAMES[actual] ?? actual);
}

function describeBounds(s: JsonSchema): string {
  const low = s.minimum !== undefined ? { v: s.minimum, open: false } : s.exclusiveMinimum !== undefined ? { v: s.exclusiveMinimum, open: true } : undefined;
  const high = s.maximum !== undefined ? { v: s.maximum, open: false } : s.exclusiveMaximum !== undefined ? { v: s.exclusiveMaximum, open: true } : undefined;
  if (low && high) return `${low.open ? 'greater than' : 'at least'} ${low.v} and ${high.open ? 'less than' : 'at most'} ${high.v}`;
  if (low) return `${low.open ? 'greater than' : 'at least'} ${low.v}`;
  return high ? `${high.open ? 'less than' : 'at most'} ${high.v}` : 'a number';
}

function hint(schema: JsonSchema | undefined): string {
  const first = schema?.description?.split(/(?<=\.)\s/)[0]?.replace(/\.$/, '');
  return first ? ` (${first.charAt(0).toLowerCase()}${first.slice(1)})` : '';
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

const patterns = new Map<string, RegExp>();

function pattern(source: string): RegExp {
  let re = patterns.get(source);
  if (!re) patterns.set(source, (re = new RegExp(source, 'u')));
  return re;
}

function inline(schema: JsonSchema, definitions: Record<string, JsonSchema>): JsonSchema {
  let s = schema;
  while (s.$ref) {
    const name = s.$ref.replace(/^#\/definitions\//, '');
    const { $ref: _ref, ...rest } = s;
    s = { ...definitions[name], ...rest };
  }
  const { definitions: _defs, ...out } = s;
  if (out.properties) out.properties = Object.fromEntries(Object.entries(out.properties).map(([k, v]) => [k, inline(v, definitions)]));
  if (typeof out.additionalProperties === 'object') out.additionalProperties = inline(out.additionalProperties, definitions);
  if (out.items) out.items = inline(out.items, definitions);
  return out;
}
