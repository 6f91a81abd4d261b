import { resolve } from 'node:path';
import { readStore, startMlflowStandin } from './mlflow-standin';

// `npm run mlflow-standin -- <store> [--port N] [--token T] [--page-size N]`
const args = process.argv.slice(2);
const flag = (name: string) => {
  const i = args.indexOf(name);
  return i === -1 ? undefined : args.splice(i, 2)[1];
};
const port = Number(flag('--port') ?? 5000);
const token = flag('--token') ?? process.env.MLFLOW_TRACKING_TOKEN;
const maxPageSize = flag('--page-size');
const store = args[0];
if (!store) {
  process.stderr.write('usage: npm run mlflow-standin -- <mlruns folder or mlflow.db> [--port 5000] [--token T] [--page-size N]\n');
  process.exit(2);
}
const snapshot = readStore(resolve(store));
void startMlflowStandin({ snapshot, token, port, maxPageSize: maxPageSize ? Number(maxPageSize) : undefined }).then((s) => {
  process.stdout.write(
    `MLflow REST stand-in serving ${snapshot.experiments.length} experiments, ${snapshot.runs.length} runs, ${snapshot.registeredModels.length} registered models of ${store}\n` +
      `at ${s.url}${token ? ' (bearer token required)' : ''}; put "tracking: [${s.url}]" in an mlops.yaml. Ctrl+C stops it.\n`,
  );
});
