import type { ColumnProfile } from '../../contract';
import type { OnnxInspection } from '../../onnx/inspect';
import type { RunSummary } from '../../tracking/repository';

/** What editor features know beyond the text: the indexed runs and the ONNX files' signatures. */
export interface ManifestFacts {
  runs(): readonly RunSummary[];
  run(runId: string): RunSummary | undefined;
  /** The file that holds a run (its meta.yaml, JSONL log or database), to jump to. */
  runFile(run: RunSummary): string | undefined;
  onnx(absolutePath: string): OnnxInspection | undefined;
  /** A data file's columns and their observed statistics (read once per change of the file). */
  dataProfile(absolutePath: string): Promise<DataProfile>;
}

export type DataProfile = { rows: number; columns: string[]; profiles: ColumnProfile[] } | { error: string };

export const NO_FACTS: ManifestFacts = {
  runs: () => [],
  run: () => undefined,
  runFile: () => undefined,
  onnx: () => undefined,
  dataProfile: () => Promise.resolve({ error: 'data files are not read here' }),
};
