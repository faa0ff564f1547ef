import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';

/** One scrape, rendered: for frameworks that want a body and a content type (fastify, koa, …). */
export interface RenderedMetrics {
  readonly contentType: string;
  readonly body: string;
}

export async function renderMetrics(registry: Registry): Promise<RenderedMetrics> {
  return { contentType: registry.contentType, body: await registry.metrics() };
}

/**
 * A `(req, res)` handler for node:http and express (whose req/res extend node's). Mount it at
 * `/metrics`; it answers GET and HEAD on whatever path it is mounted at, 405 otherwise.
 *
 * A failing collection answers 500 with a fixed message: Prometheus records the scrape as failed
 * (`up == 0`), and nothing from inside the process leaks into the response.
 */
export function metricsHandler(registry: Registry): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' });
      res.end('method not allowed\n');
      return;
    }
    renderMetrics(registry).then(
      ({ contentType, body }) => {
        res.writeHead(200, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
        res.end(req.method === 'HEAD' ? undefined : body);
      },
      () => {
        res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
        res.end('metrics collection failed\n');
      },
    );
  };
}
