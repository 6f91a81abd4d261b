/**
 * Protocol Buffers decoding for other tools' binary logs (TensorBoard event files, W&B run logs);
 * the one module that knows protobufjs. Our schemas are subsets of theirs, written from their field
 * numbers: unknown fields are skipped by the wire format.
 */
import * as protobuf from 'protobufjs';

export interface MessageDecoder<T> {
  decode(bytes: Uint8Array): T;
}

/** A decoder of `typeName` in the given .proto text; plain objects out (64-bit integers as numbers, enums as numbers). */
export function messageDecoder<T>(protoText: string, typeName: string): MessageDecoder<T> {
  const type = protobuf.parse(protoText, { keepCase: true }).root.lookupType(typeName);
  return {
    decode: (bytes) => type.toObject(type.decode(bytes), { longs: Number, enums: Number, defaults: false, arrays: true, oneofs: true }) as T,
  };
}
