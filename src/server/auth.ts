import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import { ConfigError } from '../errors/config-errors.js';

export function isLoopback(host: string): boolean {
  if (host === 'localhost' || host === '::1') return true;
  return isIP(host) === 4 && host.startsWith('127.');
}

/** Binding beyond loopback exposes the data; that needs a token. */
export function checkBind(host: string, token: string | undefined): void {
  if (!isLoopback(host) && token === undefined) {
    throw new ConfigError(
      `server.host ${host} is not loopback; set server.token (or STOWAGE__server__token) to bind it`,
      { field: 'server.host' },
    );
  }
}

const digest = (text: string) => createHash('sha256').update(text).digest();

/** Constant-time comparison of `Authorization: Bearer <token>` (hashing equalizes lengths). */
export function authorized(req: IncomingMessage, token: string | undefined): boolean {
  if (token === undefined) return true;
  const header = req.headers.authorization ?? '';
  // The scheme is case-insensitive (RFC 9110, section 11.1); the token is not.
  const match = /^Bearer +(.+)$/i.exec(header);
  return match !== null && timingSafeEqual(digest(match[1] as string), digest(token));
}
