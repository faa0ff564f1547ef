import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  CorruptObjectError,
  gvk,
  MachineId,
  makeObjectKey,
  S3Backend,
  type S3BackendConfig,
  S3RequestError,
  S3ServerError,
  S3TimeoutError,
  S3UnreachableError,
} from '../../src/index.js';
import { RuntimeProvider } from '../../src/runtime/runtime-provider.js';
import { acquireRadosgw, type Radosgw, radosgwSkipReason } from '../helpers/radosgw.js';
import { type FaultProxy, startFaultProxy } from '../helpers/s3-proxy.js';
import { RecordingObserver } from './runtime-harness.js';

const CONFIG_MAP = gvk('', 'v1', 'ConfigMap');
const KEY = makeObjectKey('default', 'probe');
const BYTES = Buffer.from('{"apiVersion":"v1","kind":"ConfigMap"}');

const skip = radosgwSkipReason();
let radosgw: Radosgw;
let proxy: FaultProxy;
let bucket: string;

/** A backend that reaches radosgw through the fault proxy, opened while the proxy passes traffic. */
async function openThroughProxy(overrides: Partial<S3BackendConfig>): Promise<S3Backend> {
  proxy.setMode({ kind: 'pass' });
  const backend = new S3Backend(radosgw.config(bucket, { endpoint: proxy.endpoint, ...overrides }));
  await backend.open(MachineId.generate());
  proxy.resetCount();
  return backend;
}

describe('s3 faults injected by a loopback proxy', { skip }, () => {
  before(async () => {
    radosgw = await acquireRadosgw();
    bucket = await radosgw.createBucket();
    proxy = await startFaultProxy(radosgw.state.gateway.port);
  });
  after(async () => {
    await proxy?.close();
    await radosgw?.release();
  });

  test('a listing the server paginates wrongly is refused, never cut short or followed for ever', async () => {
    const backend = await openThroughProxy({});
    try {
      await backend.put(CONFIG_MAP, KEY, BYTES);
      const list = async () => {
        for await (const _ of backend.list(CONFIG_MAP)) {
          // drain
        }
      };
      const truncated = (xml: string) =>
        xml.replace(/<IsTruncated>false<\/IsTruncated>/, '<IsTruncated>true</IsTruncated>');
      const refused = (why: RegExp) => (error: unknown) => {
        assert.ok(error instanceof S3RequestError, String(error));
        assert.equal(error.details.awsCode, 'BadPagination');
        assert.match(error.message, why);
        return true;
      };
      // Truncated, but no token to continue from: the rest of the listing would be lost silently.
      proxy.setMode({
        kind: 'rewriteList',
        rewrite: (xml) => truncated(xml).replace(/<NextContinuationToken>[^<]*<\/NextContinuationToken>/, ''),
      });
      await assert.rejects(list(), refused(/no continuation token/));
      /** Every page truncated, continued by the token `next()` gives. */
      const continuedBy = (next: () => string) =>
        proxy.setMode({
          kind: 'rewriteList',
          rewrite: (xml) =>
            truncated(xml)
              .replace(/<NextContinuationToken>[^<]*<\/NextContinuationToken>/, '')
              .replace(
                '</ListBucketResult>',
                `<NextContinuationToken>${next()}</NextContinuationToken></ListBucketResult>`,
              ),
        });
      // The same token every time: the listing would never end.
      continuedBy(() => 'again');
      proxy.resetCount();
      await assert.rejects(list(), refused(/a continuation token it had sent before/));
      assert.ok(proxy.requests <= 4, `refused at the first repeat, not followed: ${proxy.requests} requests`);
      // Tokens that cycle, a, b, a: no two in a row are equal, yet the listing would never end.
      let page = 0;
      continuedBy(() => (page++ % 2 === 0 ? 'a' : 'b'));
      proxy.resetCount();
      await assert.rejects(list(), refused(/a continuation token it had sent before/));
      // Before, only a token equal to the one just before was refused: this listing went on for ever.
      assert.ok(proxy.requests < 10, `refused at the first repeat, not followed: ${proxy.requests} requests`);
      proxy.setMode({ kind: 'pass' });
      let listed = 0;
      for await (const _ of backend.list(CONFIG_MAP)) listed++;
      assert.equal(listed, 1);
    } finally {
      proxy.setMode({ kind: 'pass' });
      await backend.close();
    }
  });

  test('operationMs bounds a whole delete, both its requests, not each request alone', async () => {
    const backend = await openThroughProxy({
      maxAttempts: 1,
      timeouts: { connectMs: 1000, requestMs: 5000, operationMs: 450 },
    });
    try {
      await backend.put(CONFIG_MAP, KEY, BYTES);
      // Each request alone takes 300 ms, within 450; the HEAD and the DELETE together do not.
      proxy.setMode({ kind: 'delay', ms: 300 });
      proxy.resetCount();
      const started = performance.now();
      await assert.rejects(backend.delete(CONFIG_MAP, KEY), S3TimeoutError);
      const took = performance.now() - started;
      assert.ok(took < 1000, `gave up after ${Math.round(took)} ms, not after each request's own 450`);
      assert.equal(proxy.requests, 2, 'HEAD, then the DELETE the deadline cut short');
    } finally {
      proxy.setMode({ kind: 'pass' });
      await backend.close();
    }
  });

  test('a server that never answers trips the request timeout on every attempt, then STOWAGE_S3_TIMEOUT', async () => {
    const backend = await openThroughProxy({
      maxAttempts: 2,
      timeouts: { connectMs: 1000, requestMs: 300, operationMs: 20_000 },
    });
    try {
      proxy.setMode({ kind: 'hang' });
      const started = performance.now();
      await assert.rejects(backend.put(CONFIG_MAP, KEY, BYTES), (error: unknown) => {
        assert.ok(error instanceof S3TimeoutError, String(error));
        assert.equal(error.details.operation, 'put');
        return true;
      });
      // Bounded by the configured timeouts, far inside the 20 s operation deadline.
      assert.ok(performance.now() - started < 20_000);
      assert.equal(proxy.requests, 2, 'one request per attempt, maxAttempts = 2');
    } finally {
      await backend.close();
    }
  });

  test('a slow server: a delay under the request timeout is only slow, one over it times out', async () => {
    const backend = await openThroughProxy({
      maxAttempts: 1,
      timeouts: { connectMs: 1000, requestMs: 400, operationMs: 20_000 },
    });
    try {
      proxy.setMode({ kind: 'delay', ms: 50 });
      await backend.put(CONFIG_MAP, KEY, BYTES);
      proxy.setMode({ kind: 'delay', ms: 5000 });
      await assert.rejects(backend.get(CONFIG_MAP, KEY), S3TimeoutError);
      assert.equal(proxy.requests, 2);
    } finally {
      await backend.close();
    }
  });

  test('the operation deadline bounds an operation even when the request timeout is longer', async () => {
    const backend = await openThroughProxy({
      maxAttempts: 3,
      timeouts: { connectMs: 1000, requestMs: 60_000, operationMs: 400 },
    });
    try {
      proxy.setMode({ kind: 'hang' });
      const started = performance.now();
      await assert.rejects(backend.get(CONFIG_MAP, KEY), S3TimeoutError);
      assert.ok(performance.now() - started < 60_000, 'the 60 s request timeout did not decide it');
      assert.equal(proxy.requests, 1, 'the deadline fired during the first attempt');
    } finally {
      await backend.close();
    }
  });

  test('5xx answers are retried up to maxAttempts, then reported as STOWAGE_S3_SERVER_ERROR', async () => {
    const backend = await openThroughProxy({ maxAttempts: 3 });
    try {
      proxy.setMode({ kind: 'status', status: 503 });
      await assert.rejects(backend.put(CONFIG_MAP, KEY, BYTES), (error: unknown) => {
        assert.ok(error instanceof S3ServerError, String(error));
        assert.equal(error.details.status, 503);
        assert.equal(error.details.attempts, 3);
        return true;
      });
      assert.equal(proxy.requests, 3, 'the proxy saw every attempt');
      proxy.resetCount();
      proxy.setMode({ kind: 'status', status: 500 });
      await assert.rejects(backend.probe(), S3ServerError);
      assert.equal(proxy.requests, 3);
    } finally {
      await backend.close();
    }
  });

  test('a GET whose body breaks off mid-way is sent again, in a listing too; cut on every attempt it is STOWAGE_S3_UNREACHABLE saying so, never a short object', async () => {
    const backend = await openThroughProxy({ maxAttempts: 3 });
    try {
      const body = Buffer.from(JSON.stringify({ pad: 'x'.repeat(4000) }));
      await backend.put(CONFIG_MAP, KEY, body);
      // Before, the first cut failed the get ("endpoint unreachable", attempts 1) and the listing.
      proxy.resetCount();
      proxy.setMode({ kind: 'cutBodyFirst', count: 1, afterBytes: 100 });
      assert.deepEqual(Buffer.from((await backend.get(CONFIG_MAP, KEY))!), body);
      assert.equal(proxy.requests, 2, 'the cut answer, then the whole one');
      proxy.setMode({ kind: 'cutBodyFirst', count: 1, afterBytes: 100 });
      const listed: Buffer[] = [];
      for await (const record of backend.list(CONFIG_MAP)) listed.push(Buffer.from(record.bytes));
      assert.deepEqual(listed, [body]);
      proxy.resetCount();
      proxy.setMode({ kind: 'cutBodyFirst', count: 3, afterBytes: 100 });
      await assert.rejects(backend.get(CONFIG_MAP, KEY), (error: unknown) => {
        assert.ok(error instanceof S3UnreachableError, String(error));
        assert.match(
          error.message,
          /connection broke while the response body was read .*on each of 3 read\(s\), 3 request\(s\) in all/,
        );
        assert.equal(error.details.attempts, 3);
        return true;
      });
      assert.equal(proxy.requests, 3);
    } finally {
      await backend.close();
    }
  });

  test("a GET's body is read up to maxAttempts times, each read with the SDK's own retries; details.attempts counts every request", async () => {
    const backend = await openThroughProxy({ maxAttempts: 3 });
    try {
      const body = Buffer.from(JSON.stringify({ pad: 'x'.repeat(4000) }));
      await backend.put(CONFIG_MAP, KEY, body);
      // Two 503s the SDK retries, then a body cut: the next read gets it whole.
      proxy.resetCount();
      proxy.setMode({ kind: 'getScript', steps: ['fail', 'fail', 'cut'] });
      assert.deepEqual(Buffer.from((await backend.get(CONFIG_MAP, KEY))!), body);
      assert.equal(proxy.requests, 4);
      // So on every read: 3 reads of 3 requests. The error said 3 attempts for the 9 requests.
      proxy.resetCount();
      proxy.setMode({ kind: 'getScript', steps: Array(3).fill(['fail', 'fail', 'cut']).flat() });
      await assert.rejects(backend.get(CONFIG_MAP, KEY), (error: unknown) => {
        assert.ok(error instanceof S3UnreachableError, String(error));
        assert.match(error.message, /on each of 3 read\(s\), 9 request\(s\) in all/);
        assert.equal(error.details.attempts, 9);
        return true;
      });
      assert.equal(proxy.requests, 9);
    } finally {
      await backend.close();
    }
  });

  test('a GET whose body stalls after its headers is sent again once the request timeout trips', async () => {
    const backend = await openThroughProxy({
      maxAttempts: 3,
      timeouts: { requestMs: 500, operationMs: 8000 },
    });
    try {
      const body = Buffer.from(JSON.stringify({ pad: 'y'.repeat(4000) }));
      await backend.put(CONFIG_MAP, KEY, body);
      // Before, one stall was STOWAGE_S3_TIMEOUT after one attempt.
      proxy.resetCount();
      proxy.setMode({ kind: 'cutBodyFirst', count: 1, afterBytes: 100, stall: true });
      assert.deepEqual(Buffer.from((await backend.get(CONFIG_MAP, KEY))!), body);
      assert.equal(proxy.requests, 2);
    } finally {
      await backend.close();
    }
    // Stalled every time, the operation's deadline ends it: a timeout that counts the reads made.
    const hurried = await openThroughProxy({
      maxAttempts: 3,
      timeouts: { requestMs: 500, operationMs: 800 },
    });
    try {
      proxy.setMode({ kind: 'cutBodyFirst', count: 3, afterBytes: 100, stall: true });
      await assert.rejects(hurried.get(CONFIG_MAP, KEY), (error: unknown) => {
        assert.ok(error instanceof S3TimeoutError, String(error));
        // It said 1 attempt, with 2 GETs sent.
        assert.equal(error.details.attempts, proxy.requests);
        assert.match(error.message, new RegExp(`timed out after ${proxy.requests} attempt`));
        return true;
      });
      assert.equal(proxy.requests, 2);
    } finally {
      await hurried.close();
    }
  });

  test('a GET whose body changed on the way is read again; bytes that never match the checksum stowage stored are STOWAGE_CORRUPT_OBJECT; an object stored without one reads as before', async () => {
    const backend = await openThroughProxy({ maxAttempts: 3 });
    const { accessKeyId, secretAccessKey } = radosgw.state;
    const admin = new S3Client({
      endpoint: radosgw.endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId, secretAccessKey },
    });
    try {
      const body = Buffer.from(JSON.stringify({ pad: 'z'.repeat(4000) }));
      await backend.put(CONFIG_MAP, KEY, body);
      // Before, the changed byte came back as the object: radosgw sends no checksum to check.
      proxy.resetCount();
      proxy.setMode({ kind: 'corruptBodyFirst', count: 1 });
      assert.deepEqual(Buffer.from((await backend.get(CONFIG_MAP, KEY))!), body);
      assert.equal(proxy.requests, 2, 'the changed answer, then the right one');
      proxy.setMode({ kind: 'pass' });
      const path = `core/v1/ConfigMap/${KEY}.json`;
      // Stored wrong: every read disagrees with the checksum stored beside it.
      await admin.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: path,
          Body: body,
          Metadata: { 'stowage-crc32': '00000000' },
        }),
      );
      await assert.rejects(backend.get(CONFIG_MAP, KEY), (error: unknown) => {
        assert.ok(error instanceof CorruptObjectError, String(error));
        assert.match(error.message, /read back with CRC-32 [0-9a-f]{8}, not the 00000000 stored with it/);
        return true;
      });
      // Another tool's object, or one stowage stored before it stored checksums: nothing to check.
      await admin.send(new PutObjectCommand({ Bucket: bucket, Key: path, Body: body }));
      assert.deepEqual(Buffer.from((await backend.get(CONFIG_MAP, KEY))!), body);
    } finally {
      admin.destroy();
      await backend.close();
    }
  });

  test('a transient 5xx is retried transparently and the write lands', async () => {
    const backend = await openThroughProxy({ maxAttempts: 3 });
    try {
      proxy.setMode({ kind: 'failFirst', count: 2, status: 500 });
      await backend.put(CONFIG_MAP, KEY, BYTES);
      assert.equal(proxy.requests, 3, 'two injected failures, then the real request');
      proxy.setMode({ kind: 'pass' });
      assert.deepEqual(Buffer.from((await backend.get(CONFIG_MAP, KEY))!), BYTES);
    } finally {
      await backend.close();
    }
  });
  test('requests beyond maxSockets wait for a socket without their connect timeout running: slow, not failed', async () => {
    const backend = await openThroughProxy({
      maxSockets: 2,
      maxAttempts: 1,
      timeouts: { connectMs: 300, requestMs: 5000, operationMs: 8000 },
    });
    try {
      await backend.put(CONFIG_MAP, KEY, BYTES);
      proxy.setMode({ kind: 'delay', ms: 400 });
      // 8 gets on 2 sockets: the last wait about 1.2 s for one, four times connectMs.
      const outcomes = await Promise.allSettled(
        Array.from({ length: 8 }, () => backend.get(CONFIG_MAP, KEY)),
      );
      // Before, the SDK's connect timer ran from each request's creation: the waiting ones failed
      // as STOWAGE_S3_TIMEOUT without ever being sent.
      assert.deepEqual(
        outcomes.map((o) => (o.status === 'fulfilled' ? 'ok' : String(o.reason))),
        Array.from({ length: 8 }, () => 'ok'),
      );
    } finally {
      proxy.setMode({ kind: 'pass' });
      await backend.close();
    }
  });

  test('the probe has a socket of its own: it answers for the server, not behind the queue of operations', async () => {
    const backend = await openThroughProxy({ maxSockets: 2, timeouts: { operationMs: 20_000 } });
    try {
      await backend.put(CONFIG_MAP, KEY, BYTES);
      proxy.setMode({ kind: 'delay', ms: 300 });
      let settled = 0;
      const gets = Array.from({ length: 12 }, () => backend.get(CONFIG_MAP, KEY).finally(() => settled++));
      // Time for the gets to pass the SDK's middleware and queue for the sockets.
      await sleep(100);
      await backend.probe();
      // 12 gets on 2 sockets take 6 rounds; the probe takes one. Before, it queued behind them all.
      assert.ok(settled <= 4, `${settled} of 12 gets had finished when the probe did`);
      await Promise.all(gets);
    } finally {
      proxy.setMode({ kind: 'pass' });
      await backend.close();
    }
  });

  test('a listing page or calls on one key taking longer than hangTimeoutMs are slow, not hung: no restart, every call answers', async () => {
    proxy.setMode({ kind: 'pass' });
    const config = radosgw.config(bucket, {
      endpoint: proxy.endpoint,
      prefix: 'slow-runtime',
      maxAttempts: 1,
      listConcurrency: 2,
    });
    const observer = new RecordingObserver();
    const provider = new RuntimeProvider([{ kind: 's3', ...config }], {
      // Each request takes 150 ms below: a page of 12 objects two at a time, or three puts on one
      // key in a batch, outlasts the hang timeout; each operation alone does not.
      supervisor: { hangTimeoutMs: 400, probeIntervalMs: 50, probeTimeoutMs: 1000 },
      observer,
    });
    const configMap = (name: string, v = '1') => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name, namespace: 'default' },
      data: { v },
    });
    try {
      await provider.initialize(MachineId.generate());
      const [instance] = provider.instances() as [string];
      for (let i = 0; i < 12; i++) await provider.putObject(instance, configMap(`o${i}`));
      proxy.setMode({ kind: 'delay', ms: 150 });
      const listed = await provider.getAllObjects(instance, CONFIG_MAP);
      assert.equal(listed.length, 12);
      const puts = [1, 2, 3].map((v) => provider.putObject(instance, configMap('same', String(v))));
      await Promise.all(puts);
      // Before, the supervisor judged S3 tasks by their age and killed the worker as hung: the
      // listing and the puts failed with STOWAGE_ACTOR_DIED.
      assert.deepEqual(observer.restarts, []);
      assert.equal(provider.instanceStatus(instance).status, true);
    } finally {
      proxy.setMode({ kind: 'pass' });
      await provider.close();
    }
  });
});
