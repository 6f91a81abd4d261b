/**
 * What an ONNX file says beyond its signature: the operators of its graph and its metadata_props.
 * Batch scoring uses them to map columns to a tensor input (`feature_names`) and to know whether
 * the model accepts a missing value (NaN) at all.
 */
import { messageDecoder } from '../util/protobuf';

const FACTS_PROTO = `
syntax = "proto3";
package onnxfacts;
message ModelProto {
  GraphProto graph = 7;
  repeated StringStringEntryProto metadata_props = 14;
}
message StringStringEntryProto { string key = 1; string value = 2; }
message GraphProto { repeated NodeProto node = 1; }
message NodeProto { string op_type = 4; string domain = 7; }
`;

interface FactsJson {
  graph?: { node?: { op_type?: string }[] };
  metadata_props?: { key?: string; value?: string }[];
}

export interface OnnxFacts {
  opTypes: Set<string>;
  metadata: Record<string, string>;
}

let decoder: ReturnType<typeof messageDecoder<FactsJson>> | undefined;

export function onnxFacts(bytes: Uint8Array): OnnxFacts {
  const json = (decoder ??= messageDecoder<FactsJson>(FACTS_PROTO, 'onnxfacts.ModelProto')).decode(bytes);
  const metadata: Record<string, string> = {};
  for (const p of json.metadata_props ?? []) if (p.key) metadata[p.key] = p.value ?? '';
  return { opTypes: new Set((json.graph?.node ?? []).map((n) => n.op_type ?? '')), metadata };
}

/** Operators that give a missing value a meaning (trees route it, an imputer fills it, IsNaN tests it). */
const NAN_AWARE = ['Imputer', 'TreeEnsembleClassifier', 'TreeEnsembleRegressor', 'TreeEnsemble', 'IsNaN'];

export function acceptsMissingValues(facts: OnnxFacts): boolean {
  return NAN_AWARE.some((op) => facts.opTypes.has(op));
}

/** `feature_names` (a JSON list of strings) from the metadata, when the model carries one. */
export function featureNames(facts: OnnxFacts): string[] | undefined {
  const raw = facts.metadata.feature_names;
  if (!raw) return undefined;
  try {
    const names = JSON.parse(raw) as unknown;
    return Array.isArray(names) && names.every((n) => typeof n === 'string') ? names : undefined;
  } catch {
    return undefined;
  }
}
