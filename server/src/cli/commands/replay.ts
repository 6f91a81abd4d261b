import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { replayChurnTraffic } from '../../example/replay';
import { EXIT_FINDINGS, EXIT_OK, UsageError, type Out } from '../usage';

export const REPLAY_HELP = `Usage: mlops replay [folder] [--url URL] [--endpoint NAME] [--rows N] [--concurrency N] [--slice test|long-tenure] [--json]

Sends the churn example's test-split customers to the served endpoint, each with its customer id as
x-user-id (so sticky routing applies), then the true label as feedback. Without --url a server is
started for the replay on a free 127.0.0.1 port. The prediction log then holds what the A/B analysis
and monitoring read.

Options:
  --endpoint NAME    default: churn
  --rows N           default: 1000 (at most the test split, 2113)
  --concurrency N    default: 8
  --slice S          test: the test split (default); long-tenure: customers with tenure ≥ 48 months
                     from the whole data set, a drifted period for monitoring (mlops drift, monitor)
`;

export async function replayCommand(args: string[], out: Out): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      url: { type: 'string' },
      endpoint: { type: 'string', default: 'churn' },
      rows: { type: 'string', default: '1000' },
      concurrency: { type: 'string', default: '8' },
      slice: { type: 'string', default: 'test' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    out.stdout(REPLAY_HELP);
    return EXIT_OK;
  }
  if (positionals.length > 1) throw new UsageError('replay takes at most one folder');
  const rows = Number(values.rows);
  const concurrency = Number(values.concurrency);
  if (!Number.isInteger(rows) || rows < 1) throw new UsageError(`--rows must be a positive integer, not "${values.rows}"`);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 256) throw new UsageError(`--concurrency must be 1 to 256, not "${values.concurrency}"`);
  if (values.slice !== 'test' && values.slice !== 'long-tenure') throw new UsageError(`--slice must be test or long-tenure, not "${values.slice}"`);
  const result = await replayChurnTraffic({ folder: resolve(positionals[0] ?? '.'), url: values.url, endpoint: values.endpoint!, rows, concurrency, slice: values.slice });
  if (values.json) {
    out.stdout(JSON.stringify(result, null, 2) + '\n');
  } else {
    out.stdout(`Sent ${result.sent} requests to ${result.url} (${result.failed} failed)\n`);
    for (const [version, s] of Object.entries(result.versions).sort()) {
      out.stdout(`  version ${version}: ${s.requests} requests (${((100 * s.requests) / Math.max(1, result.sent)).toFixed(1)}%), accuracy ${(s.correct / Math.max(1, s.requests)).toFixed(4)}\n`);
    }
  }
  return result.failed === 0 ? EXIT_OK : EXIT_FINDINGS;
}
