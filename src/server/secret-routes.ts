import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SecretPersistenceProvider } from '../contract/types.js';
import { readBody } from './body.js';
import { allowOnly, HttpError, READ_METHODS, sendJson } from './http-errors.js';

/**
 * `/api/v1/instances/{instance}/secrets[/{namespace}[/{name}]]`:
 *   GET on the collection or a namespace lists metadata (never values);
 *   PUT on a name stores the raw request body as the value; GET returns it as octet-stream;
 *   DELETE removes it; POST `/secrets/_rotate` re-encrypts everything under the primary key.
 *   HEAD is taken wherever GET is.
 */
export async function handleSecrets(
  secrets: SecretPersistenceProvider | undefined,
  instance: string,
  rest: readonly string[],
  req: IncomingMessage,
  res: ServerResponse,
  maxBodyBytes: number,
): Promise<void> {
  if (!secrets)
    throw new HttpError(
      404,
      'STOWAGE_SECRETS_DISABLED',
      'no keyring is configured (secrets.keyringFile or secrets.keyringEnv)',
    );
  const [namespace, name, extra] = rest;
  if (extra !== undefined)
    throw new HttpError(404, 'STOWAGE_NO_ROUTE', 'expected /secrets/{namespace}/{name}');
  if (namespace === '_rotate' && name === undefined) {
    // `_rotate` is no namespace (a DNS label has no underscore): only the rotation lives here.
    allowOnly(req.method, ['POST']);
    return sendJson(res, 200, await secrets.rotate(instance));
  }
  if (name === undefined) {
    allowOnly(req.method, READ_METHODS);
    return sendJson(res, 200, await secrets.listSecrets(instance, namespace));
  }
  if (namespace === undefined)
    throw new HttpError(404, 'STOWAGE_NO_ROUTE', 'expected /secrets/{namespace}/{name}');
  allowOnly(req.method, ['PUT', ...READ_METHODS, 'DELETE']);
  switch (req.method) {
    case 'PUT': {
      const value = await readBody(req, maxBodyBytes);
      try {
        return sendJson(res, 200, await secrets.putSecret(instance, namespace, name, value));
      } finally {
        // The provider wipes its own copy; this one is the server's.
        value.fill(0);
      }
    }
    case 'GET':
    case 'HEAD': {
      const value = await secrets.getSecret(instance, namespace, name);
      if (value === undefined)
        throw new HttpError(404, 'STOWAGE_NOT_FOUND', `no secret ${namespace}/${name}`);
      res.writeHead(200, {
        'content-type': 'application/octet-stream',
        'content-length': value.length,
        'cache-control': 'no-store',
      });
      res.end(value);
      return;
    }
    default:
      return sendJson(res, 200, { deleted: await secrets.deleteSecret(instance, namespace, name) });
  }
}
