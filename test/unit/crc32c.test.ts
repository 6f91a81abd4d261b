// CRC-32C over ranges, held to the standard check values and to the library's whole-buffer CRC.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { crc32cOf, maskedCrc32c, referenceCrc32c } from '../../server/src/util/crc32c';
import { seededRandom } from '../../server/src/util/random';

test('the check values of CRC-32C (RFC 3720, B.4): "123456789", 32 zero bytes, 32 bytes of 0xff, 0..31 ascending', () => {
  assert.equal(crc32cOf(Buffer.from('123456789')), 0xe3069283);
  assert.equal(crc32cOf(Buffer.alloc(32)), 0x8a9136aa);
  assert.equal(crc32cOf(Buffer.alloc(32, 0xff)), 0x62a8ab43);
  assert.equal(crc32cOf(Buffer.from(Array.from({ length: 32 }, (_, i) => i))), 0x46dd794e);
  assert.equal(crc32cOf(Buffer.alloc(0)), 0);
});

test('a range of a buffer has the CRC of the same bytes alone, for every length and alignment up to 70', () => {
  const random = seededRandom(11);
  const bytes = Buffer.from(Array.from({ length: 200 }, () => Math.floor(random() * 256)));
  for (let start = 0; start < 9; start++) {
    for (let length = 0; length <= 70; length++) {
      const alone = Buffer.from(bytes.subarray(start, start + length));
      assert.equal(crc32cOf(bytes, start, start + length), referenceCrc32c(alone), `start ${start}, length ${length}`);
    }
  }
});

test("TFRecord's masked CRC of an 8-byte length, as TensorFlow's crc32c::Mask computes it", () => {
  // Mask(crc) = ((crc >> 15) | (crc << 17)) + 0xa282ead8, over the CRC of the little-endian length 31.
  const length = Buffer.alloc(8);
  length.writeUInt32LE(31);
  const crc = referenceCrc32c(length);
  assert.equal(maskedCrc32c(length), (((crc >>> 15) | (crc << 17)) + 0xa282ead8) >>> 0);
});
