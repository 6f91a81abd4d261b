/**
 * The three wire protocols as a client speaks them: where health, metadata and inference are, the
 * request body for a slice of rows, and an answer read back into flat values per output.
 *
 * Request bodies use the serving code's own encoders, so a float32 is sent as the shortest text
 * that reads back as the same float32, exactly what the local session was given.
 */
import { encodeFlat, encodeNested, type HostTensor } from '../serving/dtypes';
import type { ModelSignature, TensorSpec } from '../serving/sessions';
import { rowRecords } from '../serving/protocol-v1';
import { flattenNested } from '../serving/tensors';

export const SMOKE_PROTOCOLS = ['v2', 'v1', 'mlflow'] as const;
export type SmokeProtocol = (typeof SMOKE_PROTOCOLS)[number];

export interface Routes {
  /** Server health, then the model's own readiness (V2), each expected to answer 2xx. */
  health: string[];
  /** V2 model metadata; V1 and MLflow have none. */
  metadata?: string;
  infer: string;
}

export function routesFor(protocol: SmokeProtocol, name: string): Routes {
  const m = encodeURIComponent(name);
  switch (protocol) {
    case 'v2':
      return { health: ['/v2/health/ready', `/v2/models/${m}/ready`], metadata: `/v2/models/${m}`, infer: `/v2/models/${m}/infer` };
    case 'v1':
      return { health: [`/v1/models/${m}`], infer: `/v1/models/${m}:predict` };
    case 'mlflow':
      return { health: ['/ping'], infer: '/invocations' };
  }
}

/**
 * V2: {inputs: [{name, datatype, shape, data}]}. V1: {instances: [row, …]} (a row of the only
 * input, or {input: row} with several). MLflow: {inputs: {input: nested rows}}, its tensor form,
 * which a pyfunc model with a tensor signature takes as it is.
 */
export function requestBody(protocol: SmokeProtocol, inputs: ReadonlyMap<string, HostTensor>): string {
  const tensors = [...inputs];
  if (protocol === 'v2') {
    const parts = tensors.map(([name, t]) => `{"name":${JSON.stringify(name)},"datatype":${JSON.stringify(t.datatype)},"shape":${JSON.stringify(t.shape)},"data":${encodeFlat(t.datatype, t.data)}}`);
    return `{"inputs":[${parts.join(',')}]}`;
  }
  if (protocol === 'mlflow') {
    const parts = tensors.map(([name, t]) => `${JSON.stringify(name)}:${encodeNested(t.datatype, t.data, t.shape)}`);
    return `{"inputs":{${parts.join(',')}}}`;
  }
  if (tensors.length === 1) return `{"instances":${encodeNested(tensors[0][1].datatype, tensors[0][1].data, tensors[0][1].shape)}}`;
  return `{"instances":${rowRecords(inputs)}}`;
}

/** An answer as flat, row-major values per output name. */
export interface Answer {
  outputs: Map<string, unknown[]>;
  /** The version the answer says it came from (V2 model_version, else an x-model-version header). */
  version?: string;
  /** How a bare list of predictions was matched to an output. */
  note?: string;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The answer, or why it cannot be read as one. */
export function readAnswer(protocol: SmokeProtocol, text: string, versionHeader: string | null, signature: ModelSignature): Answer | { problem: string } {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return { problem: `the answer is not JSON: ${preview(text)}` };
  }
  const header = versionHeader ?? undefined;
  try {
    if (protocol === 'v2') {
      if (!isObj(body) || !Array.isArray(body.outputs)) return { problem: `the answer has no "outputs" list: ${preview(text)}` };
      const outputs = new Map<string, unknown[]>();
      for (const [i, o] of body.outputs.entries()) {
        if (!isObj(o) || typeof o.name !== 'string') return { problem: `outputs[${i}] has no name` };
        if (o.data === undefined) return { problem: `output ${o.name} has no "data" (binary outputs are not asked for)` };
        outputs.set(o.name, flat(o.data, o.name));
      }
      const named = typeof body.model_version === 'string' && body.model_version !== '' ? body.model_version : header;
      return { outputs, version: named };
    }
    // MLflow before 2.0 answered a bare list; both answer {"predictions": …} now.
    const predictions = isObj(body) && body.predictions !== undefined ? body.predictions : Array.isArray(body) ? body : undefined;
    if (predictions === undefined) return { problem: `the answer has no "predictions": ${preview(text)}` };
    return { ...fromPredictions(predictions, signature), version: header };
  } catch (error) {
    return { problem: (error as Error).message };
  }
}

/**
 * The row-oriented forms V1 and MLflow answer with: one object per row {output: value}; an object
 * {output: whole tensor}; or a bare list of rows, which is the only output, or, for a model with
 * several, its label (the first output that is not a float), as sklearn-style servers answer.
 */
function fromPredictions(predictions: unknown, signature: ModelSignature): Pick<Answer, 'outputs' | 'note'> {
  const outputs = new Map<string, unknown[]>();
  if (isObj(predictions)) {
    for (const [name, value] of Object.entries(predictions)) outputs.set(name, flat(value, name));
    return { outputs };
  }
  if (!Array.isArray(predictions)) throw new Error(`"predictions" is neither a list nor an object`);
  if (predictions.length > 0 && predictions.every(isObj)) {
    const names = new Set(predictions.flatMap((p) => Object.keys(p as Obj)));
    for (const name of names) {
      outputs.set(name, predictions.flatMap((p, r) => {
        if (!Object.hasOwn(p as Obj, name)) throw new Error(`predictions[${r}] has no ${name}`);
        return flat((p as Obj)[name], name);
      }));
    }
    return { outputs };
  }
  const only = signature.outputs.length === 1 ? signature.outputs[0] : (signature.outputs.find((o) => !isFloat(o)) ?? signature.outputs[0]);
  outputs.set(only.name, flat(predictions, only.name));
  return { outputs, note: signature.outputs.length === 1 ? undefined : `the answer is a bare list of predictions: compared with output ${only.name}` };
}

function flat(value: unknown, name: string): unknown[] {
  try {
    return flattenNested(value, `output ${name}`).values;
  } catch (error) {
    throw new Error((error as Error).message);
  }
}

export const isFloat = (spec: TensorSpec): boolean => spec.datatype === 'FP32' || spec.datatype === 'FP64' || spec.datatype === 'FP16';

export function preview(text: string): string {
  const t = text.replace(/\s+/g, ' ').trim();
  return t === '' ? '(empty)' : t.length > 120 ? `${t.slice(0, 117)}...` : t;
}
