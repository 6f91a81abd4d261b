import assert from 'node:assert/strict';
import { test } from 'node:test';
import { replayChurnTraffic } from '../../server/src/example/replay';
import { openStore } from '../../server/src/store/store';
import { tempDir } from '../helpers/paths';

test('replaying the example sends each customer once with feedback, and the log holds all of it', async () => {
  const folder = tempDir('replay', 'examples/churn');
  const result = await replayChurnTraffic({ folder, endpoint: 'churn', rows: 300, concurrency: 6 });
  assert.equal(result.sent, 300);
  assert.equal(result.failed, 0);
  const versions = Object.values(result.versions);
  assert.equal(versions.reduce((n, v) => n + v.requests, 0), 300);
  // 70/30 split over 300 customers: version 2 gets 90 ± 4 standard deviations.
  const share2 = result.versions['2'].requests;
  assert.ok(Math.abs(share2 - 90) < 4 * Math.sqrt(300 * 0.3 * 0.7), `version 2 got ${share2}`);

  const db = openStore(folder);
  try {
    const logged = db.prepare("SELECT COUNT(*) AS n FROM predictions WHERE mirrored = 0 AND request_id LIKE 'replay-%'").get() as { n: number };
    const feedback = db.prepare("SELECT COUNT(*) AS n FROM feedback WHERE request_id LIKE 'replay-%'").get() as { n: number };
    assert.equal(logged.n, 300);
    assert.equal(feedback.n, 300);
    // The same customers again land on the same versions: sticky by x-user-id.
    const again = await replayChurnTraffic({ folder, endpoint: 'churn', rows: 300, concurrency: 3 });
    assert.deepEqual(Object.fromEntries(Object.entries(again.versions).map(([v, s]) => [v, s.requests])), Object.fromEntries(Object.entries(result.versions).map(([v, s]) => [v, s.requests])));
  } finally {
    db.close();
  }
});
