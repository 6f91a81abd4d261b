/**
 * `mlops smoke`: a deployed endpoint (KServe, Seldon, `mlflow models serve`, `mlops serve`) against
 * the local ONNX sessions of the same model, row by row. This is the folder's public face.
 */
export { resolveTarget, SmokeUsageError, type SmokeTarget, type TargetRequest } from './target';
export { runSmoke, type SmokeFinding, type SmokeOptions, type SmokeReport, type CheckName, type CheckStatus } from './run';
export { formatSmoke, SMOKE_FORMATS, type SmokeFormat } from './report';
export { SMOKE_PROTOCOLS, type SmokeProtocol } from './protocols';
export type { Tolerance } from './compare';
