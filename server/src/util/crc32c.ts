/**
 * CRC-32C (Castagnoli), the checksum of TFRecord frames; the one module that knows the library.
 * SheetJS' crc-32 gives the CRC of a whole buffer; a TFRecord file needs two CRCs per record over
 * ranges of one big buffer, and a view per range cost more than the checksum itself. So ranges are
 * checked here by slicing-by-8 over tables grown from the library's own table (its polynomial), and
 * the library's function stays the reference the tests hold this to.
 */
import { buf as crc32cBuf, table } from 'crc-32/crc32c';

/** tables[k][n]: the CRC of byte n followed by k zero bytes. */
const tables: Int32Array[] = [Int32Array.from(table)];
for (let k = 1; k < 8; k++) {
  const previous = tables[k - 1];
  const next = new Int32Array(256);
  for (let n = 0; n < 256; n++) next[n] = (previous[n] >>> 8) ^ tables[0][previous[n] & 0xff];
  tables.push(next);
}
const [t0, t1, t2, t3, t4, t5, t6, t7] = tables;

/** CRC-32C of bytes[start, end). */
export function crc32cOf(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let c = -1;
  let i = start;
  for (; i + 8 <= end; i += 8) {
    c ^= bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24);
    c = t7[c & 0xff] ^ t6[(c >>> 8) & 0xff] ^ t5[(c >>> 16) & 0xff] ^ t4[c >>> 24] ^ t3[bytes[i + 4]] ^ t2[bytes[i + 5]] ^ t1[bytes[i + 6]] ^ t0[bytes[i + 7]];
  }
  for (; i < end; i++) c = (c >>> 8) ^ t0[(c ^ bytes[i]) & 0xff];
  return ~c >>> 0;
}

/** The library's CRC-32C of a whole buffer: the reference for crc32cOf. */
export function referenceCrc32c(bytes: Uint8Array): number {
  return crc32cBuf(bytes) >>> 0;
}

/** TFRecord's masked CRC: rotated right by 15 bits, plus a constant, so a CRC of CRCs does not degenerate. */
export function maskedCrc32c(bytes: Uint8Array, start = 0, end = bytes.length): number {
  const crc = crc32cOf(bytes, start, end);
  return (((crc >>> 15) | (crc << 17)) + 0xa282ead8) >>> 0;
}
