import type { ServerResponse } from 'node:http';
import { DISK_FULL_ERRNOS } from '../backends/file/layout.js';
import { FileIoError, StowageError, toWireError } from '../errors/index.js';

/** HTTP status per error code; anything unlisted is a 500. */
const STATUS: Readonly<Record<string, number>> = {
  STOWAGE_INVALID_OBJECT: 400,
  STOWAGE_INVALID_KEY: 400,
  STOWAGE_INVALID_GVK: 400,
  STOWAGE_RESERVED_GROUP: 400,
  STOWAGE_INVALID_SECRET: 400,
  STOWAGE_OBJECT_TOO_LARGE: 413,
  STOWAGE_TOO_MANY_OBJECTS: 507,
  STOWAGE_UNKNOWN_INSTANCE: 404,
  STOWAGE_QUEUE_FULL: 429,
  STOWAGE_QUEUE_TIMEOUT: 429,
  STOWAGE_INSTANCE_DOWN: 503,
  STOWAGE_INITIALIZE_FAILED: 503,
  STOWAGE_NOT_INITIALIZED: 503,
  STOWAGE_ACTOR_DIED: 503,
  STOWAGE_CLOSED: 503,
  STOWAGE_S3_UNREACHABLE: 502,
  STOWAGE_S3_SERVER_ERROR: 502,
  STOWAGE_S3_NO_SUCH_BUCKET: 502,
  STOWAGE_S3_ACCESS_DENIED: 502,
  STOWAGE_S3_BAD_CREDENTIALS: 502,
  STOWAGE_S3_REQUEST_FAILED: 502,
  STOWAGE_S3_TIMEOUT: 504,
};

/** A file write a full disk refused is 507 Insufficient Storage, as a kind past its object limit is. */
function statusOf(error: StowageError): number {
  if (error instanceof FileIoError && DISK_FULL_ERRNOS.has(String(error.details.errno))) return 507;
  return STATUS[error.code] ?? 500;
}

/** A request the API cannot take: a 4xx with a stable code, in the same body shape as stowage errors. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }
}

/** The methods of a route that only reads: HEAD is a GET whose body node:http leaves out. */
export const READ_METHODS = ['GET', 'HEAD'] as const;

/**
 * Throws a 405 naming the route's methods in `Allow` (RFC 9110 asks for it) unless the request's
 * method is one of them.
 */
export function allowOnly(method: string | undefined, allowed: readonly string[]): void {
  if (method !== undefined && allowed.includes(method)) return;
  throw new HttpError(
    405,
    'STOWAGE_METHOD_NOT_ALLOWED',
    `${method} not allowed here; allowed: ${allowed.join(', ')}`,
    {
      allow: allowed.join(', '),
    },
  );
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/** Errors answer as `{error: {code, message, details}}`; internal failures never echo their cause. */
export function sendError(res: ServerResponse, error: unknown): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (error instanceof HttpError) {
    const body = { error: { code: error.code, message: error.message, details: {} } };
    sendJson(res, error.status, body, error.headers);
    return;
  }
  const status = error instanceof StowageError ? statusOf(error) : 500;
  const wire =
    status === 500 && !(error instanceof StowageError)
      ? { code: 'STOWAGE_INTERNAL', message: 'internal error', details: {} }
      : toWireError(error);
  sendJson(res, status, { error: wire }, status === 429 ? { 'retry-after': '1' } : {});
}
