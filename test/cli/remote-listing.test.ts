import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { remoteTarget } from '../../src/cli/remote-target.js';
import { RemoteServerError } from '../../src/index.js';
import { API_HEADER, API_VERSION } from '../../src/server/api-header.js';

const CONFIG_MAP = { group: '', version: 'v1', kind: 'ConfigMap' };
const line = (name: string) =>
  `${JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'n' } })}\n`;

/** A stowage-like server that answers every listing with `body`, then ends it or drops the connection. */
async function serving(
  body: string,
  end: 'end' | 'drop',
): Promise<{ url: string; close: () => Promise<void> }> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/x-ndjson', [API_HEADER]: API_VERSION });
    res.write(body);
    if (end === 'end') res.end();
    else setTimeout(() => res.socket?.destroy(), 20);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

async function listAll(url: string): Promise<string[]> {
  const names: string[] = [];
  for await (const object of remoteTarget(url, undefined).list('i', CONFIG_MAP))
    names.push(object.metadata.name);
  return names;
}

test('a listing from a server that ends it inside an object, or drops the connection, fails saying it was cut off', async () => {
  const whole = await serving(line('a') + line('b'), 'end');
  try {
    assert.deepEqual(await listAll(whole.url), ['a', 'b']);
  } finally {
    await whole.close();
  }
  for (const [body, end, why] of [
    // Before, the half line was dropped and the listing passed for complete (dump exited 0).
    [`${line('a')}{"apiVersion":"v1","ki`, 'end', /cut off after 1 objects: it ended inside an object/],
    // Before, the CLI said only "terminated".
    [line('a'), 'drop', /cut off after 1 objects/],
  ] as const) {
    const server = await serving(body, end);
    try {
      await assert.rejects(listAll(server.url), why);
    } finally {
      await server.close();
    }
  }
});

test('a listing line that is not JSON is a typed error naming the server, not a raw SyntaxError', async () => {
  const server = await serving(`${line('a')}<html>\n`, 'end');
  try {
    await assert.rejects(listAll(server.url), (error: unknown) => {
      assert.ok(error instanceof RemoteServerError, String(error));
      assert.match(
        error.message,
        /has a line that is not JSON after 1 objects; is http:\/\/127\.0\.0\.1:\d+ a stowage server\?/,
      );
      return true;
    });
  } finally {
    await server.close();
  }
});

test('a get whose answer is cut off mid-body is a typed error that says so, not "not JSON"', async () => {
  const server = createServer((_req, res) => {
    res.writeHead(200, {
      'content-type': 'application/json',
      'content-length': 200,
      [API_HEADER]: API_VERSION,
    });
    res.write('{"apiVersion":"v1","kind":"Conf');
    setTimeout(() => res.socket?.destroy(), 20);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    await assert.rejects(
      remoteTarget(`http://127.0.0.1:${port}`, undefined).get('i', CONFIG_MAP, 'n/a'),
      (error: unknown) => {
        assert.ok(error instanceof RemoteServerError);
        assert.equal(error.details.cause, 'cut-off');
        assert.match(error.message, /the answer was cut off/);
        return true;
      },
    );
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});
