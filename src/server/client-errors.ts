import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { API_HEADER, API_VERSION } from './api-header.js';

/** Status and stable code for what node:http reports before a request reaches a route. */
function classify(code: string | undefined): { status: number; code: string; message: string } {
  switch (code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { status: 408, code: 'STOWAGE_REQUEST_TIMEOUT', message: 'the request did not arrive in time' };
    case 'HPE_HEADER_OVERFLOW':
      return { status: 431, code: 'STOWAGE_HEADERS_TOO_LARGE', message: 'the request headers are too large' };
    default:
      return { status: 400, code: 'STOWAGE_BAD_REQUEST', message: 'the request is not well-formed HTTP' };
  }
}

/**
 * node:http's `clientError` handler: a request that timed out or could not be parsed gets the
 * same typed JSON body as every other error, where node:http would answer a bare status line.
 * It answers only when `canAnswer` (ConnectionTracker.canAnswerRaw): otherwise the bytes could
 * land inside a response under way, or pass for the answer to a request that ran. Either way the
 * connection is closed.
 */
export function answerClientError(error: NodeJS.ErrnoException, socket: Duplex, canAnswer: boolean): void {
  if (error.code !== 'ECONNRESET' && socket.writable && canAnswer) {
    const { status, code, message } = classify(error.code);
    answerRaw(socket, status, code, message);
  }
  socket.destroy();
}

/**
 * node:http's `connect` handler: a CONNECT, which node:http hands over as a raw socket and would
 * otherwise close unanswered, gets the 405 every other method the API does not take gets.
 */
export function answerConnect(socket: Duplex): void {
  if (socket.writable)
    answerRaw(
      socket,
      405,
      'STOWAGE_METHOD_NOT_ALLOWED',
      'CONNECT is not served here',
      'allow: GET, HEAD\r\n',
    );
  socket.destroy();
}

/** A typed JSON error written straight to a socket, which closes after it. */
function answerRaw(socket: Duplex, status: number, code: string, message: string, headers = ''): void {
  const body = `${JSON.stringify({ error: { code, message, details: {} } })}\n`;
  socket.write(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n` +
      `${API_HEADER}: ${API_VERSION}\r\n` +
      headers +
      'content-type: application/json; charset=utf-8\r\n' +
      `content-length: ${Buffer.byteLength(body)}\r\n` +
      `connection: close\r\n\r\n${body}`,
  );
}
