import { quoted } from '../errors/quoted.js';
import { HttpError } from './http-errors.js';

/**
 * The path of a request target as the client sent it, without its query. It is not normalized:
 * `new URL` would resolve `..` and `%2e%2e` segments, and read a target that starts with `//` as a
 * host, so a URL could name a different object than it spells. The absolute form
 * (`http://host/path`, which proxies send) keeps only its path.
 */
export function requestPath(target: string): string {
  const withoutAuthority = target.replace(/^[a-z][a-z\d+.-]*:\/\/[^/?#]*/i, '');
  const path = withoutAuthority.split(/[?#]/, 1)[0] as string;
  if (path === '') return '/';
  if (!path.startsWith('/')) throw new HttpError(400, 'STOWAGE_BAD_PATH', `${target} is no request path`);
  return path;
}

/**
 * The decoded segments of a path. An empty segment is refused rather than dropped: with it dropped,
 * `…/ConfigMap/prod/` (a name left empty) would address the cluster-scoped object `prod`. A segment
 * that is, or decodes to, `.` or `..`, or that decodes to hold a `/`, is refused too: each would
 * let one object's URL reach another.
 */
export function pathSegments(path: string): string[] {
  const raw = path.split('/').slice(1);
  if (raw.some((segment) => segment === '')) {
    throw new HttpError(404, 'STOWAGE_NO_ROUTE', `no route for ${quoted(path)}: it has an empty segment`);
  }
  let segments: string[];
  try {
    segments = raw.map(decodeURIComponent);
  } catch {
    throw new HttpError(400, 'STOWAGE_BAD_PATH', `${path} holds a malformed percent-encoding`);
  }
  for (const segment of segments) {
    if (segment === '.' || segment === '..' || segment.includes('/')) {
      throw new HttpError(
        400,
        'STOWAGE_BAD_PATH',
        `${path} has a segment that is a dot segment or encodes a '/'`,
      );
    }
  }
  return segments;
}
