// The prediction cache (`cache:` per endpoint): bounded by entries, bytes and age; a hit skips
// session.run yet answers byte for byte what the session gave, with its own request id, and is logged
// and counted like any request; every reload and every change of a version's file empties it.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { cacheKey, Lru, PredictionCache } from '../../server/src/serving/cache';
import type { HostTensor } from '../../server/src/serving/dtypes';
import { readServingConfig, ServingConfigError } from '../../server/src/serving/config';
import { startModelServer, type ModelServer, type ServerEvent } from '../../server/src/serving/server';
import { openDatabase } from '../../server/src/store/store';
import { SHARED_FIXTURES } from '../helpers/paths';
import { scaleModel } from '../helpers/onnx-builder';
import { call, parsePrometheus, pool, workspace } from '../helpers/serving';

const IRIS = [5.1, 3.5, 1.4, 0.2, 6.7, 3.0, 5.2, 2.3, 5.9, 3.0, 4.2, 1.5];

const fp32 = (data: number[], shape: number[]): HostTensor => ({ datatype: 'FP32', shape, data: new Float32Array(data) });

describe('Lru', () => {
  test('an entry count bound pushes out the least recently used first; a read makes an entry recent', () => {
    const lru = new Lru<string>({ maxEntries: 2, maxBytes: 1e9 });
    assert.deepEqual(lru.set('a', 'A', 1), []);
    assert.deepEqual(lru.set('b', 'B', 1), []);
    assert.equal(lru.get('a'), 'A');
    assert.deepEqual(lru.set('c', 'C', 1), ['B'], 'b was the least recently used');
    assert.equal(lru.get('b'), undefined);
    assert.equal(lru.get('a'), 'A');
    assert.equal(lru.size, 2);
  });

  test('a byte bound: as many out as it takes; a value larger than the budget is not stored at all', () => {
    const lru = new Lru<string>({ maxEntries: 100, maxBytes: 10 });
    lru.set('a', 'A', 4);
    lru.set('b', 'B', 4);
    assert.equal(lru.bytes, 8);
    assert.deepEqual(lru.set('c', 'C', 9), ['A', 'B']);
    assert.equal(lru.bytes, 9);
    assert.deepEqual(lru.set('huge', 'H', 11), []);
    assert.equal(lru.get('huge'), undefined);
    assert.equal(lru.get('c'), 'C', 'an oversize value does not empty the cache');
    // Replacing a key gives its old bytes back first.
    lru.set('c', 'C2', 3);
    assert.equal(lru.bytes, 3);
    assert.equal(lru.size, 1);
  });

  test('a time to live: an expired entry is a miss and gives its bytes back; expired ones are not reported as evictions', () => {
    let now = 1000;
    const lru = new Lru<string>({ maxEntries: 2, maxBytes: 1e9, ttlMs: 500 }, () => now);
    lru.set('a', 'A', 5);
    now += 499;
    assert.equal(lru.get('a'), 'A');
    now += 1;
    assert.equal(lru.get('a'), undefined);
    assert.equal(lru.bytes, 0);
    lru.set('b', 'B', 1);
    lru.set('c', 'C', 1);
    now += 1000;
    assert.deepEqual(lru.set('d', 'D', 1), [], 'b pushed out after it expired: not an eviction');
  });
});

describe('cacheKey and PredictionCache', () => {
  test('the key holds the version, names, datatype, shape and bytes — not the order of the inputs', () => {
    const one = new Map([['x', fp32([1, 2, 3, 4], [1, 4])]]);
    const keys = new Set([
      cacheKey('1', one),
      cacheKey('2', one),
      cacheKey('1', new Map([['x', fp32([1, 2, 3, 4], [2, 2])]])),
      cacheKey('1', new Map([['x', fp32([1, 2, 3, 5], [1, 4])]])),
      cacheKey('1', new Map([['y', fp32([1, 2, 3, 4], [1, 4])]])),
      cacheKey('1', new Map([['x', { datatype: 'INT32', shape: [1, 4], data: new Int32Array(new Float32Array([1, 2, 3, 4]).buffer) } as HostTensor]])),
      cacheKey('1', new Map([['x', { datatype: 'BYTES', shape: [2], data: ['ab', 'c'] } as HostTensor]])),
      cacheKey('1', new Map([['x', { datatype: 'BYTES', shape: [2], data: ['a', 'bc'] } as HostTensor]])),
    ]);
    assert.equal(keys.size, 8, 'every difference is a different key (same bytes as another datatype included)');
    assert.equal(cacheKey('1', new Map([['x', fp32([1, 2, 3, 4], [1, 4])]])), cacheKey('1', one));
    const a = fp32([1], [1]);
    const b = fp32([2], [1]);
    assert.equal(cacheKey('1', new Map([['a', a], ['b', b]])), cacheKey('1', new Map([['b', b], ['a', a]])));
  });

  test('identical requests in flight together run once; a refusal is not stored; callers own their copies', async () => {
    const events: string[] = [];
    const cache = new PredictionCache({ maxEntries: 10, maxBytes: 1e6 }, (e, v) => events.push(`${e}:${v}`));
    let runs = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const compute = async () => {
      runs++;
      await gate;
      return new Map([['y', fp32([7, 8], [1, 2])]]);
    };
    const inputs = new Map([['x', fp32([1, 2], [1, 2])]]);
    const answers = Promise.all([cache.run('1', inputs, compute), cache.run('1', inputs, compute), cache.run('1', inputs, compute)]);
    release();
    const [first, second, third] = await answers;
    assert.equal(runs, 1);
    assert.deepEqual([first.cached, second.cached, third.cached], [false, true, true]);
    (first.outputs.get('y')!.data as Float32Array)[0] = -1;
    const later = await cache.run('1', inputs, compute);
    assert.equal((later.outputs.get('y')!.data as Float32Array)[0], 7, 'a caller that changes its answer does not change the stored one');
    assert.deepEqual(events, ['miss:1', 'hit:1', 'hit:1', 'hit:1']);

    await assert.rejects(cache.run('1', new Map([['x', fp32([9, 9], [1, 2])]]), () => Promise.reject(new Error('refused'))), /refused/);
    const retried = await cache.run('1', new Map([['x', fp32([9, 9], [1, 2])]]), compute);
    assert.equal(retried.cached, false, 'a failed run left nothing behind');
    assert.equal(cache.entries, 2);
  });
});

describe('config', () => {
  const doc = (cache: unknown) => ({ version: 1, models: { m: { versions: { '1': { path: 'm.onnx' } } } }, serving: { endpoints: { e: { model: 'm', cache } } } });
  test('defaults, bounds, ttl in seconds; bad values named', () => {
    const root = workspace('cache-config', { 'm.onnx': scaleModel(1) });
    assert.deepEqual(readServingConfig(doc({}), root, root).endpoints[0].cache, { maxEntries: 10_000, maxBytes: 64 * 1024 * 1024 });
    assert.deepEqual(readServingConfig(doc({ max_entries: 5, max_bytes: 4096, ttl_s: 1.5 }), root, root).endpoints[0].cache, { maxEntries: 5, maxBytes: 4096, ttlMs: 1500 });
    assert.equal(readServingConfig(doc(undefined), root, root).endpoints[0].cache, undefined);
    for (const [bad, message] of [
      [{ max_entries: 0 }, /cache\.max_entries: must be an integer ≥ 1, not 0/],
      [{ max_entries: 2.5 }, /cache\.max_entries/],
      [{ max_bytes: -1 }, /cache\.max_bytes: must be a whole number of bytes ≥ 1, not -1/],
      [{ ttl_s: 0 }, /cache\.ttl_s: must be a number of seconds > 0, not 0/],
      [{ ttl_s: 'soon' }, /cache\.ttl_s/],
      [true, /cache: must be \{ max_entries, max_bytes, ttl_s \}/],
    ] as const) {
      assert.throws(() => readServingConfig(doc(bad), root, root), (e: unknown) => e instanceof ServingConfigError && message.test(e.message), JSON.stringify(bad));
    }
  });
});

describe('a server with a cached and an uncached endpoint', () => {
  let server: ModelServer;
  let dir: string;
  const events: ServerEvent[] = [];
  let wake: (() => void) | undefined;
  const nextEvent = async (type: ServerEvent['type']) => {
    const seen = events.length;
    const deadline = Date.now() + 10_000;
    while (!events.slice(seen).some((e) => e.type === type)) {
      assert.ok(Date.now() < deadline, `no ${type} event; got ${JSON.stringify(events.slice(seen))}`);
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, 50);
      });
    }
  };

  before(async () => {
    dir = workspace('serve-cache', {
      'mlops.yaml': `version: 1
models:
  iris: { versions: { "1": { path: logreg.onnx }, "2": { path: rf.onnx } } }
  scale: { versions: { "1": { path: scale.onnx } } }
serving:
  endpoints:
    iris: { model: iris, traffic: { "1": 50, "2": 50 } }
    iris-cached: { model: iris, traffic: { "1": 50, "2": 50 }, cache: { max_entries: 1000 } }
    tiny: { model: iris, traffic: { "1": 100 }, cache: { max_entries: 3 } }
    scale: { model: scale, cache: {} }
`,
      'logreg.onnx': readFileSync(join(SHARED_FIXTURES, 'onnx', 'logreg_iris.onnx')),
      'rf.onnx': readFileSync(join(SHARED_FIXTURES, 'onnx', 'rf_iris.onnx')),
      'scale.onnx': scaleModel(1),
    });
    server = await startModelServer({
      workspaceRoot: dir,
      manifestPath: join(dir, 'mlops.yaml'),
      port: 0,
      onEvent: (e) => {
        events.push(e);
        wake?.();
      },
    });
  });
  after(() => server.close());

  /** Pinned to version 1, so that which inputs repeat does not depend on the split. */
  const infer = (endpoint: string, data: number[], extra: Record<string, unknown> = {}) =>
    call(server.url, `/v2/models/${endpoint}/versions/1/infer`, { body: { inputs: [{ name: 'float_input', datatype: 'FP32', shape: [data.length / 4, 4], data }], ...extra } });
  /** The answer's text without what differs by request and endpoint: its id and model name. */
  const answerBody = (text: string) => text.replace(/"id":"[^"]*"/, '"id":""').replace(/"model_name":"[^"]*"/, '"model_name":""');

  test('the same inputs, cached and uncached, give byte-identical answers (JSON and binary) with fresh ids', async () => {
    for (const version of ['1', '2']) {
      const pinned = (endpoint: string) => `/v2/models/${endpoint}/versions/${version}/infer`;
      const body = { inputs: [{ name: 'float_input', datatype: 'FP32', shape: [3, 4], data: IRIS }] };
      const plain = await call(server.url, pinned('iris'), { body });
      const miss = await call(server.url, pinned('iris-cached'), { body });
      const hit = await call(server.url, pinned('iris-cached'), { body });
      assert.equal(plain.status, 200, plain.text);
      assert.equal(hit.status, 200, hit.text);
      assert.equal(answerBody(miss.text), answerBody(plain.text));
      assert.equal(answerBody(hit.text), answerBody(plain.text));
      assert.notEqual(hit.json().id, miss.json().id, 'a hit has its own request id');
      assert.equal(hit.headers.get('x-request-id'), hit.json().id);
      assert.equal(hit.headers.get('x-model-version'), version);

      // Binary answers: the same bytes after the header.
      const binary = { ...body, parameters: { binary_data_output: true } };
      const bytes = async (endpoint: string) => {
        const res = await fetch(server.url + pinned(endpoint), { method: 'POST', body: JSON.stringify(binary), headers: { 'content-type': 'application/json' } });
        assert.equal(res.status, 200);
        const all = Buffer.from(await res.arrayBuffer());
        return all.subarray(Number(res.headers.get('inference-header-content-length')));
      };
      const reference = await bytes('iris');
      assert.ok(reference.length > 0);
      assert.ok((await bytes('iris-cached')).equals(reference));
      assert.ok((await bytes('iris-cached')).equals(reference));
      // Asking for one output of a stored entry: that output alone, as the session would answer it.
      const onlyLabel = { outputs: [{ name: 'output_label' }] };
      assert.equal(answerBody((await call(server.url, pinned('iris-cached'), { body: { ...body, ...onlyLabel } })).text), answerBody((await call(server.url, pinned('iris'), { body: { ...body, ...onlyLabel } })).text));
    }
  });

  test('every request logged, hits marked as cached; counters in /metrics and /mlops/stats; bounded entries', async () => {
    const rows = Array.from({ length: 20 }, (_, i) => [4 + i / 10, 3, 1.5, 0.2]);
    // 20 distinct inputs, each sent 5 times: 20 misses, 80 hits at most (in-flight duplicates coalesce into hits too).
    const sent = await pool(100, 8, async (i) => {
      const res = await infer('iris-cached', rows[i % 20], { id: `req-${i}` });
      assert.equal(res.status, 200, res.text);
      return res.json();
    });
    assert.deepEqual(new Set(sent.map((a) => a.id)).size, 100);
    await server.logSettled();
    const db = openDatabase(join(dir, '.mlops', 'index.db'));
    try {
      const logged = db.prepare("SELECT cached, COUNT(*) AS n FROM predictions WHERE request_id LIKE 'req-%' AND endpoint = 'iris-cached' GROUP BY cached ORDER BY cached").all() as { cached: number; n: number }[];
      assert.deepEqual(logged.map((r) => ({ ...r })), [{ cached: 0, n: 20 }, { cached: 1, n: 80 }]);
      const outputs = db.prepare("SELECT COUNT(*) AS n FROM predictions WHERE request_id LIKE 'req-%' AND outputs IS NULL").get() as { n: number };
      assert.equal(outputs.n, 0, 'a hit logs its outputs too');
    } finally {
      db.close();
    }

    const samples = parsePrometheus((await call(server.url, '/metrics')).text);
    const sum = (name: string, endpoint: string) => samples.filter((s) => s.name === name && s.labels.endpoint === endpoint).reduce((n, s) => n + s.value, 0);
    // Before this test, the first test sent 2 versions × (2 JSON + 2 binary + 1 one-output) requests of the same rows.
    assert.equal(sum('mlops_cache_misses_total', 'iris-cached'), 2 + 20);
    assert.equal(sum('mlops_cache_hits_total', 'iris-cached'), 2 * 4 + 80);
    assert.equal(sum('mlops_cache_evictions_total', 'iris-cached'), 0);
    assert.equal(sum('mlops_cache_entries', 'iris-cached'), 22);
    assert.ok(sum('mlops_cache_bytes', 'iris-cached') > 22 * 100);
    assert.equal(samples.filter((s) => s.name.startsWith('mlops_cache') && s.labels.endpoint === 'iris').length, 0, 'no cache series for an endpoint without one');
    assert.equal(sum('mlops_requests_total', 'iris-cached'), 10 + 100, 'hits are requests like any other');

    const stats = (await call(server.url, '/mlops/stats')).json();
    const cachedSeries = stats.series.filter((s: { endpoint: string }) => s.endpoint === 'iris-cached');
    const hits = cachedSeries.reduce((n: number, s: { cache: { hits: number } }) => n + s.cache.hits, 0);
    assert.equal(hits, 88);
    for (const s of cachedSeries) assert.ok(Math.abs(s.cache.hitRate - s.cache.hits / (s.cache.hits + s.cache.misses)) < 1e-12);
    const endpoint = stats.endpoints.find((e: { name: string }) => e.name === 'iris-cached');
    assert.equal(endpoint.cache.maxEntries, 1000);
    assert.equal(endpoint.cache.entries, 22);

    // max_entries: 3 — the fourth distinct input pushes out the oldest.
    for (const row of rows.slice(0, 5)) assert.equal((await infer('tiny', row)).status, 200);
    const after = parsePrometheus((await call(server.url, '/metrics')).text);
    assert.equal(after.find((s) => s.name === 'mlops_cache_entries' && s.labels.endpoint === 'tiny')?.value, 3);
    assert.equal(after.filter((s) => s.name === 'mlops_cache_evictions_total' && s.labels.endpoint === 'tiny').reduce((n, s) => n + s.value, 0), 2);
    const again = await infer('tiny', rows[0]);
    await server.logSettled();
    const db2 = openDatabase(join(dir, '.mlops', 'index.db'));
    try {
      const row = db2.prepare('SELECT cached FROM predictions WHERE request_id = ?').get(again.json().id) as { cached: number };
      assert.equal(row.cached, 0, 'the evicted input ran the model again');
    } finally {
      db2.close();
    }
  });

  test('a change of the version file empties the cache: the next identical request answers from the new model', async () => {
    const ask = async () => {
      const res = await call(server.url, '/v2/models/scale/infer', { body: { inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 4], data: [1, 2, 3, 4] }] } });
      assert.equal(res.status, 200, res.text);
      return res;
    };
    assert.deepEqual((await ask()).json().outputs[0].data, [1, 2, 3, 4]);
    assert.deepEqual((await ask()).json().outputs[0].data, [1, 2, 3, 4]);
    const before = (await call(server.url, '/mlops/stats')).json().endpoints.find((e: { name: string }) => e.name === 'scale');
    assert.equal(before.cache.entries, 1);
    const reloaded = nextEvent('reloaded');
    writeFileSync(join(dir, 'scale.onnx'), scaleModel(3));
    await reloaded;
    const fresh = await ask();
    assert.deepEqual(fresh.json().outputs[0].data, [3, 6, 9, 12]);
    await server.logSettled();
    const db = openDatabase(join(dir, '.mlops', 'index.db'));
    try {
      assert.equal((db.prepare('SELECT cached FROM predictions WHERE request_id = ?').get(fresh.json().id) as { cached: number }).cached, 0);
    } finally {
      db.close();
    }
    assert.deepEqual((await ask()).json().outputs[0].data, [3, 6, 9, 12]);
  });
});
