import type { IncomingMessage } from 'node:http';
import { isLoopback } from './auth.js';
import { HttpError } from './http-errors.js';

/**
 * Keeps web pages out of the API. The API is for the CLI and programs, which send no `Origin`;
 * a browser sends one with every cross-origin POST, PUT and DELETE. Without this, any page open in
 * a browser on the host could store objects or restart instances through a loopback server with
 * no token: a POST with a `text/plain` body is a "simple" request, sent without a preflight.
 *
 * Without a token the `Host` must name loopback (or the bound host): DNS rebinding points a name
 * the attacker owns at 127.0.0.1, and the browser then sends that name, from a page it deems the
 * server's own origin, and lets the page read the answers. With a token a browser cannot get in
 * (it never adds the bearer header by itself), and a proxy in front may rewrite `Host`.
 */
export function refuseBrowsers(req: IncomingMessage, boundHost: string, token: string | undefined): void {
  const origin = req.headers.origin;
  const host = req.headers.host;
  if (origin !== undefined && !(host !== undefined && sameOrigin(origin, host))) {
    throw new HttpError(
      403,
      'STOWAGE_CROSS_ORIGIN',
      'requests from web pages (with an Origin header of another origin) are refused: the API is for the CLI and programs',
    );
  }
  if (token === undefined && host !== undefined) {
    const name = hostName(host);
    if (name === undefined || !(isLoopback(name) || name === boundHost)) {
      throw new HttpError(
        403,
        'STOWAGE_HOST_REFUSED',
        'without server.token the Host header must name loopback (127.0.0.1, localhost, [::1]) or the bound host',
      );
    }
  }
}

function sameOrigin(origin: string, host: string): boolean {
  return origin === `http://${host}`;
}

/**
 * The host name of a Host header (`name`, `name:port`, `[v6]:port`), lower-cased, without the
 * trailing dot of a fully qualified name (`localhost.`), an IPv4-mapped IPv6 address as IPv4
 * (`[::ffff:127.0.0.1]`, which the URL parser writes `::ffff:7f00:1`); undefined if malformed.
 */
function hostName(host: string): string | undefined {
  if (!URL.canParse(`http://${host}`)) return undefined;
  let name = new URL(`http://${host}`).hostname.toLowerCase().replace(/\.$/, '');
  if (name.startsWith('[') && name.endsWith(']')) name = name.slice(1, -1);
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(name);
  if (mapped) {
    const [high, low] = [Number.parseInt(mapped[1] as string, 16), Number.parseInt(mapped[2] as string, 16)];
    name = [high >> 8, high & 0xff, low >> 8, low & 0xff].join('.');
  }
  return name;
}
