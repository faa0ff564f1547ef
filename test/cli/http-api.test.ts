import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { test } from 'node:test';
import { maxBodyBytesFor } from '../../src/cli/commands/serve.js';
import {
  LocalProvider,
  MachineId,
  MemoryBackend,
  QueueTimeoutError,
  S3AccessDeniedError,
  S3BadCredentialsError,
  S3NoSuchBucketError,
  S3RequestError,
  S3TimeoutError,
} from '../../src/index.js';
import { EncryptedSecretProvider } from '../../src/secrets/secret-provider.js';
import { startServer } from '../../src/server/http-server.js';
import { keyringOf, testKey } from '../secrets/keys.js';

/** A server over one memory instance; `body` gets its URL and the instance's objects route. */
async function withServer(body: (url: string, objects: string) => Promise<void>): Promise<void> {
  const provider = new LocalProvider([{ name: 'memory-test', backend: new MemoryBackend() }]);
  await provider.initialize(MachineId.generate());
  const server = await startServer({ provider, port: 0 });
  try {
    await body(server.url, `${server.url}/api/v1/instances/default/objects`);
  } finally {
    await server.close();
    await provider.close();
  }
}

/** The secret routes are served only with a token. */
const TOKEN = 'a-token-of-16-characters-or-more';
const BEARER = { authorization: `Bearer ${TOKEN}` };

const errorCode = async (response: Response) =>
  ((await response.json()) as { error: { code: string } }).error.code;

test('a path with an empty segment is no route: a DELETE whose name was left empty cannot reach the cluster-scoped object of that namespace', async () => {
  await withServer(async (_url, objects) => {
    const put = await fetch(objects, {
      method: 'PUT',
      body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'prod' } }),
    });
    assert.equal(put.status, 201);
    const deleted = await fetch(`${objects}/core/v1/ConfigMap/prod/`, { method: 'DELETE' });
    assert.equal(deleted.status, 404);
    assert.equal(await errorCode(deleted), 'STOWAGE_NO_ROUTE');
    assert.equal((await fetch(`${objects}/core/v1/ConfigMap//prod`)).status, 404);
    assert.equal((await fetch(`${objects}/core/v1/ConfigMap/prod`)).status, 200, 'still there');
  });
});

test('a malformed percent-encoding is a 400 STOWAGE_BAD_PATH, a key of three segments a 400 STOWAGE_INVALID_KEY, an unknown instance a 404', async () => {
  await withServer(async (url, objects) => {
    const bad = await fetch(`${objects}/core/v1/ConfigMap/default/%E0%A4%A`);
    assert.equal(bad.status, 400);
    assert.equal(await errorCode(bad), 'STOWAGE_BAD_PATH');
    for (const method of ['GET', 'DELETE']) {
      const deep = await fetch(`${objects}/core/v1/ConfigMap/a/b/c`, { method });
      assert.equal(deep.status, 400, method);
      assert.equal(await errorCode(deep), 'STOWAGE_INVALID_KEY');
    }
    const unknown = await fetch(`${url}/api/v1/instances/nope`);
    assert.equal(unknown.status, 404);
    assert.equal(await errorCode(unknown), 'STOWAGE_UNKNOWN_INSTANCE');
    assert.equal((await fetch(`${url}/api/v1/instances/default`)).status, 200);
  });
});

test('close() is not held by a client that stopped reading a listing: past its deadline the connection is cut', {
  timeout: 30_000,
}, async () => {
  const provider = new LocalProvider([{ name: 'memory-test', backend: new MemoryBackend() }]);
  await provider.initialize(MachineId.generate());
  const server = await startServer({ provider, port: 0 });
  try {
    const data = { v: 'x'.repeat(8000) };
    for (let i = 0; i < 3000; i += 100) {
      await Promise.all(
        Array.from({ length: 100 }, (_, j) =>
          provider.putObject('memory-test', {
            apiVersion: 'v1',
            kind: 'ConfigMap',
            metadata: { name: `o${i + j}`, namespace: 'd' },
            data,
          }),
        ),
      );
    }
    const { port } = new URL(server.url);
    const socket = connect(Number(port), '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    // Asks for 24 MB and never reads it: the server's writes back up.
    socket.pause();
    socket.write(
      'GET /api/v1/instances/default/objects/core/v1/ConfigMap HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n',
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    const started = performance.now();
    await server.close(500);
    const took = performance.now() - started;
    assert.ok(took < 5000, `close took ${Math.round(took)} ms`);
    socket.destroy();
  } finally {
    await provider.close();
  }
});

test('the body limit makes room for limits.maxObjectBytes sent as JSON, and never falls below 8 MiB', () => {
  assert.equal(maxBodyBytesFor(undefined), 8 * 1024 * 1024);
  assert.equal(maxBodyBytesFor(1024 * 1024), 8 * 1024 * 1024);
  assert.equal(maxBodyBytesFor(32 * 1024 * 1024), 64 * 1024 * 1024);
});

test('S3 failures answer 502, or 504 for a timeout, never 500; a mailbox wait that timed out is 429', async () => {
  const failures = [
    [new QueueTimeoutError('x'), 429],
    [new S3NoSuchBucketError('x'), 502],
    [new S3AccessDeniedError('x'), 502],
    [new S3BadCredentialsError('x'), 502],
    [new S3RequestError('x'), 502],
    [new S3TimeoutError('x'), 504],
  ] as const;
  for (const [error, status] of failures) {
    /** A memory backend whose get fails as the S3 backend would. */
    class Failing extends MemoryBackend {
      override async get(): Promise<Uint8Array | undefined> {
        throw error;
      }
    }
    const provider = new LocalProvider([{ name: 'memory-test', backend: new Failing() }]);
    await provider.initialize(MachineId.generate());
    const server = await startServer({ provider, port: 0 });
    try {
      const response = await fetch(`${server.url}/api/v1/instances/default/objects/core/v1/ConfigMap/d/a`);
      assert.equal(response.status, status, error.code);
      assert.equal(response.headers.get('retry-after'), status === 429 ? '1' : null);
      assert.equal(await errorCode(response), error.code);
    } finally {
      await server.close();
      await provider.close();
    }
  }
});

test('secrets/_rotate takes only POST: another method is 405, not an invalid secret', async () => {
  const provider = new LocalProvider([{ name: 'memory-test', backend: new MemoryBackend() }]);
  await provider.initialize(MachineId.generate());
  const secrets = new EncryptedSecretProvider(provider, keyringOf(testKey('key1')));
  const server = await startServer({ provider, secrets, port: 0, token: TOKEN });
  try {
    const rotate = `${server.url}/api/v1/instances/default/secrets/_rotate`;
    const got = await fetch(rotate, { headers: BEARER });
    assert.equal(got.status, 405);
    assert.equal(await errorCode(got), 'STOWAGE_METHOD_NOT_ALLOWED');
    const posted = await fetch(rotate, { method: 'POST', headers: BEARER });
    assert.equal(posted.status, 200);
    assert.deepEqual(await posted.json(), { rotated: 0, unchanged: 0 });
  } finally {
    await server.close();
    await provider.close();
  }
});

test('with a keyring but no token, the secret routes answer 403 and hand out nothing; the object routes still serve', async () => {
  const provider = new LocalProvider([{ name: 'memory-test', backend: new MemoryBackend() }]);
  await provider.initialize(MachineId.generate());
  const secrets = new EncryptedSecretProvider(provider, keyringOf(testKey('key1')));
  await secrets.putSecret('memory-test', 'prod', 'db', Buffer.from('hunter2'));
  const server = await startServer({ provider, secrets, port: 0 });
  try {
    const base = `${server.url}/api/v1/instances/default`;
    for (const [url, method] of [
      [`${base}/secrets/prod/db`, 'GET'],
      [`${base}/secrets`, 'GET'],
      [`${base}/secrets/prod/db`, 'PUT'],
      [`${base}/secrets/prod/db`, 'DELETE'],
      [`${base}/secrets/_rotate`, 'POST'],
    ] as const) {
      const response = await fetch(url, { method, ...(method === 'PUT' ? { body: 'changed' } : {}) });
      assert.equal(response.status, 403, `${method} ${url}`);
      assert.equal(await errorCode(response), 'STOWAGE_SECRETS_NEED_TOKEN');
    }
    assert.equal((await secrets.getSecret('memory-test', 'prod', 'db'))?.toString(), 'hunter2');
    assert.equal((await fetch(`${base}/kinds`)).status, 200);
  } finally {
    await server.close();
    await provider.close();
  }
});

test('a listing names its format: json (the default) or ndjson; a misspelled one is a 400, not a JSON array', async () => {
  await withServer(async (_url, objects) => {
    const put = await fetch(objects, {
      method: 'PUT',
      body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', namespace: 'x' } }),
    });
    assert.equal(put.status, 201);
    const lines = await fetch(`${objects}/core/v1/ConfigMap?format=ndjson`);
    assert.equal((await lines.text()).trim().split('\n').length, 1);
    const array = await fetch(`${objects}/core/v1/ConfigMap?format=json`);
    assert.equal(((await array.json()) as unknown[]).length, 1);
    const typo = await fetch(`${objects}/core/v1/ConfigMap?format=ndjs0n`);
    assert.equal(typo.status, 400);
    assert.equal(await errorCode(typo), 'STOWAGE_BAD_REQUEST');
    // Before, the first was used and the second, misspelled, went unread.
    const twice = await fetch(`${objects}/core/v1/ConfigMap?format=ndjson&format=bogus`);
    assert.equal(twice.status, 400);
    assert.equal(await errorCode(twice), 'STOWAGE_BAD_REQUEST');
  });
});
