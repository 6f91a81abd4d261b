import { join } from 'node:path';
import { startModelServer } from '../serving/server';
import { CHURN_DATA_FILE, loadChurnDataset, type ChurnRows } from './churn-data';

export interface ReplayOptions {
  /** The example folder (holds mlops.yaml and data/telco-churn.csv). */
  folder: string;
  /** A running server; when absent one is started on a free loopback port for the replay. */
  url?: string;
  endpoint: string;
  /** How many test-split customers to send (at most the split's size). */
  rows: number;
  concurrency: number;
  /**
   * Which customers: the test split (default), or a drifted period — long-standing customers
   * (tenure ≥ 48 months) of the whole data set, whose contracts, charges and services differ from
   * the training data's.
   */
  slice?: 'test' | 'long-tenure';
}

/** Customers with at least this tenure (months) make the drifted slice. */
export const LONG_TENURE_MONTHS = 48;

export interface ReplayResult {
  url: string;
  sent: number;
  failed: number;
  /** Per version that answered: requests, and how many predictions matched the label sent as feedback. */
  versions: Record<string, { requests: number; correct: number }>;
}

/**
 * Traffic as the example's users would send it: each test-split customer once, routed by their id
 * (`x-user-id`, the endpoint's sticky header), followed by feedback with the true label — what the
 * A/B analysis and performance monitoring read from the prediction log.
 */
export async function replayChurnTraffic(o: ReplayOptions): Promise<ReplayResult> {
  const dataset = loadChurnDataset(join(o.folder, CHURN_DATA_FILE));
  const test = o.slice === 'long-tenure' ? longTenure(dataset.all) : dataset.test;
  const server = o.url ? undefined : await startModelServer({ workspaceRoot: o.folder, manifestPath: join(o.folder, 'mlops.yaml'), port: 0, watch: false });
  const url = o.url ?? server!.url;
  const result: ReplayResult = { url, sent: 0, failed: 0, versions: {} };
  const count = Math.min(o.rows, test.x.rows);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < count; i = next++) {
      const features = Array.from(test.x.data.subarray(i * test.x.cols, (i + 1) * test.x.cols));
      const id = `replay-${o.slice === 'long-tenure' ? 'late-' : ''}${test.ids[i]}`;
      const response = await fetch(`${url}/v2/models/${o.endpoint}/infer`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-user-id': test.ids[i] },
        body: JSON.stringify({ id, inputs: [{ name: 'features', shape: [1, test.x.cols], datatype: 'FP32', data: features }] }),
      });
      result.sent++;
      if (!response.ok) {
        result.failed++;
        continue;
      }
      const body = (await response.json()) as { model_version: string; outputs: { name: string; data: number[] }[] };
      const label = body.outputs.find((out) => out.name === 'label')?.data[0];
      const stats = (result.versions[body.model_version] ??= { requests: 0, correct: 0 });
      stats.requests++;
      if (label === test.y[i]) stats.correct++;
      const feedback = await fetch(`${url}/v2/models/${o.endpoint}/feedback`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ id, label: test.y[i] }),
      });
      if (!feedback.ok) result.failed++;
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, o.concurrency) }, worker));
  } finally {
    await server?.close();
  }
  return result;
}

/** The rows of customers with tenure ≥ LONG_TENURE_MONTHS (tenure is the first feature). */
function longTenure(all: ChurnRows): ChurnRows {
  const keep: number[] = [];
  for (let i = 0; i < all.x.rows; i++) if (all.x.data[i * all.x.cols] >= LONG_TENURE_MONTHS) keep.push(i);
  const data = new Float64Array(keep.length * all.x.cols);
  keep.forEach((r, k) => data.set(all.x.data.subarray(r * all.x.cols, (r + 1) * all.x.cols), k * all.x.cols));
  return {
    x: { ...all.x, rows: keep.length, data },
    y: Uint8Array.from(keep, (r) => all.y[r]),
    ids: keep.map((r) => all.ids[r]),
    positions: keep.map((r) => all.positions[r]),
  };
}
