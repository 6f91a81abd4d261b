import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  filterRuns,
  matchesQuery,
  parseOrderBy,
  parseQuery,
  QuerySyntaxError,
  sortRuns,
  type QueryableRun,
} from '../../server/src/tracking/query';
import { seededRandom } from '../../server/src/util/random';

function run(fields: Partial<QueryableRun> & { runId: string }): QueryableRun {
  return {
    experimentId: '1',
    name: fields.runId,
    status: 'FINISHED',
    startTime: 0,
    endTime: null,
    lifecycleStage: 'active',
    userId: null,
    artifactUri: `file:///mlruns/1/${fields.runId}/artifacts`,
    params: {},
    tags: {},
    metrics: {},
    ...fields,
  };
}

const RUNS: QueryableRun[] = [
  run({
    runId: 'a1', name: 'baseline', status: 'FINISHED', startTime: 1000, endTime: 2000, userId: 'alice', artifactUri: 's3://bucket/a1',
    params: { model: 'LogisticRegression', lr: '0.001', 'my param': 'x y' },
    tags: { env: 'prod', 'mlflow.runName': 'baseline' },
    metrics: { accuracy: 0.91, 'val/loss': 0.3, f1: 0.8 },
  }),
  run({
    runId: 'b2', name: 'rf-deep', status: 'FAILED', startTime: 2000, endTime: 2500, userId: 'bob',
    params: { model: 'RandomForest', depth: '10' }, tags: { env: 'dev' }, metrics: { accuracy: 0.85, 'val/loss': NaN },
  }),
  run({
    runId: 'c3', name: 'Überläufer', status: 'RUNNING', startTime: 3000, endTime: null, userId: null, artifactUri: null,
    params: { model: 'GPT-2', モデル: '小さい' }, tags: { 'team/owner': 'ml-core', note: "it's" }, metrics: { accuracy: Infinity, précision: 0.5 },
  }),
  run({ runId: 'd4', name: '', status: 'SCHEDULED', startTime: null, endTime: null, userId: null, artifactUri: null }),
  run({
    runId: 'e5', name: 'killed', status: 'KILLED', lifecycleStage: 'deleted', startTime: 1500, endTime: 1600, userId: 'alice',
    params: { model: 'logisticregression', lr: '0.01' }, tags: { env: 'PROD' }, metrics: { accuracy: -Infinity, loss: -1.5e-3 },
  }),
  run({
    runId: 'f6', name: 'lin', status: 'FINISHED', startTime: 2000, endTime: 3000, userId: 'carol',
    params: { model: 'Lin_Reg%' }, tags: { env: 'prod', 'a.b.c': 'dots', 'key-with-dash': 'v' }, metrics: { accuracy: 0.91, f1: 0.9 },
  }),
  run({
    runId: 'g7', experimentId: '2', name: 'xgb', status: 'FINISHED', startTime: 4000, endTime: 5000, userId: 'bob',
    params: { model: 'XGBoost', path: 'C:\\data\\train' }, metrics: { accuracy: NaN },
  }),
  run({
    runId: 'h8', name: 'named-only', status: 'FINISHED', startTime: 500, endTime: 900, userId: 'dave',
    params: { model: 'multi\nline' }, tags: { 'with space': 'yes', quote: 'say "hi"' }, metrics: { loss: 0.2, f1: 0.8 },
  }),
];

const ALL = RUNS.map((r) => r.runId);
const ids = (runs: readonly QueryableRun[]): string[] => runs.map((r) => r.runId);

const MATCHES: [string, string[]][] = [
  // empty
  ['', ALL],
  ['   \n\t', ALL],
  // metrics: every numeric comparator, NaN, ±Infinity, number forms
  ['metrics.accuracy > 0.9', ['a1', 'c3', 'f6']],
  ['metrics.accuracy >= 0.91', ['a1', 'c3', 'f6']],
  ['metrics.accuracy < 0.9', ['b2', 'e5']],
  ['metrics.accuracy <= 0.85', ['b2', 'e5']],
  ['metrics.accuracy = 0.91', ['a1', 'f6']],
  ['metrics.accuracy != 0.91', ['b2', 'c3', 'e5', 'g7']],
  ['metrics.accuracy > 1e308', ['c3']],
  ['metrics.accuracy < -1e308', ['e5']],
  ['metrics.loss < 0', ['e5']],
  ['metrics.loss = -1.5e-3', ['e5']],
  ['metrics.loss > -1E-2', ['e5', 'h8']],
  ['metrics.loss<=.2', ['e5', 'h8']],
  ['metrics.loss >= +0.2', ['h8']],
  ['metrics.loss = 2.e-1', ['h8']],
  // keys with '/', quoted keys, unicode keys
  ['metrics.`val/loss` < 1', ['a1']],
  ['metrics.val/loss < 1', ['a1']],
  ['metrics."val/loss" != 0.3', ['b2']],
  ["metrics.'val/loss' = 0.3", ['a1']],
  ['metrics.précision = 0.5', ['c3']],
  ['`metrics`.`val/loss` < 1', ['a1']],
  ["`params`.model = 'XGBoost'", ['g7']],
  // params: string comparators
  ["params.model = 'LogisticRegression'", ['a1']],
  ['params.model = "LogisticRegression"', ['a1']],
  ["params.model != 'LogisticRegression'", ['b2', 'c3', 'e5', 'f6', 'g7', 'h8']],
  ["params.model LIKE 'Log%'", ['a1']],
  ["params.model ILIKE 'log%'", ['a1', 'e5']],
  ["params.model LIKE '%Forest'", ['b2']],
  ["params.model LIKE 'GPT-_'", ['c3']],
  ["params.model LIKE 'GPT.2'", []],
  ["params.model LIKE 'Lin_Reg%'", ['f6']],
  ["params.model LIKE '%'", ['a1', 'b2', 'c3', 'e5', 'f6', 'g7', 'h8']],
  ["params.model LIKE 'multi%'", ['h8']],
  ["params.model LIKE 'multi_line'", ['h8']],
  ["params.model IN ('XGBoost', 'GPT-2')", ['c3', 'g7']],
  ["params.model NOT IN ('XGBoost', \"GPT-2\")", ['a1', 'b2', 'e5', 'f6', 'h8']],
  ["params.model IN ('xgboost')", []],
  ["params.`my param` = 'x y'", ['a1']],
  ['params."my param" = \'x y\'', ['a1']],
  ["params.モデル = '小さい'", ['c3']],
  ["params.path = 'C:\\data\\train'", ['g7']],
  ["params.path = 'C:\\\\data\\\\train'", ['g7']],
  // missing: IS NULL / IS NOT NULL
  ['params.lr IS NULL', ['b2', 'c3', 'd4', 'f6', 'g7', 'h8']],
  ['params.lr IS NOT NULL', ['a1', 'e5']],
  ['metrics.accuracy IS NULL', ['d4', 'h8']],
  ['metrics.accuracy is not null', ['a1', 'b2', 'c3', 'e5', 'f6', 'g7']],
  ['tags.env is null', ['c3', 'd4', 'g7', 'h8']],
  // tags: quoting and escapes
  ["tags.`team/owner` = 'ml-core'", ['c3']],
  ["tags.team/owner LIKE 'ml-%'", ['c3']],
  ["tags.note = 'it''s'", ['c3']],
  ["tags.note = 'it\\'s'", ['c3']],
  ['tags.note = "it\'s"', ['c3']],
  ["tags.quote = 'say \"hi\"'", ['h8']],
  ['tags.quote = "say \\"hi\\""', ['h8']],
  ['tags.quote = "say ""hi"""', ['h8']],
  ["tags.a.b.c = 'dots'", ['f6']],
  ["tags.key-with-dash = 'v'", ['f6']],
  ["tags.`with space` = 'yes'", ['h8']],
  ["tags.env = 'prod'", ['a1', 'f6']],
  ["tags.env ILIKE 'prod'", ['a1', 'e5', 'f6']],
  ["tags.env != 'prod'", ['b2', 'e5']],
  ["tags.mlflow.runName = 'baseline'", ['a1']],
  ["tags.`mlflow.runName` = 'named-only'", ['h8']],
  ['tags.mlflow.runName IS NULL', ['d4']],
  // attributes
  ["attributes.status = 'FINISHED'", ['a1', 'f6', 'g7', 'h8']],
  ["status = 'FAILED'", ['b2']],
  ["attribute.status != 'FINISHED'", ['b2', 'c3', 'd4', 'e5']],
  ["attr.status IN ('RUNNING', 'SCHEDULED')", ['c3', 'd4']],
  ["run.status NOT IN ('FINISHED')", ['b2', 'c3', 'd4', 'e5']],
  ["run_name = 'baseline'", ['a1']],
  ["attributes.run_name LIKE '%-%'", ['b2', 'h8']],
  ["`Run Name` = 'xgb'", ['g7']],
  ["attributes.`run name` = 'xgb'", ['g7']],
  ['"run_name" = \'xgb\'', ['g7']],
  ["run_name ILIKE 'überläufer'", ['c3']],
  ["run_name LIKE 'überläufer'", []],
  ["run_name = ''", ['d4']],
  ["run_id = 'c3'", ['c3']],
  ["run_id IN ('a1', 'h8', 'zz')", ['a1', 'h8']],
  ['start_time > 1500', ['b2', 'c3', 'f6', 'g7']],
  ['created >= 1500', ['b2', 'c3', 'e5', 'f6', 'g7']],
  ['attributes.start_time IS NULL', ['d4']],
  ['end_time IS NULL', ['c3', 'd4']],
  ['attributes.end_time < 1000', ['h8']],
  ["user_id = 'alice'", ['a1', 'e5']],
  ['user_id IS NULL', ['c3', 'd4']],
  ["user_id != 'alice'", ['b2', 'f6', 'g7', 'h8']],
  ["artifact_uri LIKE 's3://%'", ['a1']],
  ["lifecycle_stage = 'deleted'", ['e5']],
  ["experiment_id = '2'", ['g7']],
  // and / or / parentheses and precedence
  ["params.model = 'XGBoost' or params.model = 'GPT-2' and metrics.accuracy < 0", ['g7']],
  ["(params.model = 'XGBoost' or params.model = 'GPT-2') and metrics.accuracy > 0", ['c3']],
  ["metrics.accuracy > 0.9 AND tags.env = 'prod' OR status = 'RUNNING'", ['a1', 'c3', 'f6']],
  ["metrics.accuracy > 0.9 and (tags.env = 'prod' or status = 'FAILED')", ['a1', 'f6']],
  ["status = 'RUNNING' or metrics.accuracy > 0.9 and tags.env = 'prod'", ['a1', 'c3', 'f6']],
  ["((status = 'FINISHED'))", ['a1', 'f6', 'g7', 'h8']],
  ['metrics.f1 = 0.8 or metrics.f1 = 0.9 or metrics.loss = 0.2', ['a1', 'f6', 'h8']],
  ["(metrics.f1 = 0.8 or metrics.f1 = 0.9) and (tags.env = 'prod' or user_id = 'dave')", ['a1', 'f6', 'h8']],
  // case-insensitivity of keywords, prefixes and attribute names
  ["METRICS.accuracy > 0.9 AnD Params.model Like 'Lin%'", ['f6']],
  ["params.model not in ('XGBoost') and params.model ilike '%REG%'", ['a1', 'e5', 'f6']],
  ["STATUS = 'FINISHED' Or status is NULL", ['a1', 'f6', 'g7', 'h8']],
  ["params.model NoT In ('XGBoost') AND status IN ('RUNNING')", ['c3']],
  // prefix aliases
  ['metric.f1 > 0.85', ['f6']],
  ["param.depth = '10'", ['b2']],
  ["parameters.depth = '10'", ['b2']],
  ["tag.env = 'dev'", ['b2']],
  // keys that are Object.prototype members are plain data
  ['params.constructor IS NULL', ALL],
  ["params.toString = 'x'", []],
  ['metrics.constructor > 0', []],
  ['tags.__proto__ IS NOT NULL', []],
  // whitespace, including non-ASCII spaces
  ['\tmetrics.accuracy>0.9\n', ['a1', 'c3', 'f6']],
  ['metrics.accuracy\u00a0>\u00a00.9', ['a1', 'c3', 'f6']],
];

test('filter expressions select the expected runs', () => {
  for (const [text, expected] of MATCHES) {
    assert.deepEqual(ids(filterRuns(RUNS, text)), expected, text);
  }
});

test('a compiled query is reusable and agrees with matchesQuery', () => {
  const q = parseQuery("metrics.accuracy > 0.9 and tags.env = 'prod'");
  assert.deepEqual(ids(filterRuns(RUNS, q)), ['a1', 'f6']);
  assert.deepEqual(RUNS.filter((r) => matchesQuery(q, r)).map((r) => r.runId), ['a1', 'f6']);
  assert.equal(parseQuery('').ast, null);
});

test('the AST records fields, comparators, values and columns', () => {
  const q = parseQuery("metrics.`val/loss` < 0.5 or (params.model IN ('a', 'b') and created >= 10)");
  assert.deepEqual(q.ast, {
    type: 'or',
    operands: [
      { type: 'comparison', field: { entity: 'metric', key: 'val/loss' }, comparator: '<', value: 0.5, column: 1, endColumn: 25 },
      {
        type: 'and',
        operands: [
          { type: 'comparison', field: { entity: 'param', key: 'model' }, comparator: 'IN', value: ['a', 'b'], column: 30, endColumn: 56 },
          { type: 'comparison', field: { entity: 'attribute', key: 'start_time' }, comparator: '>=', value: 10, column: 61, endColumn: 74 },
        ],
      },
    ],
  });
});

test('and/or combine like set intersection/union for any pair of filters', () => {
  const rng = seededRandom(7);
  const nonEmpty = MATCHES.filter(([text]) => text.trim() !== '');
  for (let i = 0; i < 300; i++) {
    const [a, ea] = nonEmpty[Math.floor(rng() * nonEmpty.length)];
    const [b, eb] = nonEmpty[Math.floor(rng() * nonEmpty.length)];
    const and = ids(filterRuns(RUNS, `(${a}) and (${b})`));
    const or = ids(filterRuns(RUNS, `(${a}) OR (${b})`));
    assert.deepEqual(and, ALL.filter((id) => ea.includes(id) && eb.includes(id)), `(${a}) and (${b})`);
    assert.deepEqual(or, ALL.filter((id) => ea.includes(id) || eb.includes(id)), `(${a}) or (${b})`);
  }
});

test('the error message names the problem and the column', () => {
  assert.throws(
    () => parseQuery('metrics.accuracy foo'),
    (e: unknown) => e instanceof QuerySyntaxError && e.message === 'expected a comparator after metrics.accuracy at column 18' && e.column === 18 && e.token === 'foo',
  );
});

const ERRORS: [string, number, RegExp?][] = [
  ['metrics.accuracy', 17, /expected a comparator/],
  ['metrics.accuracy >', 19, /expected a number/],
  ["metrics.accuracy > 'high'", 20, /numeric/],
  ['params.model = 1', 16, /quoted string.*'1'/],
  ["params.model > 'a'", 14, /> cannot compare params\.model/],
  ["metrics.acc LIKE '0.9'", 13, /LIKE cannot compare/],
  ['metrics.acc IN (1)', 13, /IN cannot compare/],
  ["start_time > '2024'", 14, /expected a number/],
  ['experiment_id = 2', 17, /quoted string/],
  ["foo = 'x'", 1, /unknown attribute 'foo'.*metrics\.foo/],
  ["attributes.foo = 'x'", 1, /unknown attribute 'foo'/],
  ["datasets.name = 'x'", 1, /dataset/],
  ["experiments.name = 'x'", 1, /unknown identifier type 'experiments'/],
  ['metrics > 1', 9, /expected '\.' and a key/],
  ['metric. > 1', 9, /expected a key after 'metric\.'/],
  ["'status' = 'x'", 1, /expected a condition/],
  ['metrics.a > 1 and', 18, /expected a condition/],
  ['metrics.a > 1 metrics.b > 2', 15, /expected AND, OR or the end/],
  ['(metrics.a > 1', 15, /expected '\)' to close the '\(' from column 1/],
  ['metrics.a > 1)', 14, /unexpected '\)'/],
  ["params.a = 'x", 12, /unterminated string/],
  ["params.`a = 'x'", 8, /unterminated quoted key/],
  ["params.a IN ('x',)", 18, /quoted string in the IN list/],
  ["params.a IN ('x' 'y')", 18, /',' or '\)'/],
  ["params.a IN 'x'", 13, /expected '\('/],
  ['params.a IN ()', 14, /quoted string in the IN list/],
  ["params.a NOT LIKE 'x'", 14, /expected IN after params\.a NOT/],
  ["params.a IS 'x'", 13, /expected NULL/],
  ['params.a IS NOT', 16, /expected NULL/],
  ['metrics.a == 1', 11, /'='/],
  ['metrics.a <> 1', 11, /'!='/],
  ['metrics.a ! 1', 11, /'!='/],
  ['and metrics.a > 1', 1, /expected a condition/],
  ['()', 2, /expected a condition/],
  ['metrics.a > 1 or or metrics.b > 1', 18, /expected a condition/],
  ['metrics.a > 1abc', 13, /expected a number/],
  ['metrics.a > NaN', 13, /expected a number/],
  ["params.a = `x`", 12, /quoted string/],
  ["params.a`b` = 'x'", 1, /invalid identifier/],
  ["metrics.`a`b > 1", 1, /invalid identifier/],
  ['metrics.a > 1 and (', 20, /expected a condition/],
  ["status = 'x' ;", 14, /expected AND, OR/],
  [`${'('.repeat(100)}status = 'x'${')'.repeat(100)}`, 65, /nested/],
  ['metrics.mé > 1 and tags.ü ~ 1', 27, /comparator after tags\.ü/],
];

test('bad filters fail with a QuerySyntaxError at the right column', () => {
  for (const [text, column, pattern] of ERRORS) {
    let error: unknown;
    try {
      parseQuery(text);
    } catch (e) {
      error = e;
    }
    assert.ok(error instanceof QuerySyntaxError, `${text}: expected a QuerySyntaxError, got ${String(error)}`);
    assert.equal(error.column, column, `${text}: ${error.message}`);
    assert.ok(error.message.endsWith(` at column ${column}`), error.message);
    if (pattern) assert.match(error.message, pattern, text);
  }
});

test('order-by parsing', () => {
  assert.deepEqual(parseOrderBy('metrics.accuracy DESC'), [{ field: { entity: 'metric', key: 'accuracy' }, ascending: false }]);
  assert.deepEqual(parseOrderBy('params.model ASC, metrics.f1 DESC'), [
    { field: { entity: 'param', key: 'model' }, ascending: true },
    { field: { entity: 'metric', key: 'f1' }, ascending: false },
  ]);
  assert.deepEqual(parseOrderBy('metrics.`val/loss`,tags."a b" desc , created'), [
    { field: { entity: 'metric', key: 'val/loss' }, ascending: true },
    { field: { entity: 'tag', key: 'a b' }, ascending: false },
    { field: { entity: 'attribute', key: 'start_time' }, ascending: true },
  ]);
  assert.deepEqual(parseOrderBy('   '), []);
  const bad: [string, number][] = [
    ['metrics.a DESC,', 16],
    ['metrics.a sideways', 11],
    ['metrics.a DESC DESC', 16],
    [', metrics.a', 1],
    ['foo', 1],
    ['metrics.a > 1', 11],
  ];
  for (const [text, column] of bad) {
    assert.throws(() => parseOrderBy(text), (e: unknown) => e instanceof QuerySyntaxError && e.column === column, text);
  }
});

test('sorting: numbers, then NaN, then missing, in both directions; ties by start_time DESC then run_id', () => {
  assert.deepEqual(ids(sortRuns(RUNS, parseOrderBy('metrics.accuracy DESC'))), ['c3', 'f6', 'a1', 'b2', 'e5', 'g7', 'h8', 'd4']);
  assert.deepEqual(ids(sortRuns(RUNS, 'metrics.accuracy')), ['e5', 'b2', 'f6', 'a1', 'c3', 'g7', 'h8', 'd4']);
  assert.deepEqual(ids(sortRuns(RUNS, 'metrics.`val/loss` ASC')), ['a1', 'b2', 'g7', 'c3', 'f6', 'e5', 'h8', 'd4']);
  assert.deepEqual(ids(sortRuns(RUNS, 'metrics.`val/loss` DESC')), ['a1', 'b2', 'g7', 'c3', 'f6', 'e5', 'h8', 'd4']);
  assert.deepEqual(ids(sortRuns(RUNS, 'tags.env ASC, metrics.f1 DESC')), ['e5', 'b2', 'f6', 'a1', 'h8', 'g7', 'c3', 'd4']);
  assert.deepEqual(ids(sortRuns(RUNS, 'params.nothing')), ['g7', 'c3', 'b2', 'f6', 'e5', 'a1', 'h8', 'd4']);
  assert.deepEqual(ids(sortRuns(RUNS, [])), ['g7', 'c3', 'b2', 'f6', 'e5', 'a1', 'h8', 'd4']);
  assert.deepEqual(ids(sortRuns(RUNS, 'run_name DESC')), ['c3', 'g7', 'b2', 'h8', 'f6', 'e5', 'a1', 'd4']);
  assert.deepEqual(ids(sortRuns(RUNS, 'start_time')), ['h8', 'a1', 'e5', 'b2', 'f6', 'c3', 'g7', 'd4']);
  assert.deepEqual(ids(sortRuns(RUNS, 'end_time DESC, run_id DESC')), ['g7', 'f6', 'b2', 'a1', 'e5', 'h8', 'd4', 'c3']);
});

test('sorting is by code point, stable against input order, and does not mutate its input', () => {
  const runs = [
    run({ runId: 'x', name: '\uff5e', startTime: 1 }),
    run({ runId: 'y', name: '😀', startTime: 1 }),
    run({ runId: 'z', name: 'Z', startTime: 1 }),
  ];
  assert.deepEqual(ids(sortRuns(runs, 'run_name')), ['z', 'x', 'y']);
  const before = ids(RUNS);
  const reversed = [...RUNS].reverse();
  assert.deepEqual(ids(sortRuns(reversed, 'metrics.f1 DESC')), ids(sortRuns(RUNS, 'metrics.f1 DESC')));
  assert.deepEqual(ids(RUNS), before);
});

test('fuzz: random token soups and random strings only ever raise QuerySyntaxError', () => {
  const rng = seededRandom(20240611);
  const vocabulary = [
    'metrics.accuracy', 'params.model', 'tags.env', 'tags.`team/owner`', 'status', 'run_name', 'created', 'attributes.', 'metrics.', 'metrics',
    '`val/loss`', '"x"', "'y'", "'it''s'", '"a\\"b"', '(', ')', ',', '=', '!=', '<', '<=', '>', '>=', '==', '<>', '!', 'and', 'AND', 'or', 'OR',
    'not', 'in', 'IN', 'like', 'ILIKE', 'is', 'null', 'NOT', '0.5', '-1e3', '1e999', '.5', '.', '`', '"', "'", '\\', '%', '_', '😀', '\ud800',
    'é', 'DESC', 'asc', 'constructor', '__proto__', 'params.toString', "'%_%'", "('a','b')", 'datasets.name', '\u00a0', '\u200b',
  ];
  const separators = ['', ' ', ' ', ' ', '\t', '\n'];
  const inputs: string[] = [];
  for (let i = 0; i < 3000; i++) {
    const n = 1 + Math.floor(rng() * 12);
    let s = '';
    for (let j = 0; j < n; j++) s += vocabulary[Math.floor(rng() * vocabulary.length)] + separators[Math.floor(rng() * separators.length)];
    inputs.push(s);
  }
  for (let i = 0; i < 1500; i++) {
    const n = Math.floor(rng() * 40);
    let ascii = '';
    let units = '';
    for (let j = 0; j < n; j++) {
      ascii += String.fromCharCode(32 + Math.floor(rng() * 95));
      units += String.fromCharCode(Math.floor(rng() * 0x10000));
    }
    inputs.push(ascii, units);
  }
  let parsed = 0;
  for (const text of inputs) {
    for (const parse of [parseQuery, parseOrderBy] as const) {
      try {
        const result = parse(text);
        parsed++;
        if (parse === parseQuery) {
          for (const r of RUNS) assert.equal(typeof matchesQuery(result as ReturnType<typeof parseQuery>, r), 'boolean');
        } else {
          assert.equal(sortRuns(RUNS, result as ReturnType<typeof parseOrderBy>).length, RUNS.length);
        }
      } catch (e) {
        assert.ok(e instanceof QuerySyntaxError, `${JSON.stringify(text)} threw ${String(e)}`);
        assert.ok(Number.isInteger(e.column) && e.column >= 1 && e.column <= text.length + 1, `${JSON.stringify(text)}: column ${e.column}`);
        assert.equal(typeof e.token, 'string');
      }
    }
  }
  assert.ok(parsed > 100, `only ${parsed} inputs parsed; the soup should produce some valid queries`);
});

test('100,000 runs are filtered well under a second', () => {
  const rng = seededRandom(1);
  const models = ['mlp', 'xgb', 'rf', 'm-large'];
  const many: QueryableRun[] = [];
  for (let i = 0; i < 100_000; i++) {
    many.push(
      run({
        runId: `r${i}`,
        status: i % 7 === 0 ? 'FAILED' : 'FINISHED',
        startTime: Math.floor(rng() * 1e12),
        params: { model: models[i % models.length], lr: String(rng()) },
        tags: i % 3 === 0 ? { env: 'prod' } : {},
        metrics: { accuracy: i % 101 === 0 ? NaN : rng(), loss: rng() * 10 },
      }),
    );
  }
  const query = parseQuery("metrics.accuracy > 0.5 and (params.model LIKE 'm%' or tags.env = 'prod') and status != 'FAILED'");
  const t0 = performance.now();
  const result = filterRuns(many, query);
  const elapsed = performance.now() - t0;
  assert.ok(result.length > 0 && result.length < many.length);
  assert.ok(elapsed < 500, `filtering took ${elapsed.toFixed(1)} ms`);
  const t1 = performance.now();
  const sorted = sortRuns(result, 'metrics.accuracy DESC, params.model');
  assert.ok(performance.now() - t1 < 2000);
  for (let i = 1; i < sorted.length; i++) assert.ok(sorted[i - 1].metrics.accuracy >= sorted[i].metrics.accuracy);
});

