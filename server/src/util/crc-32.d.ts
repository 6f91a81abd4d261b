// crc-32's types leave out the table it exports (CRC32C.table: the 256 CRCs of one byte).
import 'crc-32/crc32c';

declare module 'crc-32/crc32c' {
  export const table: Int32Array;
}
