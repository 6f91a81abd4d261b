import type { OnnxInspection } from '../../onnx/inspect';
import type { RunSummary } from '../../tracking/repository';

/** What editor features know beyond the text: the indexed runs and the ONNX files' signatures. */
export interface ManifestFacts {
  runs(): readonly RunSummary[];
  run(runId: string): RunSummary | undefined;
  /** The file that holds a run (its meta.yaml, JSONL log or database), to jump to. */
  runFile(run: RunSummary): string | undefined;
  onnx(absolutePath: string): OnnxInspection | undefined;
}

export const NO_FACTS: ManifestFacts = {
  runs: () => [],
  run: () => undefined,
  runFile: () => undefined,
  onnx: () => undefined,
};
