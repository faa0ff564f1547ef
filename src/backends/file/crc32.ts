import * as zlib from 'node:zlib';

/**
 * CRC-32 (the zlib/ISO-HDLC one the file format names), continuing from `value` as zlib.crc32()
 * does. zlib.crc32 is native, and what runs wherever Node has it (22.2 and later); `engines` admits
 * Node 22.0 and 22.1, which lack it, and there a table-driven one in JavaScript gives the same
 * values, more slowly. A named import of it would fail the whole module on those versions.
 */
export const crc32: (data: Uint8Array, value?: number) => number =
  (zlib as { crc32?: (data: Uint8Array, value?: number) => number }).crc32 ?? crc32InJavaScript;

let table: Uint32Array | undefined;

/** The reflected polynomial 0xEDB88320, a byte at a time: exported so a test compares it with zlib's. */
export function crc32InJavaScript(data: Uint8Array, value = 0): number {
  table ??= makeTable();
  let crc = ~value >>> 0;
  for (let i = 0; i < data.length; i++)
    crc = (table[(crc ^ (data[i] as number)) & 0xff] as number) ^ (crc >>> 8);
  return ~crc >>> 0;
}

function makeTable(): Uint32Array {
  const entries = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    entries[n] = c >>> 0;
  }
  return entries;
}
