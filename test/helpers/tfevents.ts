// TensorBoard event records written by hand from the format's facts (TFRecord frames around
// tensorflow.Event protobufs), for tests and benchmarks that need files of a given shape.
import { maskedCrc32c } from '../../server/src/util/crc32c';

/** A TFRecord frame around `data`: length, masked CRC-32C of the length, data, masked CRC-32C of the data. */
export function frame(data: Buffer): Buffer {
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(data.length));
  const crc = (b: Buffer) => {
    const out = Buffer.alloc(4);
    out.writeUInt32LE(maskedCrc32c(b));
    return out;
  };
  return Buffer.concat([length, crc(length), data, crc(data)]);
}

function varint(value: number): number[] {
  const out: number[] = [];
  for (let v = value; ; v = Math.floor(v / 128)) {
    if (v < 128) {
      out.push(v);
      return out;
    }
    out.push((v % 128) | 128);
  }
}

/** An Event frame with one `simple_value` scalar of `tag` at `step`, written at `wallSeconds`. */
export function scalarEvent(tag: string, value: number, step: number, wallSeconds: number): Buffer {
  const t = Buffer.from(tag);
  const v = Buffer.concat([Buffer.from([0x0a, ...varint(t.length)]), t, Buffer.from([0x15]), Buffer.from(new Float32Array([value]).buffer)]);
  const summary = Buffer.concat([Buffer.from([0x0a, ...varint(v.length)]), v]);
  const wall = Buffer.alloc(8);
  wall.writeDoubleLE(wallSeconds);
  return frame(Buffer.concat([Buffer.from([0x09]), wall, Buffer.from([0x10, ...varint(step)]), Buffer.from([0x2a, ...varint(summary.length)]), summary]));
}
