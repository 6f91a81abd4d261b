// A process that logs predictions and is then killed: for the prediction journal's replay tests.
// argv: <workspace> <rows>. Prints "ready" once the log is open, waits for a line on stdin, records
// the rows, prints "answered <n>" once every record has resolved, and kills itself with SIGKILL.
import { createInterface } from 'node:readline';
import { PredictionLog } from '../../server/src/serving/prediction-log';

const [workspace, count] = process.argv.slice(2);
const log = PredictionLog.open(workspace);
process.stdout.write('ready\n');
createInterface({ input: process.stdin }).once('line', () => {
  const rows = Array.from({ length: Number(count) }, (_, i) =>
    log.record({
      requestId: `journal-${i}`,
      time: 1_700_000_000_000 + i,
      endpoint: 'ep',
      model: 'm',
      version: '1',
      protocol: 'v2',
      inputs: `{"x":{"datatype":"FP32","shape":[1],"data":[${i}]}}`,
      inputsBytes: 40,
      outputs: null,
      latencyMs: 0.5,
      status: 200,
      error: null,
      mirrored: false,
    }),
  );
  void Promise.all(rows).then(() => {
    process.stdout.write(`answered ${rows.length}\n`);
    process.kill(process.pid, 'SIGKILL');
  });
});
