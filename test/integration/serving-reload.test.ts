import assert from 'node:assert/strict';
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { startModelServer, type ServerEvent } from '../../server/src/serving/server';
import { scaleModel } from '../helpers/onnx-builder';
import { call, workspace } from '../helpers/serving';

const manifest = (traffic: string) => `version: 1
models:
  scale: { versions: { "1": { path: models/v1.onnx }, "2": { path: models/v2.onnx } } }
serving:
  endpoints:
    e: { model: scale, traffic: ${traffic}, batching: { max_batch_size: 8, max_delay_ms: 1 } }
`;

test('hot reload under load: split change, model file replaced (atomically and in place), a broken save refused — zero failed requests', async () => {
  const dir = workspace('reload', { 'mlops.yaml': manifest('{ "1": 100 }'), 'models/v1.onnx': scaleModel(1), 'models/v2.onnx': scaleModel(2) });
  const events: ServerEvent[] = [];
  let wake: (() => void) | undefined;
  const server = await startModelServer({
    workspaceRoot: dir,
    manifestPath: join(dir, 'mlops.yaml'),
    port: 0,
    onEvent: (e) => {
      events.push(e);
      wake?.();
    },
  });
  const nextEvent = async (type: ServerEvent['type']) => {
    const seen = events.length;
    const deadline = Date.now() + 10_000;
    while (!events.slice(seen).some((e) => e.type === type)) {
      assert.ok(Date.now() < deadline, `no ${type} event; got ${JSON.stringify(events)}`);
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, 50);
      });
    }
    return events.slice(seen).find((e) => e.type === type) as ServerEvent;
  };

  // Phase k: requests that start after the k-th reload was reported see factor expected[k].
  const expected = [1, 2, 3, 4];
  let phase = 0;
  let running = true;
  const seen: { phase: number; factor: number; status: number; text: string }[] = [];
  const worker = async () => {
    while (running) {
      const started = phase;
      const res = await call(server.url, '/v2/models/e/infer', { body: { inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 4], data: [1, 1, 1, 1] }] } });
      seen.push({ phase: started, factor: res.status === 200 ? res.json().outputs[0].data[0] : NaN, status: res.status, text: res.text });
    }
  };
  const load = Promise.all(Array.from({ length: 6 }, worker));
  const settle = () => new Promise((r) => setTimeout(r, 250));

  try {
    await settle();
    writeFileSync(join(dir, 'mlops.yaml'), manifest('{ "1": 0, "2": 100 }'));
    await nextEvent('reloaded');
    phase = 1;
    await settle();
    // Editors save by writing a temp file and renaming it over the original.
    writeFileSync(join(dir, 'models', 'v2.onnx.tmp'), scaleModel(3));
    renameSync(join(dir, 'models', 'v2.onnx.tmp'), join(dir, 'models', 'v2.onnx'));
    await nextEvent('reloaded');
    phase = 2;
    await settle();
    writeFileSync(join(dir, 'models', 'v2.onnx'), scaleModel(4));
    await nextEvent('reloaded');
    phase = 3;
    await settle();
    writeFileSync(join(dir, 'mlops.yaml'), manifest('{ "1": 50, "2": 20 }'));
    const refused = await nextEvent('reload-failed');
    assert.match(JSON.stringify(refused), /percentages sum to 70, not 100 \(still serving the previous configuration\)/);
    await settle();
  } finally {
    running = false;
    await load;
    await server.close();
  }

  const failed = seen.filter((s) => s.status !== 200);
  assert.deepEqual(failed, [], `${failed.length} of ${seen.length} requests failed`);
  assert.ok(seen.length >= 200, `only ${seen.length} requests ran`);
  for (const s of seen) {
    const allowed = [expected[s.phase], expected[s.phase + 1]];
    assert.ok(allowed.includes(s.factor), `a request started in phase ${s.phase} was answered with factor ${s.factor}`);
  }
  for (const k of [1, 2, 3]) assert.ok(seen.some((s) => s.phase === k && s.factor === expected[k]), `phase ${k} was never served`);
  assert.ok(seen.filter((s) => s.phase === 3).every((s) => s.factor === 4), 'the refused manifest changed what was served');
});
