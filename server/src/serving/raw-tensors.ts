/**
 * Tensors as raw little-endian bytes, the form of gRPC's raw_input_contents / raw_output_contents
 * and of REST's binary tensor data extension: fixed-width elements back to back, BYTES as a 4-byte
 * little-endian length before each element. (Every platform the extension ships for is
 * little-endian, so typed arrays are copied as they are.)
 */
import type { Datatype, HostTensor, TensorData } from './dtypes';
import { badRequest } from './errors';

/** Bytes per element of each datatype (BYTES: length-prefixed instead). */
export const ELEMENT_BYTES: Partial<Record<Datatype, number>> = { BOOL: 1, UINT8: 1, INT8: 1, UINT16: 2, INT16: 2, FP16: 2, UINT32: 4, INT32: 4, FP32: 4, UINT64: 8, INT64: 8, FP64: 8 };

/** Little-endian raw contents as tensor data (copied: the message's bytes need not be aligned). */
export function fromRaw(datatype: Datatype, bytes: Buffer, label: string): TensorData {
  if (datatype === 'BYTES') {
    const out: string[] = [];
    for (let at = 0; at < bytes.length; ) {
      if (at + 4 > bytes.length) throw badRequest(`${label}: raw BYTES contents end inside a 4-byte length prefix at byte ${at}`);
      const length = bytes.readUInt32LE(at);
      if (at + 4 + length > bytes.length) throw badRequest(`${label}: a raw BYTES element at byte ${at} says ${length} bytes, only ${bytes.length - at - 4} follow`);
      out.push(bytes.toString('utf8', at + 4, at + 4 + length));
      at += 4 + length;
    }
    return out;
  }
  const size = ELEMENT_BYTES[datatype] as number;
  if (bytes.length % size !== 0) throw badRequest(`${label}: raw contents of ${bytes.length} bytes are not a whole number of ${datatype} elements (${size} bytes each)`);
  const n = bytes.length / size;
  const out = allocateTyped(datatype, n);
  new Uint8Array(out.buffer, out.byteOffset, out.byteLength).set(bytes);
  if (datatype === 'BOOL') for (let i = 0; i < n; i++) if (out[i] > 1) throw badRequest(`${label}: raw BOOL element ${i} is ${out[i]}; expected 0 or 1`);
  return out;
}

function allocateTyped(datatype: Datatype, n: number): Exclude<TensorData, string[]> {
  switch (datatype) {
    case 'INT64':
      return new BigInt64Array(n);
    case 'UINT64':
      return new BigUint64Array(n);
    case 'FP64':
      return new Float64Array(n);
    case 'FP32':
      return new Float32Array(n);
    case 'INT32':
      return new Int32Array(n);
    case 'UINT32':
      return new Uint32Array(n);
    case 'INT16':
      return new Int16Array(n);
    case 'UINT16':
    case 'FP16':
      return new Uint16Array(n);
    case 'INT8':
      return new Int8Array(n);
    default:
      return new Uint8Array(n);
  }
}

/** A tensor's data as raw little-endian bytes. */
export function toRaw(t: HostTensor): Buffer {
  if (Array.isArray(t.data)) {
    const parts: Buffer[] = [];
    for (const s of t.data) {
      const bytes = Buffer.from(s, 'utf8');
      const length = Buffer.alloc(4);
      length.writeUInt32LE(bytes.length);
      parts.push(length, bytes);
    }
    return Buffer.concat(parts);
  }
  return Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);
}

