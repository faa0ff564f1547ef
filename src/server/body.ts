import { isUtf8 } from 'node:buffer';
import type { IncomingMessage } from 'node:http';
import { shownKey } from '../config/shown-key.js';
import { inexactIntegerInJson, inexactIntegerProblem } from '../objects/inexact-integer.js';
import { duplicateKey } from '../objects/json-duplicate-keys.js';
import { jsonFaultPosition } from '../objects/json-fault.js';
import { parseJson } from '../objects/parse-json.js';
import { HttpError } from './http-errors.js';

/** The body's length as its `content-length` header declares it; 0 without one. */
export function declaredLength(req: IncomingMessage): number {
  return Number(req.headers['content-length'] ?? 0);
}

/** Reads a request body up to `limit` bytes; a larger one is refused before it is buffered. */
export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  if (declaredLength(req) > limit) {
    // The connection closes after the answer: node:http would otherwise read the whole body (200
    // MiB in an audit) and throw it away, to keep the connection for the next request.
    throw new HttpError(413, 'STOWAGE_BODY_TOO_LARGE', `request body over ${limit} bytes`, {
      connection: 'close',
    });
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new HttpError(413, 'STOWAGE_BODY_TOO_LARGE', `request body over ${limit} bytes`);
    chunks.push(chunk as Buffer);
  }
  // A buffer of its own, not Buffer.concat's slice of Node's shared pool: the body may be a
  // secret, which the pool would keep beside unrelated buffers after its route has wiped it.
  const body = Buffer.allocUnsafeSlow(size);
  let offset = 0;
  for (const chunk of chunks) offset += chunk.copy(body, offset);
  return body;
}

/**
 * The body parsed as JSON. A parse error says where it failed and no more: the body may be a
 * secret sent to the wrong route, and an answer must not echo it (json-fault.ts).
 */
export async function readJson(req: IncomingMessage, limit: number): Promise<unknown> {
  const body = await readBody(req, limit);
  // JSON is UTF-8 (RFC 8259); decoding anything else put U+FFFD in place of each bad byte, and
  // the object was stored changed without a word.
  if (!isUtf8(body)) throw new HttpError(400, 'STOWAGE_BAD_JSON', 'request body is not valid UTF-8');
  const text = body.toString('utf8');
  let value: unknown;
  try {
    value = parseJson(text);
  } catch (error) {
    const position = jsonFaultPosition(error);
    const where =
      body.length === 0 ? ': it is empty' : position === undefined ? '' : ` (at character ${position})`;
    throw new HttpError(400, 'STOWAGE_BAD_JSON', `request body is not valid JSON${where}`);
  }
  // As `put -f` refuses it: JSON.parse keeps the last, so `"name":"a","name":"b"` stored b.
  const twice = duplicateKey(text);
  if (twice !== undefined) {
    throw new HttpError(
      400,
      'STOWAGE_BAD_JSON',
      `request body has the key ${shownKey(twice)} twice in one object`,
    );
  }
  const inexact = inexactIntegerInJson(text);
  if (inexact !== undefined) {
    throw new HttpError(400, 'STOWAGE_BAD_JSON', `request body: ${inexactIntegerProblem(inexact)}`);
  }
  return value;
}
