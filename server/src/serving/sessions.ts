import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type * as Ort from 'onnxruntime-node';
import { allocate, datatypeOfOrt, ortTypeOf, type Datatype, type HostTensor, type TensorData } from './dtypes';

/** One input or output as the protocol describes it; -1 marks a dimension of any size. */
export interface TensorSpec {
  name: string;
  datatype: Datatype;
  shape: number[];
}

export interface ModelSignature {
  inputs: TensorSpec[];
  /** Tensor outputs only: the ones onnxruntime-node can return. */
  outputs: TensorSpec[];
  /** Outputs that are sequences or maps (skl2onnx's ZipMap): never fetched, named in metadata and errors. */
  nonTensorOutputs: string[];
}

export interface ModelFile {
  bytes: Uint8Array;
  /** SHA-1 of the bytes. */
  fingerprint: string;
}

export async function readModelFile(file: string): Promise<ModelFile> {
  const bytes = await readFile(file);
  return { bytes, fingerprint: createHash('sha1').update(bytes).digest('hex') };
}

let ortModule: typeof Ort | undefined;

/** Loaded on first use so that merely importing serving code never needs the native module. */
function ort(): typeof Ort {
  if (!ortModule) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    ortModule = require('onnxruntime-node') as typeof Ort;
    ortModule.env.logLevel = 'error';
  }
  return ortModule;
}

const SESSION_OPTIONS: Ort.InferenceSession.SessionOptions = {
  // Warnings (old opsets, optimizer notes) would flood stderr for every load.
  logSeverityLevel: 3,
  // run() executes on the event loop thread; extra spinning pool threads compete with the HTTP
  // side for cores and buy nothing for the small tabular models served locally.
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  graphOptimizationLevel: 'all',
};

/** An onnxruntime-node session with its signature in protocol terms and a count of run() calls. */
export class ModelSession {
  /** session.run calls so far (the batcher's effect is visible in this number). */
  runs = 0;
  /** The same, by who asked: versions with byte-identical files share one session, not one count. */
  private readonly runsByCaller = new Map<string, number>();

  private constructor(
    readonly file: string,
    /** SHA-1 of the file's bytes: a reload reuses the session when the content did not change. */
    readonly fingerprint: string,
    readonly signature: ModelSignature,
    private readonly session: Ort.InferenceSession,
  ) {}

  /** Read, create and warm up; `warning` says why warm-up failed, if it did. */
  static async load(file: string, model?: ModelFile): Promise<{ session: ModelSession; warning?: string }> {
    const { bytes, fingerprint } = model ?? (await readModelFile(file));
    const created = await ort().InferenceSession.create(bytes, SESSION_OPTIONS);
    let session: ModelSession;
    try {
      session = new ModelSession(file, fingerprint, signatureOf(created), created);
    } catch (error) {
      await created.release();
      throw error;
    }
    return { session, warning: await session.warmUp() };
  }

  /** Rows of separate requests can be stacked when every input's first dimension is free. */
  get batchable(): boolean {
    return this.signature.inputs.every((i) => i.shape.length > 0 && i.shape[0] === -1);
  }

  /** session.run calls made for `caller` (an endpoint's version) so far. */
  runsFor(caller: string): number {
    return this.runsByCaller.get(caller) ?? 0;
  }

  async run(inputs: ReadonlyMap<string, HostTensor>, fetch: readonly string[], caller?: string): Promise<Map<string, HostTensor>> {
    const { Tensor } = ort();
    const feeds: Record<string, Ort.Tensor> = {};
    for (const [name, t] of inputs) {
      const tensor = new Tensor(ortTypeOf(t.datatype) as 'float32', t.data as Float32Array, t.shape);
      // Where the runtime has Float16Array (Node ≥ 24), onnxruntime-common turns FP16's Uint16Array
      // into one, which the native binding (N-API knows no Float16Array) reads as zero bytes: give
      // it the half bits as they came.
      if (t.datatype === 'FP16' && tensor.data !== t.data) (tensor as unknown as { cpuData: unknown }).cpuData = t.data;
      feeds[name] = tensor;
    }
    this.runs++;
    if (caller !== undefined) this.runsByCaller.set(caller, (this.runsByCaller.get(caller) ?? 0) + 1);
    // Name the fetches: asking for every output would include ZipMap's seq(map), which throws.
    const results = await this.session.run(feeds, [...fetch]);
    const out = new Map<string, HostTensor>();
    for (const name of fetch) {
      const t = results[name];
      const datatype = datatypeOfOrt(t.type);
      if (!datatype) throw new Error(`output '${name}' has type ${t.type}, which the protocol cannot carry`);
      out.set(name, { datatype, shape: [...t.dims], data: datatype === 'FP16' ? halfBits(t.data) : (t.data as TensorData) });
    }
    return out;
  }

  /**
   * One run on zero-filled inputs (free dimensions = 1) so the first real request does not pay for
   * lazy initialization. Returns why it failed, if it did: some models reject zeros, and that
   * alone does not make them unusable.
   */
  async warmUp(): Promise<string | undefined> {
    const inputs = new Map<string, HostTensor>();
    for (const spec of this.signature.inputs) {
      const shape = spec.shape.map((d) => (d < 0 ? 1 : d));
      inputs.set(spec.name, { datatype: spec.datatype, shape, data: allocate(spec.datatype, shape.reduce((a, b) => a * b, 1)) });
    }
    try {
      await this.run(inputs, this.signature.outputs.map((o) => o.name));
      this.runs = 0;
      return undefined;
    } catch (error) {
      return error instanceof Error ? error.message : String(error);
    }
  }

  release(): Promise<void> {
    return this.session.release();
  }
}

function signatureOf(session: Ort.InferenceSession): ModelSignature {
  const inputs = session.inputMetadata.map((m) => {
    if (!m.isTensor) throw new Error(`input '${m.name}' is not a tensor (a sequence or map), which the server cannot feed`);
    return specOf(m, 'input');
  });
  const outputs: TensorSpec[] = [];
  const nonTensorOutputs: string[] = [];
  for (const m of session.outputMetadata) {
    if (m.isTensor) outputs.push(specOf(m, 'output'));
    else nonTensorOutputs.push(m.name);
  }
  if (outputs.length === 0) throw new Error(`the model has no tensor outputs (only ${nonTensorOutputs.join(', ')}), so onnxruntime-node cannot return anything`);
  return { inputs, outputs, nonTensorOutputs };
}

function specOf(m: Ort.InferenceSession.TensorValueMetadata, kind: string): TensorSpec {
  const datatype = datatypeOfOrt(m.type);
  if (!datatype) throw new Error(`${kind} '${m.name}' has ONNX type ${m.type}, which the Open Inference Protocol cannot carry`);
  return { name: m.name, datatype, shape: m.shape.map((d) => (typeof d === 'number' && d >= 0 ? d : -1)) };
}

/** FP16 output as the half bits in a Uint16Array, whether the runtime gave it so or as a Float16Array. */
function halfBits(data: unknown): Uint16Array {
  const view = data as ArrayBufferView;
  return data instanceof Uint16Array ? data : new Uint16Array(view.buffer, view.byteOffset, view.byteLength / 2);
}
