import type { IncomingMessage, ServerResponse } from 'node:http';
import { type GroupVersionKind, gvk as makeGvk } from '../contract/gvk.js';
import type { PersistenceProvider, RuntimeObject } from '../contract/types.js';
import { quoted } from '../errors/quoted.js';
import { readJson } from './body.js';
import { allowOnly, HttpError, READ_METHODS, sendJson } from './http-errors.js';

/**
 * `/api/v1/instances/{instance}/objects/{group|core}/{version}/{kind}[/{namespace}]/{name}`:
 *   POST|PUT on `/objects` stores the body (its GVK and key come from the object) and answers `{key}`;
 *   GET on a kind lists (a JSON array, or JSON lines with `?format=ndjson`);
 *   GET and DELETE on an object read or remove it; HEAD is taken wherever GET is.
 */
export async function handleObjects(
  provider: PersistenceProvider,
  instance: string,
  rest: readonly string[],
  req: IncomingMessage,
  res: ServerResponse,
  maxBodyBytes: number,
): Promise<void> {
  const [group, version, kind, ...keyParts] = rest;
  if (group === undefined) {
    allowOnly(req.method, ['POST', 'PUT']);
    const key = await provider.putObject(instance, (await readJson(req, maxBodyBytes)) as RuntimeObject);
    sendJson(res, 201, { key });
    return;
  }
  // A key of more segments than namespace/name is the provider's to refuse: an invalid key is a
  // 400 STOWAGE_INVALID_KEY, as it is everywhere else, never a route that does not exist.
  if (version === undefined || kind === undefined) {
    throw new HttpError(
      404,
      'STOWAGE_NO_ROUTE',
      'expected /objects/{group|core}/{version}/{kind}[/{namespace}]/{name}',
    );
  }
  const gvk = makeGvk(group === 'core' ? '' : group, version, kind);
  if (keyParts.length === 0) {
    allowOnly(req.method, READ_METHODS);
    // From the target's query alone: an absolute-form target's authority (`GET http://[/…`) need
    // not parse, and new URL() threw on it (an untyped 500).
    const formats = new URLSearchParams(/\?([^#]*)/.exec(req.url ?? '')?.[1] ?? '').getAll('format');
    // Given twice, the first won and the second, perhaps misspelled, went unread.
    if (formats.length > 1) throw new HttpError(400, 'STOWAGE_BAD_REQUEST', 'format is given more than once');
    const format = formats[0] ?? null;
    // A misspelled format gave a JSON array, to a client that meant to read lines.
    if (format !== null && format !== 'json' && format !== 'ndjson') {
      throw new HttpError(400, 'STOWAGE_BAD_REQUEST', `format must be json or ndjson, not ${quoted(format)}`);
    }
    await streamList(provider, instance, gvk, req.method === 'HEAD', res, format);
    return;
  }
  allowOnly(req.method, [...READ_METHODS, 'DELETE']);
  const key = keyParts.join('/');
  if (req.method !== 'DELETE') {
    const object = await provider.getObject(instance, gvk, key);
    if (object === undefined) throw new HttpError(404, 'STOWAGE_NOT_FOUND', `no ${kind} ${key}`);
    sendJson(res, 200, object);
    return;
  }
  sendJson(res, 200, { deleted: await provider.deleteObject(instance, gvk, key) });
}

/**
 * Streams a listing so a large kind never becomes one giant string; the first object fixes the
 * status. A HEAD stops there: it has the status and headers, and no body to read the kind for.
 */
async function streamList(
  provider: PersistenceProvider,
  instance: string,
  gvk: GroupVersionKind,
  headOnly: boolean,
  res: ServerResponse,
  format: string | null,
): Promise<void> {
  const ndjson = format === 'ndjson';
  const iterator = provider.streamAllObjects(instance, gvk)[Symbol.asyncIterator]();
  try {
    let next = await iterator.next();
    res.writeHead(200, {
      'content-type': ndjson ? 'application/x-ndjson' : 'application/json; charset=utf-8',
    });
    if (headOnly) {
      res.end();
      return;
    }
    if (!ndjson) res.write('[');
    let first = true;
    while (!next.done) {
      const text = JSON.stringify(next.value);
      const ok = res.write(ndjson ? `${text}\n` : first ? text : `,${text}`);
      first = false;
      // A client that went away never drains: stop instead of waiting for ever.
      if (!ok && !(await drainedOrClosed(res))) return;
      next = await iterator.next();
    }
    res.end(ndjson ? '' : ']\n');
  } finally {
    // Ends the listing early too, so the instance's worker drops its cursor.
    await iterator.return?.();
  }
}

/** Resolves true once `res` can take more, false if its connection closed first. */
function drainedOrClosed(res: ServerResponse): Promise<boolean> {
  if (res.destroyed) return Promise.resolve(false);
  return new Promise((resolve) => {
    const drained = () => {
      res.off('close', closed);
      resolve(true);
    };
    const closed = () => {
      res.off('drain', drained);
      resolve(false);
    };
    res.once('drain', drained);
    res.once('close', closed);
  });
}
