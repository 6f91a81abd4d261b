import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';

/**
 * The part of OpenAPI v3 that Kubernetes structural schemas use, enough to check a resource against
 * a CustomResourceDefinition: type, properties, required, enum, items, additionalProperties, anyOf,
 * pattern, format int32/int64, x-kubernetes-int-or-string and x-kubernetes-preserve-unknown-fields.
 * Unknown fields are errors (as `kubectl apply --validate=strict` makes them), not silently pruned.
 */

export interface Schema {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  properties?: Record<string, Schema>;
  required?: string[];
  enum?: unknown[];
  items?: Schema;
  additionalProperties?: Schema | boolean;
  anyOf?: Schema[];
  pattern?: string;
  format?: string;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
}

export interface CrdVersion {
  group: string;
  kind: string;
  version: string;
  schema: Schema;
}

/** The served versions of the CRDs in a YAML file, with their openAPIV3Schema. */
export function loadCrds(file: string): CrdVersion[] {
  const out: CrdVersion[] = [];
  for (const doc of parseAllDocuments(readFileSync(file, 'utf8'))) {
    const crd = doc.toJS() as {
      kind?: string;
      spec?: { group: string; names: { kind: string }; versions: { name: string; schema: { openAPIV3Schema: Schema } }[] };
    } | null;
    if (crd?.kind !== 'CustomResourceDefinition' || !crd.spec) continue;
    for (const v of crd.spec.versions) out.push({ group: crd.spec.group, kind: crd.spec.names.kind, version: v.name, schema: v.schema.openAPIV3Schema });
  }
  return out;
}

/** Problems of a resource against the CRD version its apiVersion and kind name; [] when it conforms. */
export function validateResource(resource: object, crds: CrdVersion[]): string[] {
  const { apiVersion, kind } = resource as { apiVersion?: unknown; kind?: unknown };
  const crd = crds.find((c) => `${c.group}/${c.version}` === apiVersion && c.kind === kind);
  if (!crd) return [`no CRD for apiVersion ${String(apiVersion)} kind ${String(kind)}`];
  // The API server checks metadata against ObjectMeta, not the CRD (which says only `type: object`).
  const schema: Schema = { ...crd.schema, properties: { ...crd.schema.properties, metadata: OBJECT_META } };
  return validate(resource, schema, '');
}

/** The ObjectMeta fields a manifest sets; names are DNS-1123 labels, as KServe and Seldon require of theirs. */
const OBJECT_META: Schema = {
  type: 'object',
  required: ['name'],
  properties: {
    name: { type: 'string', pattern: '^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$' },
    namespace: { type: 'string', pattern: '^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$' },
    labels: { type: 'object', additionalProperties: { type: 'string', pattern: '^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$' } },
    annotations: { type: 'object', additionalProperties: { type: 'string' } },
  },
};

const INT_RANGE: Record<string, [number, number]> = { int32: [-(2 ** 31), 2 ** 31 - 1], int64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER] };

export function validate(value: unknown, schema: Schema, path: string): string[] {
  const at = path || '<root>';
  if (schema['x-kubernetes-int-or-string']) {
    if (!(typeof value === 'string' || Number.isInteger(value))) return [`${at}: must be an integer or a string, not ${describe(value)}`];
    return checkPattern(value, schema, at);
  }
  if (schema.anyOf) {
    const results = schema.anyOf.map((s) => validate(value, { ...s, pattern: s.pattern ?? schema.pattern }, path));
    if (!results.some((r) => r.length === 0)) return [`${at}: matches none of anyOf (${results.map((r) => r[0]).join('; ')})`];
  }
  const problems: string[] = [];
  switch (schema.type) {
    case 'object': {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return [`${at}: must be an object, not ${describe(value)}`];
      const obj = value as Record<string, unknown>;
      for (const key of schema.required ?? []) if (!(key in obj)) problems.push(`${at}: missing required field "${key}"`);
      for (const [key, v] of Object.entries(obj)) {
        const child = `${path}.${key}`;
        const property = schema.properties?.[key];
        if (property) problems.push(...validate(v, property, child));
        else if (typeof schema.additionalProperties === 'object') problems.push(...validate(v, schema.additionalProperties, child));
        else if (schema.additionalProperties !== true && !schema['x-kubernetes-preserve-unknown-fields']) problems.push(`${child}: unknown field`);
      }
      break;
    }
    case 'array':
      if (!Array.isArray(value)) return [`${at}: must be an array, not ${describe(value)}`];
      if (schema.items) value.forEach((item, i) => problems.push(...validate(item, schema.items!, `${path}[${i}]`)));
      break;
    case 'string':
      if (typeof value !== 'string') return [`${at}: must be a string, not ${describe(value)}`];
      problems.push(...checkPattern(value, schema, at));
      break;
    case 'integer': {
      if (!Number.isInteger(value)) return [`${at}: must be an integer, not ${describe(value)}`];
      const range = schema.format ? INT_RANGE[schema.format] : undefined;
      if (range && ((value as number) < range[0] || (value as number) > range[1])) problems.push(`${at}: ${String(value)} is out of ${schema.format} range`);
      break;
    }
    case 'number':
      if (typeof value !== 'number') return [`${at}: must be a number, not ${describe(value)}`];
      break;
    case 'boolean':
      if (typeof value !== 'boolean') return [`${at}: must be a boolean, not ${describe(value)}`];
      break;
    case undefined:
      break;
  }
  if (schema.enum && !schema.enum.some((e) => e === value))
    problems.push(`${at}: must be one of ${schema.enum.map((e) => JSON.stringify(e)).join(', ')}, not ${JSON.stringify(value)}`);
  return problems;
}

function checkPattern(value: unknown, schema: Schema, at: string): string[] {
  if (typeof value !== 'string' || !schema.pattern) return [];
  return new RegExp(schema.pattern).test(value) ? [] : [`${at}: "${value}" does not match ${schema.pattern}`];
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `${typeof value} ${JSON.stringify(value)}`;
}
