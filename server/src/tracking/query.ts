/**
 * The run query language: MLflow's search-runs filter syntax, plus `or` and parentheses, and MLflow's
 * order-by syntax. Pure: no I/O; a query is parsed and compiled once into a closure.
 *
 *   metrics.accuracy > 0.9 and (params.model = 'xgb' or tags.`team/owner` LIKE 'ml-%')
 *
 * Identifiers: `metrics.<key>`, `params.<key>`, `tags.<key>`, `attributes.<name>` (prefix aliases as
 * MLflow accepts them: metric, param, parameter(s), tag, attribute, attr, run), or a bare attribute
 * name. Keys may contain `.`, `/`, `-` and any letter; a key with spaces or delimiters is quoted with
 * backticks or double quotes. MLflow splits at the first dot, so `tags.mlflow.runName` is the tag
 * `mlflow.runName`. Entity prefixes, attribute names and keywords are case-insensitive; keys and values
 * are not.
 *
 * Semantics (MLflow's `SearchUtils._does_run_match_clause`, mlflow/utils/search_utils.py, and its
 * SQL store):
 * - A run that lacks the metric/param/tag (or whose attribute is null, e.g. end_time of a running run)
 *   matches no comparison, `!=` and `NOT IN` included: MLflow returns False when the value is None,
 *   and its SQL store joins on the key. `IS NULL` / `IS NOT NULL` test presence (MLflow added these for
 *   params and tags; here they work on every identifier).
 * - NaN metrics follow IEEE 754 as MLflow's file store does (and its SQL store since it stopped
 *   matching the is_nan placeholder): NaN matches no `= < <= > >=`, and does match `!=`. A NaN metric
 *   is present, so it matches `IS NOT NULL`. ±Infinity compare as numbers.
 * - LIKE is case-sensitive, ILIKE case-insensitive (Unicode-aware); `%` is any run of characters, `_`
 *   exactly one; there is no escape character, every other character is literal.
 * - `=`/`!=` on strings are exact and case-sensitive.
 *
 * Beyond MLflow: `or`, parentheses, `IN`/`NOT IN` for params, tags and every string attribute (MLflow:
 * run_id only), `IS [NOT] NULL` on metrics and attributes, the attributes `experiment_id` and
 * `lifecycle_stage`, and `tags.mlflow.runName` falling back to the run name when the tag is absent.
 */
import { QuerySyntaxError, quoteForMessage, tokenize, type Token } from './query-lexer';

export { QuerySyntaxError } from './query-lexer';

export type QueryRunStatus = 'RUNNING' | 'SCHEDULED' | 'FINISHED' | 'FAILED' | 'KILLED';

/** What a query filters and sorts. Run records and the index's run summaries both fit it. */
export interface QueryableRun {
  runId: string;
  experimentId: string;
  name: string;
  status: QueryRunStatus;
  startTime: number | null;
  endTime: number | null;
  lifecycleStage: 'active' | 'deleted';
  userId: string | null;
  artifactUri: string | null;
  params: Record<string, string>;
  tags: Record<string, string>;
  /** Latest value per metric; may be NaN or ±Infinity. */
  metrics: Record<string, number>;
}

export type EntityType = 'metric' | 'param' | 'tag' | 'attribute';
export type AttributeName = 'run_id' | 'run_name' | 'status' | 'start_time' | 'end_time' | 'artifact_uri' | 'user_id' | 'lifecycle_stage' | 'experiment_id';

/** A metric, param or tag key, or (for `attribute`) the canonical attribute name. */
export interface FieldRef {
  entity: EntityType;
  key: string;
}

export type Comparator = '=' | '!=' | '<' | '<=' | '>' | '>=' | 'LIKE' | 'ILIKE' | 'IN' | 'NOT IN' | 'IS NULL' | 'IS NOT NULL';

export interface ComparisonNode {
  type: 'comparison';
  field: FieldRef;
  comparator: Comparator;
  /** A number for numeric comparisons, a string, a list for IN / NOT IN, null for IS [NOT] NULL. */
  value: number | string | readonly string[] | null;
  /** 1-based columns of the comparison in the query text; `endColumn` is exclusive. */
  column: number;
  endColumn: number;
}

export interface LogicalNode {
  type: 'and' | 'or';
  operands: QueryNode[];
}

export type QueryNode = ComparisonNode | LogicalNode;

export interface Query {
  readonly text: string;
  /** null for an empty query, which matches every run. */
  readonly ast: QueryNode | null;
  readonly predicate: (run: QueryableRun) => boolean;
}

export interface OrderByClause {
  field: FieldRef;
  ascending: boolean;
}

// ---------------------------------------------------------------------------------------------
// Public API

/** Parses and compiles a filter. Throws only QuerySyntaxError. Empty (or blank) text matches all runs. */
export function parseQuery(text: string): Query {
  const source = typeof text === 'string' ? text : '';
  const parser = new Parser(source, tokenize(source));
  const ast = parser.parseFilter();
  return { text: source, ast, predicate: ast ? compile(ast) : matchAll };
}

export function matchesQuery(query: Query, run: QueryableRun): boolean {
  return query.predicate(run);
}

/** The runs matching a filter, in their original order. */
export function filterRuns<T extends QueryableRun>(runs: readonly T[], query: string | Query): T[] {
  const { predicate } = typeof query === 'string' ? parseQuery(query) : query;
  const out: T[] = [];
  for (const run of runs) if (predicate(run)) out.push(run);
  return out;
}

/**
 * Parses `key [ASC|DESC], key [ASC|DESC], ...` (MLflow order_by entries, comma-separated); ASC by
 * default. Empty text gives no clauses. Throws only QuerySyntaxError.
 */
export function parseOrderBy(text: string): OrderByClause[] {
  const source = typeof text === 'string' ? text : '';
  return new Parser(source, tokenize(source)).parseOrderBy();
}

/**
 * A sorted copy, as MLflow's `SearchUtils.sort` orders runs: by each clause in turn; runs missing the
 * key come last in both directions, and a NaN metric comes after every number but before the missing
 * (±Infinity are numbers). Strings compare by code point, case-sensitively. Ties are broken by
 * start_time descending (no start time last), then run_id ascending, so the order is deterministic.
 */
export function sortRuns<T extends QueryableRun>(runs: readonly T[], orderBy: string | readonly OrderByClause[]): T[] {
  const clauses = typeof orderBy === 'string' ? parseOrderBy(orderBy) : orderBy;
  const n = runs.length;
  const keys = clauses.map((clause) => {
    const get = fieldGetter(clause.field);
    const ranks = new Uint8Array(n);
    const values: (number | string)[] = new Array<number | string>(n);
    for (let i = 0; i < n; i++) {
      const v = get(runs[i]);
      if (v === undefined) {
        ranks[i] = RANK_MISSING;
        values[i] = 0;
      } else {
        ranks[i] = typeof v === 'number' && Number.isNaN(v) ? RANK_NAN : RANK_VALUE;
        values[i] = v;
      }
    }
    return { ranks, values, sign: clause.ascending ? 1 : -1 };
  });
  const order = Array.from({ length: n }, (_, i) => i);
  order.sort((a, b) => {
    for (const key of keys) {
      const ra = key.ranks[a];
      const rb = key.ranks[b];
      if (ra !== rb) return ra - rb;
      if (ra === RANK_VALUE) {
        const c = compareValues(key.values[a], key.values[b]);
        if (c !== 0) return c * key.sign;
      }
    }
    const ra = runs[a];
    const rb = runs[b];
    const sa = typeof ra.startTime === 'number' && !Number.isNaN(ra.startTime) ? ra.startTime : null;
    const sb = typeof rb.startTime === 'number' && !Number.isNaN(rb.startTime) ? rb.startTime : null;
    if (sa !== sb) {
      if (sa === null) return 1;
      if (sb === null) return -1;
      return sb - sa;
    }
    return compareCodePoints(String(ra.runId), String(rb.runId)) || a - b;
  });
  return order.map((i) => runs[i]);
}

// ---------------------------------------------------------------------------------------------
// Parsing

/** Deeper nesting than this is refused rather than risking the stack. */
const MAX_DEPTH = 64;

const ENTITY_PREFIXES = new Map<string, EntityType>([
  ['metric', 'metric'],
  ['metrics', 'metric'],
  ['param', 'param'],
  ['params', 'param'],
  ['parameter', 'param'],
  ['parameters', 'param'],
  ['tag', 'tag'],
  ['tags', 'tag'],
  ['attribute', 'attribute'],
  ['attributes', 'attribute'],
  ['attr', 'attribute'],
  ['run', 'attribute'],
]);

/** Attribute names and MLflow's aliases for them (`created`, `Run Name`), lower-cased. */
const ATTRIBUTES = new Map<string, AttributeName>([
  ['run_id', 'run_id'],
  ['run_name', 'run_name'],
  ['run name', 'run_name'],
  ['status', 'status'],
  ['start_time', 'start_time'],
  ['created', 'start_time'],
  ['end_time', 'end_time'],
  ['artifact_uri', 'artifact_uri'],
  ['user_id', 'user_id'],
  ['lifecycle_stage', 'lifecycle_stage'],
  ['experiment_id', 'experiment_id'],
]);

const NUMERIC_ATTRIBUTES: ReadonlySet<string> = new Set<AttributeName>(['start_time', 'end_time']);
const NUMERIC_COMPARATORS: ReadonlySet<Comparator> = new Set<Comparator>(['=', '!=', '<', '<=', '>', '>=', 'IS NULL', 'IS NOT NULL']);
const STRING_COMPARATORS: ReadonlySet<Comparator> = new Set<Comparator>(['=', '!=', 'LIKE', 'ILIKE', 'IN', 'NOT IN', 'IS NULL', 'IS NOT NULL']);

interface ParsedField {
  field: FieldRef;
  /** The identifier as written, for messages. */
  display: string;
  start: number;
  end: number;
}

class Parser {
  private pos = 0;
  private depth = 0;

  constructor(
    private readonly text: string,
    private readonly tokens: Token[],
  ) {}

  parseFilter(): QueryNode | null {
    if (this.peek().kind === 'eof') return null;
    const node = this.parseOr();
    const t = this.peek();
    if (t.kind === ')') this.fail("unexpected ')' without a matching '('", t);
    if (t.kind !== 'eof') this.fail(`expected AND, OR or the end of the query, found ${describe(t)}`, t);
    return node;
  }

  parseOrderBy(): OrderByClause[] {
    const clauses: OrderByClause[] = [];
    if (this.peek().kind === 'eof') return clauses;
    for (;;) {
      const parsed = this.parseField('order by');
      let ascending = true;
      const t = this.peek();
      if (isKeyword(t, 'asc') || isKeyword(t, 'desc')) {
        ascending = isKeyword(t, 'asc');
        this.pos++;
      }
      clauses.push({ field: parsed.field, ascending });
      const sep = this.peek();
      if (sep.kind === 'eof') return clauses;
      if (sep.kind !== ',') {
        const after = t === sep ? parsed.display : `${parsed.display} ${t.raw}`;
        this.fail(`expected ASC, DESC or ',' after ${after}`, sep);
      }
      this.pos++;
    }
  }

  private parseOr(): QueryNode {
    const operands = [this.parseAnd()];
    while (isKeyword(this.peek(), 'or')) {
      this.pos++;
      operands.push(this.parseAnd());
    }
    return operands.length === 1 ? operands[0] : { type: 'or', operands };
  }

  private parseAnd(): QueryNode {
    const operands = [this.parsePrimary()];
    while (isKeyword(this.peek(), 'and')) {
      this.pos++;
      operands.push(this.parsePrimary());
    }
    return operands.length === 1 ? operands[0] : { type: 'and', operands };
  }

  private parsePrimary(): QueryNode {
    const t = this.peek();
    if (t.kind === '(') {
      if (++this.depth > MAX_DEPTH) this.fail(`parentheses nested more than ${MAX_DEPTH} deep`, t);
      this.pos++;
      const inner = this.parseOr();
      const close = this.peek();
      if (close.kind !== ')') {
        const found = close.kind === 'eof' ? '' : `, found ${describe(close)}`;
        this.fail(`expected ')' to close the '(' from column ${t.start + 1}${found}`, close);
      }
      this.pos++;
      this.depth--;
      return inner;
    }
    return this.parseComparison();
  }

  private parseComparison(): ComparisonNode {
    const parsed = this.parseField('filter');
    const { field, display } = parsed;
    const opToken = this.peek();
    const comparator = this.parseComparator(display);
    const numeric = isNumericField(field);
    const allowed = numeric ? NUMERIC_COMPARATORS : STRING_COMPARATORS;
    if (!allowed.has(comparator)) {
      const kind = numeric ? 'numeric' : 'string';
      const list = [...allowed].join(', ');
      this.fail(`${comparator} cannot compare ${display} (a ${kind} value); use ${list}`, opToken);
    }
    let value: ComparisonNode['value'] = null;
    if (comparator === 'IN' || comparator === 'NOT IN') value = this.parseStringList(display, comparator);
    else if (comparator !== 'IS NULL' && comparator !== 'IS NOT NULL') value = numeric ? this.parseNumber(display, comparator) : this.parseString(display, comparator);
    const end = this.tokens[this.pos - 1].end;
    return { type: 'comparison', field, comparator, value, column: parsed.start + 1, endColumn: end + 1 };
  }

  private parseComparator(display: string): Comparator {
    const t = this.peek();
    if (t.kind === 'op') {
      if (t.value === '==') this.fail("use '=' to compare, not '=='", t);
      if (t.value === '<>') this.fail("use '!=' to compare, not '<>'", t);
      this.pos++;
      return t.value as Comparator;
    }
    if (isKeyword(t, 'like') || isKeyword(t, 'ilike') || isKeyword(t, 'in')) {
      this.pos++;
      return t.value.toUpperCase() as Comparator;
    }
    if (isKeyword(t, 'not')) {
      this.pos++;
      const next = this.peek();
      if (!isKeyword(next, 'in')) this.fail(`expected IN after ${display} NOT`, next);
      this.pos++;
      return 'NOT IN';
    }
    if (isKeyword(t, 'is')) {
      this.pos++;
      let negated = false;
      if (isKeyword(this.peek(), 'not')) {
        negated = true;
        this.pos++;
      }
      const next = this.peek();
      if (!isKeyword(next, 'null')) this.fail(`expected NULL after ${display} IS${negated ? ' NOT' : ''}`, next);
      this.pos++;
      return negated ? 'IS NOT NULL' : 'IS NULL';
    }
    return this.fail(`expected a comparator after ${display}`, t);
  }

  private parseNumber(display: string, comparator: Comparator): number {
    const t = this.peek();
    if (t.kind === 'number') {
      this.pos++;
      return Number(t.value);
    }
    const hint = t.kind === 'string' && t.quote !== '`' ? ` (${display} is numeric: write the number without quotes)` : '';
    return this.fail(`expected a number after ${display} ${comparator}${hint}`, t);
  }

  private parseString(display: string, comparator: Comparator): string {
    const t = this.peek();
    if (t.kind === 'string' && t.quote !== '`') {
      this.pos++;
      return t.value;
    }
    const hint = t.kind === 'number' ? ` (values of ${display} are strings: write '${t.raw}')` : '';
    return this.fail(`expected a quoted string after ${display} ${comparator}${hint}`, t);
  }

  private parseStringList(display: string, comparator: Comparator): string[] {
    const open = this.peek();
    if (open.kind !== '(') this.fail(`expected '(' and a list of quoted strings after ${display} ${comparator}`, open);
    this.pos++;
    const values: string[] = [];
    for (;;) {
      const t = this.peek();
      if (t.kind !== 'string' || t.quote === '`') this.fail(`expected a quoted string in the ${comparator} list`, t);
      values.push(t.value);
      this.pos++;
      const sep = this.peek();
      if (sep.kind === ')') {
        this.pos++;
        return values;
      }
      if (sep.kind !== ',') this.fail(`expected ',' or ')' in the ${comparator} list`, sep);
      this.pos++;
    }
  }

  /**
   * An identifier is a run of adjacent tokens: `prefix.key` (one word), `prefix.` + a quoted key,
   * `` `prefix` `` + `.key` or `.` + a quoted key, or a bare attribute name (a word, or a backtick- or
   * double-quoted name such as `` `Run Name` ``).
   */
  private parseField(context: 'filter' | 'order by'): ParsedField {
    const first = this.peek();
    const startsField = first.kind === 'word' || first.kind === 'number' || (first.kind === 'string' && first.quote !== "'");
    if (!startsField || isReservedWord(first)) {
      const what = context === 'filter' ? 'a condition (e.g. metrics.accuracy > 0.9)' : 'a metric, param, tag or attribute to order by';
      const found = first.kind === 'eof' ? '' : `, found ${describe(first)}`;
      this.fail(`expected ${what}${found}`, first);
    }
    const run: Token[] = [first];
    for (let i = this.pos + 1; i < this.tokens.length; i++) {
      const t = this.tokens[i];
      const adjacent = t.start === run[run.length - 1].end;
      if (!adjacent || !(t.kind === 'word' || t.kind === 'number' || t.kind === 'string')) break;
      run.push(t);
    }
    this.pos += run.length;
    const start = first.start;
    const end = run[run.length - 1].end;
    const written = this.text.slice(start, end);
    const display = written.length > 60 ? `${written.slice(0, 57)}...` : written;
    const invalid = (): never => this.fail(`invalid identifier ${quoteForMessage(written)}`, first, written);

    let prefix: string | null = null;
    let key: string;
    const [a, b, c] = run;
    if (run.length === 1 && a.kind === 'string') {
      key = a.value;
    } else if (run.length === 1) {
      const dot = a.raw.indexOf('.');
      if (dot < 0) key = a.raw;
      else {
        prefix = a.raw.slice(0, dot);
        key = a.raw.slice(dot + 1);
        if (key === '') {
          const next = this.peek();
          const found = next.kind === 'eof' ? '' : `, found ${describe(next)}`;
          this.fail(`expected a key after ${quoteForMessage(a.raw)}${found}`, next);
        }
      }
    } else if (run.length === 2 && a.kind !== 'string' && b.kind === 'string' && a.raw.indexOf('.') === a.raw.length - 1) {
      prefix = a.raw.slice(0, -1);
      key = b.value;
    } else if (run.length === 2 && a.kind === 'string' && b.kind !== 'string' && b.raw.length > 1 && b.raw[0] === '.') {
      prefix = a.value;
      key = b.raw.slice(1);
    } else if (run.length === 3 && a.kind === 'string' && b.raw === '.' && c.kind === 'string') {
      prefix = a.value;
      key = c.value;
    } else {
      return invalid();
    }
    if (prefix !== null && (prefix === '' || (a.kind === 'string' && a.quote === "'"))) return invalid();

    if (prefix === null) {
      const attribute = ATTRIBUTES.get(asciiLower(key));
      if (!attribute && a.kind !== 'string' && ENTITY_PREFIXES.has(asciiLower(key))) {
        this.fail(`expected '.' and a key after ${quoteForMessage(key)} (e.g. metrics.accuracy)`, this.peek());
      }
      if (!attribute) {
        const plain = key.length > 0 && !/[\s`'"]/.test(key);
        const hint = plain && key.length <= 40 ? ` (did you mean metrics.${key}, params.${key} or tags.${key}?)` : '';
        this.fail(`unknown attribute ${quoteForMessage(key)}${hint}`, first, written);
      }
      return { field: { entity: 'attribute', key: attribute }, display, start, end };
    }
    const entity = ENTITY_PREFIXES.get(asciiLower(prefix));
    if (!entity) {
      const lower = asciiLower(prefix);
      const detail = lower === 'dataset' || lower === 'datasets' ? 'dataset filters are not supported' : `unknown identifier type ${quoteForMessage(prefix)}`;
      this.fail(`${detail}; use metrics., params., tags. or attributes.`, first, written);
    }
    if (entity === 'attribute') {
      const attribute = ATTRIBUTES.get(asciiLower(key));
      if (!attribute) this.fail(`unknown attribute ${quoteForMessage(key)}; attributes are ${[...new Set(ATTRIBUTES.values())].join(', ')}`, first, written);
      return { field: { entity, key: attribute }, display, start, end };
    }
    return { field: { entity, key }, display, start, end };
  }

  private peek(): Token {
    return this.tokens[this.pos];
  }

  private fail(description: string, at: Token, token: string = at.raw): never {
    throw new QuerySyntaxError(description, at.start + 1, token);
  }
}

function isKeyword(t: Token, lowerWord: string): boolean {
  return t.kind === 'word' && t.raw.length === lowerWord.length && asciiLower(t.raw) === lowerWord;
}

/** Words that cannot start an identifier (a bare attribute would never be named like these). */
function isReservedWord(t: Token): boolean {
  if (t.kind !== 'word') return false;
  const w = asciiLower(t.raw);
  return w === 'and' || w === 'or' || w === 'not' || w === 'in' || w === 'like' || w === 'ilike' || w === 'is' || w === 'null' || w === 'asc' || w === 'desc';
}

function describe(t: Token): string {
  return t.kind === 'eof' ? 'the end of the query' : quoteForMessage(t.raw);
}

/** Lower-cases A-Z only, so no Unicode case mapping turns some other letter into a keyword. */
function asciiLower(s: string): string {
  return s.replace(/[A-Z]+/g, (m) => m.toLowerCase());
}

function isNumericField(field: FieldRef): boolean {
  return field.entity === 'metric' || (field.entity === 'attribute' && NUMERIC_ATTRIBUTES.has(field.key));
}

// ---------------------------------------------------------------------------------------------
// Compiling

type Predicate = (run: QueryableRun) => boolean;

const matchAll: Predicate = () => true;

function compile(node: QueryNode): Predicate {
  if (node.type === 'comparison') return compileComparison(node);
  const parts = node.operands.map(compile);
  if (node.type === 'and') {
    if (parts.length === 2) {
      const [p, q] = parts;
      return (run) => p(run) && q(run);
    }
    return (run) => {
      for (const p of parts) if (!p(run)) return false;
      return true;
    };
  }
  if (parts.length === 2) {
    const [p, q] = parts;
    return (run) => p(run) || q(run);
  }
  return (run) => {
    for (const p of parts) if (p(run)) return true;
    return false;
  };
}

function compileComparison(node: ComparisonNode): Predicate {
  const get = fieldGetter(node.field);
  const { comparator, value } = node;
  switch (comparator) {
    case 'IS NULL':
      return (run) => get(run) === undefined;
    case 'IS NOT NULL':
      return (run) => get(run) !== undefined;
    case '=':
      // NaN === x is false, so a NaN metric never equals anything.
      return (run) => {
        const v = get(run);
        return v !== undefined && v === value;
      };
    case '!=':
      // NaN !== x is true: a NaN metric matches `!=`, a missing value does not.
      return (run) => {
        const v = get(run);
        return v !== undefined && v !== value;
      };
    case '<':
    case '<=':
    case '>':
    case '>=': {
      const x = value as number;
      const test = comparator === '<' ? (v: number) => v < x : comparator === '<=' ? (v: number) => v <= x : comparator === '>' ? (v: number) => v > x : (v: number) => v >= x;
      return (run) => {
        const v = get(run);
        return typeof v === 'number' && test(v);
      };
    }
    case 'LIKE':
    case 'ILIKE': {
      const re = likeToRegExp(node);
      return (run) => {
        const v = get(run);
        return typeof v === 'string' && re.test(v);
      };
    }
    case 'IN':
    case 'NOT IN': {
      const set = new Set(value as readonly string[]);
      const wanted = comparator === 'IN';
      return (run) => {
        const v = get(run);
        return typeof v === 'string' && set.has(v) === wanted;
      };
    }
  }
}

/** SQL LIKE → an anchored RegExp: `%` any run of characters (newlines too), `_` one character. */
function likeToRegExp(node: ComparisonNode): RegExp {
  let source = '^';
  for (const ch of String(node.value)) {
    if (ch === '%') source += '[^]*';
    else if (ch === '_') source += '.';
    else source += ch.replace(/[\\^$.*+?()[\]{}|/]/, '\\$&');
  }
  try {
    return new RegExp(`${source}$`, node.comparator === 'ILIKE' ? 'isu' : 'su');
  } catch {
    throw new QuerySyntaxError(`invalid ${node.comparator} pattern`, node.column, '');
  }
}

type FieldValue = number | string | undefined;

/** Reads a field; undefined when absent or null. Only own keys count (a key named `constructor` is data). */
function fieldGetter(field: FieldRef): (run: QueryableRun) => FieldValue {
  const { key } = field;
  switch (field.entity) {
    case 'metric':
      return (run) => {
        const m = run.metrics;
        if (m == null || !Object.hasOwn(m, key)) return undefined;
        const v = m[key];
        return typeof v === 'number' ? v : undefined;
      };
    case 'param':
      return (run) => ownString(run.params, key);
    case 'tag':
      if (key === 'mlflow.runName') {
        // MLflow keeps the tag and the run name in step; older stores only have one of them.
        return (run) => ownString(run.tags, key) ?? (typeof run.name === 'string' && run.name !== '' ? run.name : undefined);
      }
      return (run) => ownString(run.tags, key);
    case 'attribute':
      return attributeGetter(key as AttributeName);
  }
}

function ownString(record: Record<string, string> | null | undefined, key: string): string | undefined {
  if (record == null || !Object.hasOwn(record, key)) return undefined;
  const v = record[key];
  return typeof v === 'string' ? v : undefined;
}

function attributeGetter(name: AttributeName): (run: QueryableRun) => FieldValue {
  const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
  const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);
  switch (name) {
    case 'run_id':
      return (run) => str(run.runId);
    case 'run_name':
      return (run) => str(run.name);
    case 'status':
      return (run) => str(run.status);
    case 'start_time':
      return (run) => num(run.startTime);
    case 'end_time':
      return (run) => num(run.endTime);
    case 'artifact_uri':
      return (run) => str(run.artifactUri);
    case 'user_id':
      return (run) => str(run.userId);
    case 'lifecycle_stage':
      return (run) => str(run.lifecycleStage);
    case 'experiment_id':
      return (run) => str(run.experimentId);
  }
}

// ---------------------------------------------------------------------------------------------
// Sorting helpers

const RANK_VALUE = 0;
const RANK_NAN = 1;
const RANK_MISSING = 2;

function compareValues(a: number | string, b: number | string): number {
  if (typeof a === 'number' && typeof b === 'number') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'string' && typeof b === 'string') return compareCodePoints(a, b);
  return typeof a === 'number' ? -1 : 1;
}

/** Compares strings by Unicode code point (as Python does), not by UTF-16 code unit. */
function compareCodePoints(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointRank(x) - codePointRank(y);
  }
  return a.length - b.length;
}

/** Surrogates (U+D800–DFFF, which encode code points above U+FFFF) sort after U+E000–FFFF. */
function codePointRank(unit: number): number {
  if (unit >= 0xd800 && unit <= 0xdfff) return unit + 0x2000;
  if (unit >= 0xe000) return unit - 0x800;
  return unit;
}
