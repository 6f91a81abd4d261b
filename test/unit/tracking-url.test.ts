import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isLoopbackHost, trackingServerUrl } from '../../server/src/tracking/sources';

test('tracking server addresses: http(s) only, normalized, no credentials, query or fragment', () => {
  assert.deepEqual(trackingServerUrl('http://127.0.0.1:5000/'), { url: 'http://127.0.0.1:5000' });
  assert.deepEqual(trackingServerUrl('HTTPS://MLflow.Example.com/team/mlflow//'), { url: 'https://mlflow.example.com/team/mlflow' });
  for (const [entry, reason] of [
    ['ftp://host/mlruns', /ftp:\/\/ is not supported/],
    ['databricks://profile', /databricks:\/\/ is not supported/],
    ['https://user:secret@host', /credentials do not belong in the URL/],
    ['http://host:5000/?x=1', /without a query or fragment/],
    ['http://', /not a valid URL/],
  ] as const) {
    const result = trackingServerUrl(entry);
    assert.ok('reason' in result, entry);
    assert.match(result.reason, reason);
    assert.doesNotMatch(result.reason, /secret/);
  }
});

test('loopback hosts', () => {
  for (const host of ['localhost', '127.0.0.1', '127.1.2.3', '[::1]', 'api.localhost']) assert.ok(isLoopbackHost(host), host);
  for (const host of ['10.0.0.1', 'mlflow.example.com', '128.0.0.1', 'localhost.example.com']) assert.ok(!isLoopbackHost(host), host);
});
