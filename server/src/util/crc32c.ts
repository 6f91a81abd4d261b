/** CRC-32C (Castagnoli), the checksum of TFRecord frames; the one module that knows the library. */
import { crc32c } from '@aws-crypto/crc32c';

export function crc32cOf(bytes: Uint8Array): number {
  return crc32c(bytes) >>> 0;
}

/** TFRecord's masked CRC: rotated right by 15 bits, plus a constant, so a CRC of CRCs does not degenerate. */
export function maskedCrc32c(bytes: Uint8Array): number {
  const crc = crc32cOf(bytes);
  return (((crc >>> 15) | (crc << 17)) + 0xa282ead8) >>> 0;
}
