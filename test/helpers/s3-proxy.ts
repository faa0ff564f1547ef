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
 *   server that paginates wrongly);
 * - `corruptBodyFirst`: the next `count` object GETs answered 200 get their whole answer with one
 *   byte of the body changed;
 * - `cutBodyFirst`: the next `count` object GETs answered 200 get their status, headers and first
 *   `afterBytes` bytes of body, then, 50 ms later, their connection is destroyed (`stall`: left
 *   open, silent); later requests, and every other request, pass;
 * - `getScript`: object GETs take the next of `steps` in turn (`fail`: a 503; `cut`: as
 *   `cutBodyFirst`, after 100 bytes); once the steps run out, and for every other request, pass.
 */
export type ProxyMode =
  | { readonly kind: 'pass' }
  | { readonly kind: 'hang' }
  | { readonly kind: 'delay'; readonly ms: number }
  | { readonly kind: 'status'; readonly status: number }
  | { readonly kind: 'failFirst'; readonly count: number; readonly status: number }
  | { readonly kind: 'rewriteList'; readonly rewrite: (xml: string) => string }
  | { readonly kind: 'corruptBodyFirst'; readonly count: number }
  | {
      readonly kind: 'cutBodyFirst';
      readonly count: number;
      readonly afterBytes: number;
      readonly stall?: boolean;
    }
  | { readonly kind: 'getScript'; readonly steps: readonly ('fail' | 'cut')[] };

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

  const forward = (
    req: IncomingMessage,
    res: ServerResponse,
    rewrite?: (xml: string) => string,
    cutAfter?: number,
  ) => {
    const upstream = request(
      { host: '127.0.0.1', port: upstreamPort, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        if (cutAfter !== undefined && answer.statusCode === 200) {
          cutBody(res, answer, cutAfter, false);
          return;
        }
        const faulty =
          (mode.kind === 'cutBodyFirst' || mode.kind === 'corruptBodyFirst') && failed < mode.count;
        if (faulty && isObjectGet(req) && answer.statusCode === 200) {
          failed++;
          if (mode.kind === 'cutBodyFirst') cutBody(res, answer, mode.afterBytes, mode.stall === true);
          else corruptBody(res, answer);
          return;
        }
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

  /** Sends the answer's head and its first `afterBytes` body bytes, then breaks off (or falls silent). */
  const cutBody = (res: ServerResponse, answer: IncomingMessage, afterBytes: number, stall: boolean) => {
    res.writeHead(200, answer.headers);
    let sent = 0;
    answer.on('data', (chunk: Buffer) => {
      if (sent >= afterBytes) return;
      const part = chunk.subarray(0, afterBytes - sent);
      sent += part.length;
      res.write(part);
      if (sent < afterBytes) return;
      answer.destroy();
      hanging.add(res);
      res.on('close', () => hanging.delete(res));
      // After a pause, so the client has handed the answer on and is reading its body: a reset
      // that arrives with the headers fails the request itself, which the SDK retries on its own.
      if (!stall) setTimeout(() => res.socket?.destroy(), 50);
    });
  };

  /** Sends the whole answer with the middle byte of its body flipped, its length unchanged. */
  const corruptBody = (res: ServerResponse, answer: IncomingMessage) => {
    const chunks: Buffer[] = [];
    answer.on('data', (chunk: Buffer) => chunks.push(chunk));
    answer.on('end', () => {
      const body = Buffer.concat(chunks);
      const middle = body.length >> 1;
      body[middle] = (body[middle] as number) ^ 0x01;
      res.writeHead(200, answer.headers);
      res.end(body);
    });
  };

  const fail = (res: ServerResponse, status: number) => {
    const body = `<?xml version="1.0" encoding="UTF-8"?><Error><Code>ServiceUnavailable</Code><Message>injected</Message></Error>`;
    res.writeHead(status, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  };

  const server: Server = createServer((req, res) => {
    requests++;
    // The body is read (and dropped) in every mode, so the client is never stuck writing it.
    // A scripted GET's step, taken in arrival order.
    const step = mode.kind === 'getScript' && isObjectGet(req) ? mode.steps[failed++] : undefined;
    const forwarding =
      (mode.kind === 'getScript' && step !== 'fail') ||
      mode.kind === 'pass' ||
      mode.kind === 'delay' ||
      mode.kind === 'rewriteList' ||
      mode.kind === 'cutBodyFirst' ||
      mode.kind === 'corruptBodyFirst';
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
      case 'cutBodyFirst':
      case 'corruptBodyFirst':
        return forward(req, res);
      case 'getScript':
        if (step === 'fail') return fail(res, 503);
        if (step === 'cut') return forward(req, res, undefined, 100);
        return forward(req, res);
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

/** A GetObject: a GET of a key, not a listing (`list-type=2`) or the bucket itself. */
function isObjectGet(req: IncomingMessage): boolean {
  const url = new URL(req.url ?? '/', 'http://proxy');
  return (
    req.method === 'GET' &&
    !url.searchParams.has('list-type') &&
    url.pathname.split('/').filter(Boolean).length > 1
  );
}
