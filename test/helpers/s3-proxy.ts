import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A loopback HTTP proxy in front of radosgw that injects faults. Each request is counted, then
 * handled by the current mode:
 * - `pass`: forwarded unchanged (the Host header too, so SigV4 signatures still verify);
 * - `hang`: never answered, until the proxy closes (trips request timeouts);
 * - `delay`: forwarded after `ms` milliseconds (a slow server);
 * - `status`: answered at once with that HTTP status and an S3 error body, never forwarded;
 * - `failFirst`: the next `count` requests get `status`, later ones pass;
 * - `rewriteList`: forwarded, and the body of a ListObjectsV2 answer rewritten by `rewrite` (a
 *   server that paginates wrongly).
 */
export type ProxyMode =
  | { readonly kind: 'pass' }
  | { readonly kind: 'hang' }
  | { readonly kind: 'delay'; readonly ms: number }
  | { readonly kind: 'status'; readonly status: number }
  | { readonly kind: 'failFirst'; readonly count: number; readonly status: number }
  | { readonly kind: 'rewriteList'; readonly rewrite: (xml: string) => string };

export interface FaultProxy {
  readonly endpoint: string;
  /** Requests received since the last reset. */
  readonly requests: number;
  setMode(mode: ProxyMode): void;
  resetCount(): void;
  close(): Promise<void>;
}

export async function startFaultProxy(upstreamPort: number): Promise<FaultProxy> {
  let mode: ProxyMode = { kind: 'pass' };
  let requests = 0;
  let failed = 0;
  const hanging = new Set<ServerResponse>();

  const forward = (req: IncomingMessage, res: ServerResponse, rewrite?: (xml: string) => string) => {
    const upstream = request(
      { host: '127.0.0.1', port: upstreamPort, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        if (!rewrite) {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
          return;
        }
        const chunks: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => chunks.push(chunk));
        answer.on('end', () => {
          const body = Buffer.from(rewrite(Buffer.concat(chunks).toString('utf8')));
          const { 'transfer-encoding': _chunked, ...headers } = answer.headers;
          res.writeHead(answer.statusCode ?? 502, { ...headers, 'content-length': body.length });
          res.end(body);
        });
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  };

  const fail = (res: ServerResponse, status: number) => {
    const body = `<?xml version="1.0" encoding="UTF-8"?><Error><Code>ServiceUnavailable</Code><Message>injected</Message></Error>`;
    res.writeHead(status, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  };

  const server: Server = createServer((req, res) => {
    requests++;
    // The body is read (and dropped) in every mode, so the client is never stuck writing it.
    const forwarding = mode.kind === 'pass' || mode.kind === 'delay' || mode.kind === 'rewriteList';
    if (!forwarding && !(mode.kind === 'failFirst' && failed >= mode.count)) req.resume();
    switch (mode.kind) {
      case 'pass':
        return forward(req, res);
      case 'hang':
        hanging.add(res);
        res.on('close', () => hanging.delete(res));
        return;
      case 'delay': {
        const timer = setTimeout(() => forward(req, res), mode.ms);
        res.on('close', () => clearTimeout(timer));
        return;
      }
      case 'status':
        return fail(res, mode.status);
      case 'rewriteList':
        return forward(req, res, req.url?.includes('list-type=2') ? mode.rewrite : undefined);
      case 'failFirst':
        if (failed < mode.count) {
          failed++;
          return fail(res, mode.status);
        }
        return forward(req, res);
    }
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    get requests() {
      return requests;
    },
    setMode(next) {
      mode = next;
      failed = 0;
    },
    resetCount() {
      requests = 0;
    },
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
