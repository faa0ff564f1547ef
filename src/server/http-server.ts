import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Registry } from 'prom-client';
import type { PersistenceProvider, SecretPersistenceProvider } from '../contract/types.js';
import { HttpServerError, UnknownInstanceError } from '../errors/index.js';
import { quoted } from '../errors/quoted.js';
import { metricsHandler } from '../metrics/handler.js';
import { droppedConnections } from '../metrics/http-metrics.js';
import { API_HEADER, API_VERSION } from './api-header.js';
import { authorized, checkBind } from './auth.js';
import { declaredLength } from './body.js';
import { refuseBrowsers } from './browser-guard.js';
import { answerClientError, answerConnect } from './client-errors.js';
import { ConnectionTracker } from './connection-tracker.js';
import { allowOnly, HttpError, READ_METHODS, sendError, sendJson } from './http-errors.js';
import { listenOn } from './listen.js';
import { handleObjects } from './object-routes.js';
import { readiness } from './readiness.js';
import { pathSegments, requestPath } from './request-path.js';
import { handleSecrets } from './secret-routes.js';

export interface StowageServerOptions {
  /** With restartInstance (RuntimeProvider), `POST …/{instance}/restart` is served too. */
  readonly provider: PersistenceProvider & { restartInstance?(instance: string): Promise<void> };
  /** Serves /secrets routes when present. */
  readonly secrets?: SecretPersistenceProvider;
  readonly registry?: Registry;
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** 0 picks a free port. @default 9464 */
  readonly port?: number;
  /** Bearer token required on every endpoint but /healthz; mandatory for a non-loopback host. */
  readonly token?: string;
  /** Largest request body accepted. @default 8 MiB */
  readonly maxBodyBytes?: number;
  /**
   * Connections open at once; past it a new connection is closed as it is accepted. Each takes a
   * file descriptor, and without a cap idle connections used up the process's (400 under
   * `ulimit -n 256`): a file instance's probe then failed with EMFILE and the instance went down.
   * @default DEFAULT_MAX_CONNECTIONS
   */
  readonly maxConnections?: number;
  /**
   * Called for each connection closed as it was accepted because `maxConnections` were open (also
   * counted in `stowage_http_connections_dropped_total` when `registry` is a StowageMetrics one).
   */
  readonly onConnectionDropped?: () => void;
  /** A request's headers must arrive within this, or it is answered 408. @default 20 s */
  readonly headersTimeoutMs?: number;
  /**
   * The whole request must arrive within this, or it is answered 408. A body that stops arriving
   * altogether meets the idle-connection timeout (60 s) first, which closes the connection with no
   * answer, unless this is shorter. @default 60 s
   */
  readonly requestTimeoutMs?: number;
}

export interface StowageServer {
  readonly url: string;
  /**
   * Stops accepting connections and requests: a request that arrives on an open keep-alive
   * connection is answered 503 `STOWAGE_CLOSED` (except /healthz), and every response from now on
   * closes its connection. Waits for the requests in progress, then, past `deadlineMs`, closes the
   * connections that remain (a client that stopped reading a listing, a body that stalled) so
   * that shutdown cannot be held for ever.
   */
  close(deadlineMs?: number): Promise<void>;
}

/** The largest request body taken unless `maxBodyBytes` says otherwise. */
export const DEFAULT_MAX_BODY_BYTES = 8 * 1024 * 1024;
/** How long close() waits for requests in progress by default. */
const CLOSE_DEADLINE_MS = 5_000;
/** The defaults within which a request's headers and body must arrive; a stalled upload is cut off. */
const HEADERS_TIMEOUT_MS = 20_000;
const REQUEST_TIMEOUT_MS = 60_000;
/** How often node:http checks those two; its default, 30 s, let them run up to 30 s late. */
const TIMEOUT_CHECK_MS = 1_000;
/**
 * A connection idle this long (a client that stopped reading a response) is closed. Node skips one
 * timeout while the socket still has writes queued, so such a client is cut off after one to two
 * of these: 240–255 s with 120 s here, in an audit.
 */
const IDLE_SOCKET_TIMEOUT_MS = 60_000;

/** Connections served at once unless `maxConnections` says otherwise. */
export const DEFAULT_MAX_CONNECTIONS = 1024;

/**
 * The HTTP face of a running stowage: /metrics, /healthz, /readyz and a small JSON API over the
 * provider (see docs/operations.md for every route). The instance name `default` means the first
 * configured instance, so a walkthrough needs no hash.
 */
export async function startServer(options: StowageServerOptions): Promise<StowageServer> {
  const host = options.host ?? '127.0.0.1';
  checkBind(host, options.token);
  const metrics = options.registry ? metricsHandler(options.registry) : undefined;
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const provider = options.provider;

  let closing = false;
  const connections = new ConnectionTracker();
  /**
   * Each connection's requests run one after the other. node:http hands pipelined requests over as
   * they are parsed, so a PUT still reading its body was overtaken by the DELETE behind it on the
   * same connection: the DELETE found nothing, and the PUT then stored the object (20 of 20 rounds
   * in an audit). A client that waits for each answer, as most do, never waits here.
   */
  const previousOn = new WeakMap<Duplex, Promise<void>>();

  /** `arrivedClosing`: close() had begun when the request arrived (it may run later, behind others). */
  const route = async (req: IncomingMessage, res: ServerResponse, arrivedClosing: boolean): Promise<void> => {
    if (req.httpVersionMajor === 1 && req.httpVersionMinor >= 1 && req.headers.host === undefined) {
      throw new HttpError(400, 'STOWAGE_BAD_REQUEST', 'an HTTP/1.1 request needs a Host header');
    }
    const path = requestPath(req.url ?? '/');
    if (path === '/healthz') {
      allowOnly(req.method, READ_METHODS);
      return sendJson(res, 200, { status: 'ok' });
    }
    refuseBrowsers(req, host, options.token);
    if (arrivedClosing) throw new HttpError(503, 'STOWAGE_CLOSED', 'the server is shutting down');
    if (!authorized(req, options.token)) {
      throw new HttpError(401, 'STOWAGE_UNAUTHORIZED', 'missing or wrong bearer token', {
        // RFC 9110 §11.6.1: a 401 names the scheme it wants.
        'www-authenticate': 'Bearer',
      });
    }
    if (path === '/metrics' && metrics) {
      allowOnly(req.method, READ_METHODS);
      return metrics(req, res);
    }
    if (path === '/readyz') {
      allowOnly(req.method, READ_METHODS);
      const report = readiness(provider);
      return sendJson(res, report.ready ? 200 : 503, report);
    }
    const segments = pathSegments(path);
    if (segments[0] !== 'api' || segments[1] !== 'v1' || segments[2] !== 'instances') {
      throw new HttpError(404, 'STOWAGE_NO_ROUTE', `no route for ${quoted(path)}`);
    }
    if (segments.length === 3) {
      allowOnly(req.method, READ_METHODS);
      return sendJson(res, 200, readiness(provider).instances);
    }
    const instance =
      segments[3] === 'default' ? (provider.instances()[0] as string) : (segments[3] as string);
    if (segments.length === 4) {
      allowOnly(req.method, READ_METHODS);
      const status = provider.instanceStatus(instance);
      if (!status.exists) throw UnknownInstanceError.named(instance);
      return sendJson(res, 200, status);
    }
    if (segments[4] === 'objects') {
      return handleObjects(provider, instance, segments.slice(5), req, res, maxBodyBytes);
    }
    if (segments[4] === 'restart' && segments.length === 5 && provider.restartInstance) {
      // The way back for an instance the restart limit stopped, which serve otherwise has none of
      // short of a restart of the process and every other instance with it.
      allowOnly(req.method, ['POST']);
      if (!provider.instanceStatus(instance).exists) throw UnknownInstanceError.named(instance);
      await provider.restartInstance(instance);
      return sendJson(res, 200, provider.instanceStatus(instance));
    }
    if (segments[4] === 'kinds' && segments.length === 5) {
      allowOnly(req.method, READ_METHODS);
      return sendJson(res, 200, await provider.listKinds(instance));
    }
    if (segments[4] === 'secrets') {
      // Without a token, loopback serves every local user, and so would hand out the values that
      // the keyring's mode 0600 keeps from them.
      if (options.secrets && options.token === undefined) {
        throw new HttpError(
          403,
          'STOWAGE_SECRETS_NEED_TOKEN',
          'the secret API is served only with server.token set: without one, every local user could read every secret',
        );
      }
      return handleSecrets(options.secrets, instance, segments.slice(5), req, res, maxBodyBytes);
    }
    throw new HttpError(404, 'STOWAGE_NO_ROUTE', `no route for ${quoted(path)}`);
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    res.setHeader(API_HEADER, API_VERSION);
    connections.add(req, res);
    // Only a connection's last response may close it: one pipelined behind would be lost.
    if (closing && connections.isLast(req, res)) res.setHeader('connection', 'close');
    // A response sent with its headers before close() (a listing) leaves its connection open:
    // once it is done the connection is idle, and closing idle connections ends it.
    res.once('close', () => {
      if (closing) setImmediate(closeIdle);
    });
    const socket = req.socket;
    const arrivedClosing = closing;
    const handled = (previousOn.get(socket) ?? Promise.resolve()).then(() =>
      route(req, res, arrivedClosing).catch((error: unknown) => sendError(res, error)),
    );
    previousOn.set(socket, handled);
  };
  const server: Server = createServer(
    {
      headersTimeout: options.headersTimeoutMs ?? HEADERS_TIMEOUT_MS,
      requestTimeout: options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS,
      connectionsCheckingInterval: TIMEOUT_CHECK_MS,
      // Checked in the handler instead, so the answer is a typed body, not node:http's bare 400.
      requireHostHeader: false,
    },
    handle,
  );
  // `Expect: 100-continue`: node:http answered 100 Continue to every such request, so a body over
  // the limit was sent, and read, before its 413. Only a body that may be taken is asked for.
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    if (declaredLength(req) <= maxBodyBytes) res.writeContinue();
    handle(req, res);
  });
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) =>
    answerClientError(error, socket, connections.canAnswerRaw(socket)),
  );
  server.on('connect', (_req: IncomingMessage, socket: Duplex) => answerConnect(socket));
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  /**
   * Ends the connections with no response under way: none being handled, none still being
   * written. node:http's closeIdleConnections() (which server.close() runs too) counts a response
   * as done once end() is called, and destroyed a connection whose answer was still queued for a
   * client reading slowly: the request had run, and its client got a cut-off answer (a 40 MB GET
   * closed after 3.9 MB) or, on a loaded machine, a reset after a PUT that was stored.
   */
  const closeIdle = (): void => {
    for (const socket of sockets) if (!connections.busy(socket)) socket.destroy();
  };
  // server.close() calls it too, by this name.
  server.closeIdleConnections = closeIdle;
  server.setTimeout(IDLE_SOCKET_TIMEOUT_MS, (socket) => socket.destroy());
  server.maxConnections = options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
  const dropped = droppedConnections(options.registry);
  server.on('drop', () => {
    dropped?.inc();
    options.onConnectionDropped?.();
  });
  await listenOn(
    server,
    host,
    options.port ?? 9464,
    (message, details) => new HttpServerError(`HTTP server ${message}`, details),
  );
  const address = server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${shownHost}:${address.port}`,
    close: (deadlineMs = CLOSE_DEADLINE_MS) =>
      new Promise<void>((resolve) => {
        closing = true;
        for (const res of connections.lastResponses()) {
          if (!res.headersSent) res.setHeader('connection', 'close');
        }
        const force = setTimeout(() => server.closeAllConnections(), deadlineMs);
        // Runs closeIdleConnections(), which is closeIdle here (above), and stops node:http's timer.
        server.close(() => {
          clearTimeout(force);
          resolve();
        });
      }),
  };
}
