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

/**
 * A cursor over the protobuf wire format, for the one message read millions of times (a
 * TensorBoard Event per scalar point), where building an object per message with protobufjs
 * costs more than everything else in the read. Callers read a field's key, then its value or skip.
 */
export class WireCursor {
  pos: number;
  constructor(
    public bytes: Buffer,
    start: number,
    public end: number,
  ) {
    this.pos = start;
  }

  /** The same cursor over another range (the hot path keeps one cursor per nesting level). */
  reset(bytes: Buffer, start: number, end: number): this {
    this.bytes = bytes;
    this.pos = start;
    this.end = end;
    return this;
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  /** A varint, exact up to 2^53; a ten-byte one is a negative int64 (two's complement), read through BigInt. */
  varint(): number {
    const b = this.bytes;
    // One byte: every field key and most small numbers.
    if (this.pos < this.end && b[this.pos] < 0x80) return b[this.pos++];
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new Error('a varint runs past the end of its message');
      const byte = b[this.pos++];
      result += (byte & 0x7f) * scale;
      if (byte < 0x80) {
        if (i === 9) return this.signed64(this.pos - 10);
        return result;
      }
      scale *= 128;
    }
    throw new Error('a varint longer than ten bytes');
  }

  double(): number {
    this.need(8);
    const v = this.bytes.readDoubleLE(this.pos);
    this.pos += 8;
    return v;
  }

  float(): number {
    this.need(4);
    const v = this.bytes.readFloatLE(this.pos);
    this.pos += 4;
    return v;
  }

  /** A length-delimited field's [start, end), leaving the cursor after it. */
  span(): [number, number] {
    const length = this.varint();
    this.need(length);
    const start = this.pos;
    this.pos += length;
    return [start, this.pos];
  }

  /** A length-delimited field's end, leaving the cursor at its start (no array, unlike span()). */
  delimited(): number {
    const length = this.varint();
    this.need(length);
    return this.pos + length;
  }

  string(): string {
    const [start, end] = this.span();
    return this.bytes.toString('utf8', start, end);
  }

  /** Skips the value of a field of wire type `type` (groups, long deprecated, are refused). */
  skip(type: number): void {
    if (type === 0) this.varint();
    else if (type === 1) this.advance(8);
    else if (type === 2) this.span();
    else if (type === 5) this.advance(4);
    else throw new Error(`wire type ${type} at byte ${this.pos} is not one this reader takes`);
  }

  private advance(n: number): void {
    this.need(n);
    this.pos += n;
  }

  private need(n: number): void {
    if (n > this.end - this.pos) throw new Error('a field runs past the end of its message');
  }

  private signed64(start: number): number {
    let v = 0n;
    for (let i = 9; i >= 0; i--) v = (v << 7n) | BigInt(this.bytes[start + i] & 0x7f);
    return Number(BigInt.asIntN(64, v));
  }
}

/** The JSON descriptor of .proto text (protobufjs' form), for loaders that take one. */
export function protoDescriptorJson(protoText: string): Record<string, unknown> {
  return protobuf.parse(protoText, { keepCase: true }).root.toJSON() as Record<string, unknown>;
}
