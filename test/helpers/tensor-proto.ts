import { readFileSync } from 'node:fs';
import { halfToFloat, type Datatype } from '../../server/src/serving/dtypes';

/**
 * A decoder for ONNX TensorProto files (the input_N.pb / output_N.pb of ONNX backend test cases),
 * straight from the protobuf wire format: dims=1, data_type=2, float_data=4, int32_data=5,
 * string_data=6, int64_data=7, name=8, raw_data=9, double_data=10, uint64_data=11.
 */
export interface DecodedTensor {
  name: string;
  dims: number[];
  datatype: Datatype;
  /** JSON-ready values: numbers, booleans, strings; 64-bit integers as bigint. */
  values: (number | bigint | boolean | string)[];
}

const ONNX_TYPES: Record<number, Datatype> = {
  1: 'FP32',
  2: 'UINT8',
  3: 'INT8',
  4: 'UINT16',
  5: 'INT16',
  6: 'INT32',
  7: 'INT64',
  8: 'BYTES',
  9: 'BOOL',
  10: 'FP16',
  11: 'FP64',
  12: 'UINT32',
  13: 'UINT64',
};

class Reader {
  pos = 0;
  constructor(readonly buf: Buffer) {}
  get done(): boolean {
    return this.pos >= this.buf.length;
  }
  varint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const byte = this.buf[this.pos++];
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7n;
    }
  }
  bytes(): Buffer {
    const length = Number(this.varint());
    const out = this.buf.subarray(this.pos, this.pos + length);
    this.pos += length;
    return out;
  }
  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1) this.pos += 8;
    else if (wire === 2) this.bytes();
    else if (wire === 5) this.pos += 4;
    else throw new Error(`unsupported wire type ${wire}`);
  }
}

const signed64 = (v: bigint) => BigInt.asIntN(64, v);

export function decodeTensorProto(bytes: Buffer): DecodedTensor {
  const r = new Reader(bytes);
  const dims: number[] = [];
  let dataType = 0;
  let name = '';
  let raw: Buffer | undefined;
  const floats: number[] = [];
  const doubles: number[] = [];
  const varints: bigint[] = [];
  const strings: string[] = [];
  // Repeated scalars come packed (wire type 2) or one per tag; both are accepted.
  const repeated = (wire: number, read: (r: Reader) => void) => {
    if (wire !== 2) return read(r);
    const inner = new Reader(r.bytes());
    while (!inner.done) read(inner);
  };
  while (!r.done) {
    const key = Number(r.varint());
    const field = key >> 3;
    const wire = key & 7;
    switch (field) {
      case 1:
        repeated(wire, (x) => dims.push(Number(signed64(x.varint()))));
        break;
      case 2:
        dataType = Number(r.varint());
        break;
      case 4:
        repeated(wire, (x) => {
          floats.push(x.buf.readFloatLE(x.pos));
          x.pos += 4;
        });
        break;
      case 5:
      case 7:
      case 11:
        repeated(wire, (x) => varints.push(x.varint()));
        break;
      case 6:
        strings.push(r.bytes().toString('utf8'));
        break;
      case 8:
        name = r.bytes().toString('utf8');
        break;
      case 9:
        raw = Buffer.from(r.bytes());
        break;
      case 10:
        repeated(wire, (x) => {
          doubles.push(x.buf.readDoubleLE(x.pos));
          x.pos += 8;
        });
        break;
      default:
        r.skip(wire);
    }
  }
  const datatype = ONNX_TYPES[dataType];
  if (!datatype) throw new Error(`unsupported ONNX data type ${dataType}`);
  const count = dims.reduce((a, b) => a * b, 1);
  return { name, dims, datatype, values: raw ? fromRaw(datatype, raw, count) : fromFields(datatype, { floats, doubles, varints, strings }) };
}

function fromRaw(datatype: Datatype, raw: Buffer, count: number): DecodedTensor['values'] {
  const out: DecodedTensor['values'] = [];
  for (let i = 0; i < count; i++) {
    switch (datatype) {
      case 'FP32': out.push(raw.readFloatLE(i * 4)); break;
      case 'FP64': out.push(raw.readDoubleLE(i * 8)); break;
      case 'FP16': out.push(halfToFloat(raw.readUInt16LE(i * 2))); break;
      case 'INT8': out.push(raw.readInt8(i)); break;
      case 'UINT8': out.push(raw.readUInt8(i)); break;
      case 'BOOL': out.push(raw.readUInt8(i) !== 0); break;
      case 'INT16': out.push(raw.readInt16LE(i * 2)); break;
      case 'UINT16': out.push(raw.readUInt16LE(i * 2)); break;
      case 'INT32': out.push(raw.readInt32LE(i * 4)); break;
      case 'UINT32': out.push(raw.readUInt32LE(i * 4)); break;
      case 'INT64': out.push(raw.readBigInt64LE(i * 8)); break;
      case 'UINT64': out.push(raw.readBigUInt64LE(i * 8)); break;
      default: throw new Error(`raw_data for ${datatype}`);
    }
  }
  return out;
}

function fromFields(datatype: Datatype, f: { floats: number[]; doubles: number[]; varints: bigint[]; strings: string[] }): DecodedTensor['values'] {
  switch (datatype) {
    case 'FP32': return f.floats;
    case 'FP64': return f.doubles;
    case 'BYTES': return f.strings;
    case 'FP16': return f.varints.map((v) => halfToFloat(Number(v)));
    case 'BOOL': return f.varints.map((v) => v !== 0n);
    case 'INT64': return f.varints.map(signed64);
    case 'UINT64': return f.varints;
    default: return f.varints.map((v) => Number(BigInt.asIntN(32, v)));
  }
}

export function readTensorProto(file: string): DecodedTensor {
  return decodeTensorProto(readFileSync(file));
}

/** Values for a V2 JSON request: 64-bit integers as numbers when exact, else as decimal strings. */
export function toJsonValues(t: DecodedTensor): unknown[] {
  return t.values.map((v) => (typeof v === 'bigint' ? (v > -(2n ** 53n) && v < 2n ** 53n ? Number(v) : v.toString()) : v));
}
