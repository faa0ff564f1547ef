import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { MetricsServerError } from '../errors/index.js';
import { listenOn } from '../server/listen.js';
import { metricsHandler } from './handler.js';

export const DEFAULT_METRICS_PORT = 9477;

export interface MetricsServerOptions {
  readonly registry: Registry;
  /**
   * Address to bind. Loopback by default: metrics name stores and backends, so exposing them
   * beyond the host is an explicit choice.
   * @default '127.0.0.1'
   */
  readonly host?: string;
  /**
   * TCP port; 0 picks a free one (tests).
   * @default 9477
   */
  readonly port?: number;
  /** @default '/metrics' */
  readonly path?: string;
}

export interface MetricsServer {
  readonly host: string;
  readonly port: number;
  /** The full scrape URL, e.g. `http://127.0.0.1:9477/metrics`. */
  readonly url: string;
  close(): Promise<void>;
}

/**
 * A standalone HTTP server for hosts that do not run their own: it serves the registry at `path`
 * and 404s everything else. A host with its own server mounts metricsHandler() instead.
 */
export async function startMetricsServer(options: MetricsServerOptions): Promise<MetricsServer> {
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? DEFAULT_METRICS_PORT;
  const path = options.path ?? '/metrics';
  const handle = metricsHandler(options.registry);
  const server = createServer((req, res) => {
    const requestPath = (req.url ?? '/').split('?', 1)[0];
    if (requestPath === path) return handle(req, res);
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
    res.end(`not found; metrics are at ${path}\n`);
  });
  await listenOn(
    server,
    host,
    port,
    (message, details) => new MetricsServerError(`metrics server ${message}`, details),
  );
  const bound = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return {
    host,
    port: bound,
    url: `http://${urlHost}:${bound}${path}`,
    // Node's close() drops idle keep-alive connections, such as Prometheus's between scrapes, but
    // on Node 22 not one that has connected and sent no request yet, and close() waited on it for
    // ever; a scrape in progress has nothing worth finishing at shutdown, so every one is dropped.
    close: () => {
      const closed = new Promise<void>((resolve, reject) =>
        server.close((error) => (error ? reject(error) : resolve())),
      );
      server.closeAllConnections();
      return closed;
    },
  };
}
