import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { gvk, MachineId, makeObjectKey, S3Backend, S3RequestError } from '../../src/index.js';
import { acquireRadosgw, type Radosgw, radosgwSkipReason } from '../helpers/radosgw.js';
import { type FaultProxy, startFaultProxy } from '../helpers/s3-proxy.js';

const CONFIG_MAP = gvk('', 'v1', 'ConfigMap');

test('an endpoint that answers 200 to everything but stores nothing (a web server at a mistyped address) fails the open, where it acknowledged every put', async () => {
  const server = createServer((req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(req.method === 'HEAD' ? undefined : '<html>It works!</html>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const backend = new S3Backend({
      endpoint,
      bucket: 'control-plane',
      forcePathStyle: true,
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
      checksumMode: 'when_required',
      maxAttempts: 1,
    });
    await assert.rejects(backend.open(MachineId.generate()), (error: unknown) => {
      assert.ok(error instanceof S3RequestError, String(error));
      assert.equal(error.details.awsCode, 'MarkerNotStored');
      assert.match(
        error.message,
        /read back with other bytes, so http:\/\/127\.0\.0\.1:\d+ acknowledges writes it does not store/,
      );
      return true;
    });
    await backend.close();
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

describe('an S3 answer that is no listing', { skip: radosgwSkipReason() }, () => {
  let radosgw: Radosgw;
  let proxy: FaultProxy;
  before(async () => {
    radosgw = await acquireRadosgw();
    proxy = await startFaultProxy(radosgw.state.gateway.port);
  });
  after(async () => {
    await proxy?.close();
    await radosgw?.release();
  });

  test('a listing answered 200 without a ListBucketResult fails as NotAListing, where it read as a kind with no objects', async () => {
    const backend = new S3Backend(radosgw.config(await radosgw.createBucket(), { endpoint: proxy.endpoint }));
    await backend.open(MachineId.generate());
    try {
      await backend.put(CONFIG_MAP, makeObjectKey('default', 'a'), Buffer.from('{"v":1}'));
      proxy.setMode({ kind: 'rewriteList', rewrite: () => '' });
      await assert.rejects(
        (async () => {
          for await (const _ of backend.list(CONFIG_MAP));
        })(),
        (error: unknown) => {
          assert.ok(error instanceof S3RequestError, String(error));
          assert.equal(error.details.awsCode, 'NotAListing');
          return true;
        },
      );
      proxy.setMode({ kind: 'pass' });
      const listed = [];
      for await (const record of backend.list(CONFIG_MAP)) listed.push(record.key);
      assert.deepEqual(listed, ['default/a']);
    } finally {
      await backend.close();
    }
  });
});
