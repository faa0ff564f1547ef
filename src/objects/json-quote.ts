/**
 * JSON quoting for the canonical encoder: each function returns exactly what JSON.stringify
 * returns for a string, only faster for the strings objects are made of. Quoting is most of the
 * cost of encoding a real object, because its keys and most of its strings are short and a
 * JSON.stringify call costs more than their characters. Microbenchmarks on Node 26 (2026-11-29),
 * against the code before: the key cache and the short-string check, with the sort check in
 * canonical-json.ts, took the encoder from 6.3–6.6 to 3.7–3.9 ns per output character over the
 * kube-prometheus fixtures' small objects and from 5.2–5.4 to 3.8 over their large ones; the
 * long-string check took the benchmarks' 2 KiB ConfigMap from 1.26 to 1.00–1.05 and left the
 * fixtures within 2%.
 */

/** Strings up to this length are checked one character at a time. */
const SHORT_STRING_LENGTH = 64;

/**
 * Strings from this length on are checked four bytes at a time. Between the two, JSON.stringify:
 * the fixtures' strings of that size mostly hold a quote or a newline within their first 60
 * characters, and the long check's copy cost them more than it saved.
 */
const LONG_STRING_LENGTH = 512;

/**
 * Object keys are few and recur in every object (apiVersion, metadata, name, labels, …), so each
 * one's quoted form is kept once instead of quoting it again per field. The first
 * QUOTED_KEY_LIMIT distinct keys of up to SHORT_STRING_LENGTH characters are kept, then no more,
 * so keys drawn from data (label keys, ConfigMap entries) cannot grow it without bound: under 1 MiB
 * per thread.
 */
const QUOTED_KEY_LIMIT = 4096;
const quotedKeys = new Map<string, string>();

/** `JSON.stringify(key)` followed by a colon. */
export function quotedKey(key: string): string {
  let quoted = quotedKeys.get(key);
  if (quoted === undefined) {
    quoted = `${JSON.stringify(key)}:`;
    if (key.length <= SHORT_STRING_LENGTH && quotedKeys.size < QUOTED_KEY_LIMIT) quotedKeys.set(key, quoted);
  }
  return quoted;
}

/**
 * `JSON.stringify(value)`. A string with no character JSON escapes (a control character, `"`,
 * `\`) and none at or above U+D800 (which covers lone surrogates, the only other escapes) is
 * the string between quotes; anything else is left to JSON.stringify.
 */
export function quoteString(value: string): string {
  if (value.length <= SHORT_STRING_LENGTH) return isPlainShort(value) ? `"${value}"` : JSON.stringify(value);
  if (value.length >= LONG_STRING_LENGTH && isPlainAscii(value)) return `"${value}"`;
  return JSON.stringify(value);
}

function isPlainShort(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code < 0x20 || code === 0x22 || code === 0x5c || code >= 0xd800) return false;
  }
  return true;
}

/** Long strings are checked a chunk at a time, so one that fails early costs one chunk's copy. */
const CHUNK_CHARS = 1024;
/** Room for a chunk's UTF-8 (3 bytes per UTF-16 unit at most) and the padding to a whole word. */
const scratch = Buffer.allocUnsafeSlow(3 * CHUNK_CHARS + 4);
const scratchWords = new Uint32Array(scratch.buffer, scratch.byteOffset, scratch.length >>> 2);

/**
 * True when every character is ASCII and none is a control character, `"` or `\`. Each chunk is
 * copied as bytes and tested one 32-bit word at a time; each test is exact for bytes below 0x80.
 */
function isPlainAscii(value: string): boolean {
  for (let start = 0; start < value.length; start += CHUNK_CHARS) {
    const part = value.slice(start, start + CHUNK_CHARS);
    // UTF-8 spends one byte on a character only when it is ASCII, so one copy both tests that and
    // leaves the bytes to test for the rest.
    const length = scratch.write(part, 0, 'utf8');
    if (length !== part.length) return false;
    const padded = (length + 3) & ~3;
    // Padding with 'A', which passes every test.
    scratch.fill(0x41, length, padded);
    for (let i = 0; i < padded >>> 2; i++) {
      const word = scratchWords[i] as number;
      if (((word - 0x20202020) & ~word & 0x80808080) !== 0) return false;
      const quote = word ^ 0x22222222;
      if (((quote - 0x01010101) & ~quote & 0x80808080) !== 0) return false;
      const backslash = word ^ 0x5c5c5c5c;
      if (((backslash - 0x01010101) & ~backslash & 0x80808080) !== 0) return false;
    }
  }
  return true;
}
