import { checkGvk, type GroupVersionKind, gvkString } from '../contract/gvk.js';
import { checkObjectKey } from '../contract/object-key.js';
import type { RuntimeObject, SecretInfo } from '../contract/types.js';
import { fromWireError, RemoteServerError, type WireError } from '../errors/index.js';
import { parseJson } from '../objects/parse-json.js';
import { API_HEADER, API_VERSION } from '../server/api-header.js';
import type { InstanceReadiness } from '../server/readiness.js';
import { UsageError } from './output.js';
import type { CliTarget } from './target.js';

/**
 * One path segment. fetch resolves `.` and `..` segments before it sends a URL, percent-encoded
 * or not, so a key or name holding one would address another object, or another instance; they
 * are refused here, as the server refuses them.
 */
function segment(value: string): string {
  if (value === '' || value === '.' || value === '..') {
    throw new UsageError(`${JSON.stringify(value)} cannot be part of a request path`);
  }
  return encodeURIComponent(value);
}

/** How long a request waits for the server's answer to begin. */
const RESPONSE_TIMEOUT_MS = 30_000;

/** A CliTarget over a running `stowage serve`; API errors come back as their typed classes. */
export function remoteTarget(baseUrl: string, token?: string): CliTarget {
  const base = baseUrl.replace(/\/+$/, '');
  const auth: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  const instanceUrl = (instance: string) => `${base}/api/v1/instances/${segment(instance)}`;
  // Checked as the provider checks them, so a bad GVK or key fails as it does without --server.
  const objectsUrl = (instance: string, gvk: GroupVersionKind, key?: string) => {
    const checked = checkGvk(gvk);
    const path = `${instanceUrl(instance)}/objects/${segment(checked.group || 'core')}/${segment(checked.version)}/${segment(checked.kind)}`;
    return key === undefined
      ? path
      : `${path}/${checkObjectKey(checked, key).split('/').map(segment).join('/')}`;
  };
  const secretUrl = (instance: string, namespace?: string, name?: string) =>
    `${instanceUrl(instance)}/secrets${namespace === undefined ? '' : `/${segment(namespace)}`}${name === undefined ? '' : `/${segment(name)}`}`;

  /** The response, or undefined for a plain not-found; every other failure throws its typed error. */
  const call = async (
    url: string,
    init: RequestInit = {},
    /** Whether the answer must begin within RESPONSE_TIMEOUT_MS; false for work that takes long. */
    bounded = true,
  ): Promise<Response | undefined> => {
    let response: Response;
    // A server that accepts the connection and never answers must not hold the CLI for ever. The
    // limit is on the response's headers only: a long listing may stream for as long as it takes.
    const abort = new AbortController();
    const timer = bounded ? setTimeout(() => abort.abort(), RESPONSE_TIMEOUT_MS) : undefined;
    try {
      response = await fetch(url, {
        ...init,
        headers: { ...auth, ...(init.headers as Record<string, string>) },
        signal: abort.signal,
      });
    } catch (error) {
      if (abort.signal.aborted) {
        throw new RemoteServerError(`no answer from ${base} within ${RESPONSE_TIMEOUT_MS / 1000} s`, {
          url: base,
          cause: 'timeout',
        });
      }
      const cause = (error as Error).cause as { code?: string; message?: string } | undefined;
      if (cause?.message === 'bad port') {
        // fetch refuses the Fetch standard's "bad ports" before it connects, and says only that.
        throw new RemoteServerError(
          `cannot reach ${base}: fetch, which the CLI uses, refuses to connect to port ${new URL(base).port} (the Fetch standard's "bad ports", such as 6000, 6665-6669 and 10080); serve on another port`,
          { url: base, cause: 'bad-port' },
        );
      }
      throw new RemoteServerError(
        `cannot reach ${base}: ${String((error as Error).cause ?? (error as Error).message)}`,
        { url: base, cause: cause?.code ?? 'unknown' },
      );
    } finally {
      clearTimeout(timer);
    }
    if (response.headers.get(API_HEADER) !== API_VERSION) {
      // Drained, so the connection is not held open by a body nobody reads.
      await response.body?.cancel().catch(() => undefined);
      throw new RemoteServerError(
        `${url}: HTTP ${response.status} without the ${API_HEADER}: ${API_VERSION} header every answer of stowage's API carries; is ${base} a stowage server?`,
        { url, status: response.status },
      );
    }
    if (response.ok) return response;
    const body = (await response.json().catch(() => undefined)) as { error?: WireError } | undefined;
    if (response.status === 404 && body?.error?.code === 'STOWAGE_NOT_FOUND') return undefined;
    if (body?.error) throw fromWireError({ ...body.error, details: body.error.details ?? {} });
    throw new RemoteServerError(`${url}: HTTP ${response.status}`, { url, status: response.status });
  };
  /** A 2xx body as JSON; anything else (a web server's HTML page) is the server's fault, typed. */
  const bodyOf = async <T>(response: Response | undefined, url: string): Promise<T | undefined> => {
    if (response === undefined) return undefined;
    let text: string;
    try {
      text = await response.text();
    } catch (error) {
      throw cutOffAnswer(url, error);
    }
    try {
      return parseJson(text) as T;
    } catch {
      throw new RemoteServerError(
        `${url}: HTTP ${response.status} with a body that is not JSON; is ${base} a stowage server?`,
        { url, status: response.status },
      );
    }
  };
  const json = async <T>(url: string, init?: RequestInit): Promise<T | undefined> =>
    bodyOf<T>(await call(url, init), url);
  const required = async <T>(url: string, init?: RequestInit): Promise<T> => {
    const value = await json<T>(url, init);
    if (value === undefined) throw new RemoteServerError(`${url}: not found`, { url, status: 404 });
    return value;
  };
  /** A POST answered once its work is done, however long that takes: no deadline on the answer. */
  const postUnbounded = async <T>(url: string): Promise<T> =>
    (await bodyOf<T>(await call(url, { method: 'POST' }, false), url)) as T;

  return {
    instances: () => required<InstanceReadiness[]>(`${base}/api/v1/instances`),
    put: async (instance, object) =>
      (
        await required<{ key: string }>(`${instanceUrl(instance)}/objects`, {
          method: 'PUT',
          body: JSON.stringify(object),
          headers: { 'content-type': 'application/json' },
        })
      ).key,
    get: (instance, gvk, key) => json<RuntimeObject>(objectsUrl(instance, gvk, key)),
    delete: async (instance, gvk, key) =>
      (await required<{ deleted: boolean }>(objectsUrl(instance, gvk, key), { method: 'DELETE' })).deleted,
    async *list(instance, gvk) {
      const response = await call(`${objectsUrl(instance, gvk)}?format=ndjson`);
      if (!response?.body) return;
      let buffered = '';
      let listed = 0;
      const decoder = new TextDecoder();
      // The server writes whole lines and ends the body only after the last: a listing that stops
      // anywhere else was cut off, and must not pass for a complete one.
      const cutOff = (why: string) =>
        new RemoteServerError(
          `the listing of ${gvkString(gvk)} in ${instance} was cut off after ${listed} objects: ${why}`,
          { url: base, cause: 'cut-off' },
        );
      try {
        for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
          buffered += decoder.decode(chunk, { stream: true });
          const lines = buffered.split('\n');
          buffered = lines.pop() ?? '';
          for (const line of lines) {
            if (line === '') continue;
            let object: RuntimeObject;
            try {
              object = parseJson(line) as RuntimeObject;
            } catch {
              // A raw SyntaxError reached the user here, where a get's answer is typed (bodyOf).
              throw new RemoteServerError(
                `the listing of ${gvkString(gvk)} in ${instance} has a line that is not JSON after ${listed} objects; is ${base} a stowage server?`,
                { url: base, status: response.status },
              );
            }
            listed++;
            yield object;
          }
        }
      } catch (error) {
        // undici says only "terminated" when the connection drops mid-body.
        if (error instanceof TypeError)
          throw cutOff(String((error as { cause?: unknown }).cause ?? error.message));
        throw error;
      }
      if ((buffered + decoder.decode()).trim() !== '') throw cutOff('it ended inside an object');
    },
    kinds: (instance) => required<GroupVersionKind[]>(`${instanceUrl(instance)}/kinds`),
    // A start takes as long as its attempts and their backoff do.
    restart: (instance) => postUnbounded<{ status: boolean }>(`${instanceUrl(instance)}/restart`),
    secrets: {
      putSecret: (instance, namespace, name, value) =>
        required<SecretInfo>(secretUrl(instance, namespace, name), { method: 'PUT', body: value }),
      async getSecret(instance, namespace, name) {
        const url = secretUrl(instance, namespace, name);
        const response = await call(url);
        if (!response) return undefined;
        try {
          return new Uint8Array(await response.arrayBuffer());
        } catch (error) {
          throw cutOffAnswer(url, error);
        }
      },
      deleteSecret: async (instance, namespace, name) =>
        (await required<{ deleted: boolean }>(secretUrl(instance, namespace, name), { method: 'DELETE' }))
          .deleted,
      listSecrets: (instance, namespace) => required<SecretInfo[]>(secretUrl(instance, namespace)),
      // The server answers once every secret is re-encrypted, which takes as long as it takes.
      rotate: (instance) =>
        postUnbounded<{ rotated: number; unchanged: number }>(`${secretUrl(instance)}/_rotate`),
    },
    close: async () => {},
  };
}

/** An answer whose body stopped coming: undici says only "terminated" when the connection drops. */
function cutOffAnswer(url: string, error: unknown): RemoteServerError {
  const why = String((error as { cause?: unknown }).cause ?? (error as Error).message);
  return new RemoteServerError(`${url}: the answer was cut off: ${why}`, { url, cause: 'cut-off' });
}
