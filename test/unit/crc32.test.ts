import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import * as zlib from 'node:zlib';
import { crc32InJavaScript } from '../../src/backends/file/crc32.js';

test("the JavaScript CRC-32 (for Node 22.0 and 22.1, which lack zlib.crc32) gives zlib's values, chained too", () => {
  const native = (zlib as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;
  assert.ok(native, 'this Node has zlib.crc32 to compare with');
  assert.equal(crc32InJavaScript(Buffer.from('123456789')), 0xcbf43926, 'the check value of CRC-32/ISO-HDLC');
  assert.equal(crc32InJavaScript(new Uint8Array(0)), native(new Uint8Array(0)));
  for (const size of [1, 7, 64, 2048, 100_000]) {
    const [a, b] = [randomBytes(size), randomBytes(size + 3)];
    assert.equal(crc32InJavaScript(a), native(a), `${size} bytes`);
    assert.equal(crc32InJavaScript(b, crc32InJavaScript(a)), native(b, native(a)), `${size} bytes, chained`);
  }
});
