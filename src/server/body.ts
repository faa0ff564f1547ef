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

/**
 * How much of a body refused for its size is read and thrown away before its 413, past the limit.
 * Answered while its client is still sending, a 413 with `connection: close` was often lost: the
 * server closed with bytes unread, the kernel reset the connection, and a client that writes its
 * whole body before it reads (stowage's own CLI, through fetch) saw "write EPIPE" instead, 1 to 3
 * runs in 6 in an audit. Past this much, the client may see that reset.
 */
export const DISCARD_MAX_BYTES = 64 * 1024 * 1024;

function tooLarge(limit: number): HttpError {
  // The connection closes after the answer: node:http would otherwise go on reading the body, to
  // keep the connection for the next request, however large it is.
  return new HttpError(413, 'STOWAGE_BODY_TOO_LARGE', `request body over ${limit} bytes`, {
    connection: 'close',
  });
}

/**
 * Reads a request body up to `limit` bytes. A larger one is refused with a 413 without being
 * buffered: at once when it is declared larger and its client waits to be asked for it
 * (`Expect: 100-continue`), or declared larger than the part read and thrown away
 * (DISCARD_MAX_BYTES); otherwise once it has been read and thrown away, or that much of it.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = declaredLength(req);
  const asksFirst = /^100-continue$/i.test(req.headers.expect ?? '');
  if (declared > limit && (asksFirst || declared > limit + DISCARD_MAX_BYTES)) {
    return Promise.reject(tooLarge(limit));
  }
  // Aborted before its turn (pipelined behind a slow request): no event would ever come.
  if (req.destroyed && !req.readableEnded) return Promise.reject(abortedError());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = declared > limit;
    const settle = (error: Error | undefined) => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
      if (error) reject(error);
      else resolve(joined(chunks, size));
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (!over && size > limit) {
        over = true;
        chunks.length = 0;
      }
      if (!over) chunks.push(chunk);
      else if (size > limit + DISCARD_MAX_BYTES) {
        req.pause();
        settle(tooLarge(limit));
      }
    };
    const onEnd = () => settle(over ? tooLarge(limit) : undefined);
    // An aborted request: the connection is gone, so nothing is answered (sendError).
    const onError = (error: Error) => settle(error);
    const onClose = () => {
      if (!req.readableEnded) settle(abortedError());
    };
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('error', onError);
    req.once('close', onClose);
  });
}

/** A body that stopped with its connection: nothing is answered (sendError). */
function abortedError(): Error {
  return new Error('the request was aborted before its body ended');
}

/**
 * A buffer of its own, not Buffer.concat's slice of Node's shared pool: the body may be a secret,
 * which the pool would keep beside unrelated buffers after its route has wiped it.
 */
function joined(chunks: readonly Buffer[], size: number): Buffer {
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
