/**
 * Bytes that own their memory: a Uint8Array spanning the whole of its own ArrayBuffer.
 *
 * Values that live long (an index, a memory volume) must be held this way. Node serves small
 * `Buffer.from` and `Buffer.allocUnsafe` calls from a shared 64 KiB pool, so a kept 2 KiB view
 * pins the whole pool chunk for as long as any neighbour in it lives: after random overwrites of
 * 100,000 objects of 2 KiB, resident memory was 3.38× the values with pooled ones and 1.23–1.34×
 * with owned ones (docs/architecture.md, "Memory"). A view also crosses threads badly: structured
 * clone copies its whole ArrayBuffer, so a 300-byte pooled value arrived in a worker as a copy of
 * the 64 KiB pool chunk.
 */

/** The UTF-8 encoding of `text` in a buffer of its own; `byteLength` if the caller already knows it. */
export function utf8Owned(text: string, byteLength = Buffer.byteLength(text, 'utf8')): Buffer {
  const bytes = Buffer.allocUnsafeSlow(byteLength);
  bytes.write(text, 0, byteLength, 'utf8');
  return bytes;
}

/** `bytes` itself when it owns its ArrayBuffer, otherwise a copy that does. */
export function ownedBytes(bytes: Uint8Array): Uint8Array {
  if (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength) return bytes;
  const copy = Buffer.allocUnsafeSlow(bytes.byteLength);
  copy.set(bytes);
  return copy;
}
