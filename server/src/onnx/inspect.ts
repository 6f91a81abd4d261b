/**
 * Reads an ONNX model's input and output signature with ONNX Runtime, the same runtime that serves
 * it, so "loads here" means "loads in the model server". onnxruntime-node is required lazily: the
 * plain syntax check and the extension host never load the native module.
 *
 * ONNX Runtime only creates sessions asynchronously, while validation is synchronous and runs on
 * every keystroke; so inspections are cached (by path, modification time and size) and validation
 * reads the cache through `peekOnnx`, or `onnxLookup`, which also starts the missing inspections.
 */
import { statSync } from 'node:fs';

/** One input or output. Non-tensor values (sequences, maps) have no type or shape. */
export interface OnnxValueInfo {
  name: string;
  isTensor: boolean;
  /** e.g. "float32", "int64". */
  type?: string;
  /** Numbers for fixed dimensions; a string for symbolic ("batch") or unknown ("") ones. */
  shape?: (number | string)[];
}

export interface OnnxSignature {
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
}

/** A signature, or why ONNX Runtime could not load the file. */
export type OnnxInspection = OnnxSignature | { error: string };

interface CacheEntry {
  mtimeMs: number;
  size: number;
  result: Promise<OnnxInspection>;
  settled?: OnnxInspection;
}

/** Enough for the models of a large workspace; the oldest entry goes first. */
const MAX_CACHED = 512;
const cache = new Map<string, CacheEntry>();

/**
 * Inspect a model file. Resolves to `{ error }` when the file cannot be read or loaded; rejects only
 * when onnxruntime-node itself cannot be loaded on this Node runtime.
 */
export function inspectOnnx(path: string): Promise<OnnxInspection> {
  const stat = statSync(path, { throwIfNoEntry: false });
  if (!stat) return Promise.resolve({ error: `${path} does not exist` });
  const hit = cache.get(path);
  if (hit && hit.mtimeMs === stat.mtimeMs && hit.size === stat.size) return hit.result;

  const entry: CacheEntry = { mtimeMs: stat.mtimeMs, size: stat.size, result: readSignature(path) };
  entry.result.then(
    (r) => (entry.settled = r),
    () => cache.delete(path), // the runtime did not load: let a later call try again
  );
  cache.delete(path);
  cache.set(path, entry);
  if (cache.size > MAX_CACHED) cache.delete(cache.keys().next().value as string);
  return entry.result;
}

/** The cached inspection of a file if it is current, without loading anything; undefined when not known yet. */
export function peekOnnx(path: string): OnnxInspection | undefined {
  const hit = cache.get(path);
  if (!hit?.settled) return undefined;
  const stat = statSync(path, { throwIfNoEntry: false });
  return stat && stat.mtimeMs === hit.mtimeMs && stat.size === hit.size ? hit.settled : undefined;
}

/**
 * A synchronous lookup for validation: answers from the cache, and for files not inspected yet (or
 * changed) starts an inspection and calls `onInspected` when it is done, so the caller can validate
 * again. Failures to load the runtime are reported once through `onRuntimeError`.
 */
export function onnxLookup(onInspected: (path: string) => void, onRuntimeError: (message: string) => void = () => {}): (path: string) => OnnxInspection | undefined {
  const pending = new Set<string>();
  let runtimeFailed = false;
  return (path) => {
    const known = peekOnnx(path);
    if (known || runtimeFailed || pending.has(path)) return known;
    pending.add(path);
    inspectOnnx(path).then(
      () => {
        pending.delete(path);
        onInspected(path);
      },
      (error: unknown) => {
        pending.delete(path);
        runtimeFailed = true;
        onRuntimeError(error instanceof Error ? error.message : String(error));
      },
    );
    return undefined;
  };
}

type Ort = typeof import('onnxruntime-node');
let ort: Ort | undefined;

function runtime(): Ort {
  if (!ort) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const loaded = require('onnxruntime-node') as Ort;
    // ONNX Runtime warns on stderr about many valid models (unused initializers, …); keep errors only.
    loaded.env.logLevel = 'error';
    ort = loaded;
  }
  return ort;
}

async function readSignature(path: string): Promise<OnnxInspection> {
  const ort = runtime(); // throws (and so rejects) when the native module cannot load
  let session: Awaited<ReturnType<Ort['InferenceSession']['create']>>;
  try {
    session = await ort.InferenceSession.create(path, { logSeverityLevel: 3 });
  } catch (error) {
    return { error: firstLine(error) };
  }
  try {
    return { inputs: session.inputMetadata.map(toInfo), outputs: session.outputMetadata.map(toInfo) };
  } finally {
    // Only the metadata is needed; the session's memory (weights) goes back at once.
    await session.release().catch(() => undefined);
  }
}

function toInfo(m: { name: string; isTensor: boolean; type?: unknown; shape?: readonly (number | string)[] }): OnnxValueInfo {
  if (!m.isTensor) return { name: m.name, isTensor: false };
  return { name: m.name, isTensor: true, type: String(m.type), shape: [...(m.shape ?? [])] };
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0].replace(/^Load model from .+? failed:\s*/, '');
}
