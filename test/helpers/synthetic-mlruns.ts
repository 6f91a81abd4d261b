import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { seededRandom } from '../../server/src/util/random';

export interface SyntheticStoreOptions {
  experiments: number;
  runsPerExperiment: number;
  metrics: number;
  steps: number;
  params?: number;
}


/**
 * Writes an MLflow file store laid out exactly as MLflow's FileStore writes one: experiment
 * meta.yaml, run meta.yaml with numeric status, metrics/<key> lines "<ts> <value> <step>",
 * params/<key> and tags/<key> holding the value. Returns the run ids.
 */
export function writeSyntheticMlruns(root: string, o: SyntheticStoreOptions): string[] {
  const random = seededRandom(7);
  const runIds: string[] = [];
  const t0 = 1_700_000_000_000;
  for (let e = 0; e < o.experiments; e++) {
    const expDir = join(root, String(e));
    mkdirSync(expDir, { recursive: true });
    writeFileSync(
      join(expDir, 'meta.yaml'),
      `artifact_location: file://${expDir}\ncreation_time: ${t0}\nexperiment_id: '${e}'\nlast_update_time: ${t0}\nlifecycle_stage: active\nname: experiment-${e}\n`,
    );
    for (let r = 0; r < o.runsPerExperiment; r++) {
      const runId = (e * 1_000_000 + r).toString(16).padStart(32, '0');
      runIds.push(runId);
      const dir = join(expDir, runId);
      for (const sub of ['metrics', 'params', 'tags', 'artifacts']) mkdirSync(join(dir, sub), { recursive: true });
      const start = t0 + (e * o.runsPerExperiment + r) * 60_000;
      writeFileSync(
        join(dir, 'meta.yaml'),
        `artifact_uri: file://${dir}/artifacts\nend_time: ${start + 50_000}\nentry_point_name: ''\nexperiment_id: '${e}'\nlifecycle_stage: active\nrun_id: ${runId}\nrun_name: run-${r}\nrun_uuid: ${runId}\nsource_name: ''\nsource_type: 4\nsource_version: ''\nstart_time: ${start}\nstatus: 3\ntags: []\nuser_id: bench\n`,
      );
      for (let p = 0; p < (o.params ?? 5); p++) writeFileSync(join(dir, 'params', `p${p}`), String(Math.round(random() * 1000) / 1000));
      writeFileSync(join(dir, 'tags', 'mlflow.runName'), `run-${r}`);
      writeFileSync(join(dir, 'tags', 'mlflow.user'), 'bench');
      for (let m = 0; m < o.metrics; m++) {
        const lines: string[] = [];
        for (let s = 0; s < o.steps; s++) lines.push(`${start + s * 100} ${random()} ${s}`);
        writeFileSync(join(dir, 'metrics', `m${m}`), lines.join('\n') + '\n');
      }
    }
  }
  return runIds;
}
