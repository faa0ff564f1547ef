import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, request } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { after, describe, test } from 'node:test';
import { Gauge, Registry } from 'prom-client';
import { MetricsServerError } from '../../src/errors/index.js';
import { metricsHandler } from '../../src/metrics/handler.js';
import { startMetricsServer } from '../../src/metrics/server.js';
import { metricsWithFakeRuntime } from './catalog.js';

interface Reply {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

function send(url: string, method = 'GET'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('startMetricsServer', async () => {
  const metrics = metricsWithFakeRuntime();
  const server = await startMetricsServer({ registry: metrics.registry, port: 0 });
  after(() => server.close());

  test('binds loopback by default and reports its URL', () => {
    assert.equal(server.host, '127.0.0.1');
    assert.ok(server.port > 0);
    assert.equal(server.url, `http://127.0.0.1:${server.port}/metrics`);
  });

  test('serves the registry at /metrics in the Prometheus text format', async () => {
    const reply = await send(server.url);
    assert.equal(reply.status, 200);
    assert.equal(reply.headers['content-type'], metrics.registry.contentType);
    assert.match(reply.body, /^stowage_instance_up\{backend="file",store="file-3fa2c1d0e9ab"\} 1$/m);
    assert.equal(Number(reply.headers['content-length']), Buffer.byteLength(reply.body));
  });

  test('answers HEAD without a body, refuses other methods, 404s other paths', async () => {
    const head = await send(server.url, 'HEAD');
    assert.equal(head.status, 200);
    assert.equal(head.body, '');
    const post = await send(server.url, 'POST');
    assert.equal(post.status, 405);
    assert.equal(post.headers.allow, 'GET, HEAD');
    const other = await send(`http://127.0.0.1:${server.port}/`);
    assert.equal(other.status, 404);
    const query = await send(`${server.url}?name[]=x`);
    assert.equal(query.status, 200);
  });

  test('a port in use is a typed MetricsServerError naming host, port and cause', async () => {
    await assert.rejects(startMetricsServer({ registry: metrics.registry, port: server.port }), (error) => {
      assert.ok(error instanceof MetricsServerError);
      assert.equal(error.code, 'STOWAGE_METRICS_SERVER');
      assert.deepEqual(error.details, { host: '127.0.0.1', port: server.port, cause: 'EADDRINUSE' });
      return true;
    });
  });

  test('an invalid port is a typed MetricsServerError too', async () => {
    await assert.rejects(
      startMetricsServer({ registry: metrics.registry, port: 70_000 }),
      MetricsServerError,
    );
  });

  test('close() returns at once even while a client is mid-request', async () => {
    const own = await startMetricsServer({ registry: metrics.registry, port: 0 });
    // Headers never finished: plain server.close() would wait for this connection to time out.
    const client = connect(own.port, '127.0.0.1');
    await once(client, 'connect');
    client.write('GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    // The server tearing the connection down shows as ECONNRESET or a plain close, by timing.
    client.on('error', () => {});
    const closed = new Promise((resolve) => client.once('close', resolve));
    await own.close();
    await closed;
    await assert.rejects(send(own.url), /ECONNREFUSED/);
  });
});

describe('metricsHandler mounted in a host node:http server', () => {
  test('serves the registry, and a failing collection is a 500 that leaks nothing', async () => {
    const registry = new Registry();
    let fail = false;
    new Gauge({
      name: 'host_probe',
      help: 'a host metric whose collection can fail',
      registers: [registry],
      collect() {
        if (fail) throw new Error('secret-token-123 exploded');
        this.set(1);
      },
    });
    const merged = Registry.merge([registry, metricsWithFakeRuntime().registry]);
    const handle = metricsHandler(merged);
    const host = createServer((req, res) => {
      if (req.url === '/metrics') return handle(req, res);
      res.writeHead(200).end('host page');
    });
    await new Promise<void>((resolve) => host.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(host.address() as AddressInfo).port}/metrics`;
    try {
      const ok = await send(url);
      assert.equal(ok.status, 200);
      assert.match(ok.body, /^host_probe 1$/m);
      assert.match(ok.body, /^stowage_pool_workers 2$/m);
      fail = true;
      const failed = await send(url);
      assert.equal(failed.status, 500);
      assert.equal(failed.body, 'metrics collection failed\n');
    } finally {
      host.closeAllConnections();
      await new Promise((resolve) => host.close(resolve));
    }
  });
});
