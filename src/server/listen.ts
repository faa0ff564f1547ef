import type { Server } from 'node:net';
import type { StowageError } from '../errors/index.js';

/**
 * Starts `server` listening; a failure (the port taken, an address not on this host, a port out of
 * range) rejects with the typed error `failed` makes of the host, port and errno code, instead of
 * Node's bare `listen EADDRINUSE`.
 */
export function listenOn(
  server: Server,
  host: string,
  port: number,
  failed: (message: string, details: { host: string; port: number; cause: string }) => StowageError,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const fail = (error: NodeJS.ErrnoException): void => {
      reject(
        failed(`cannot listen on ${host}:${port}: ${error.message}`, {
          host,
          port,
          cause: error.code ?? 'unknown',
        }),
      );
    };
    server.once('error', fail);
    try {
      server.listen(port, host, () => {
        server.off('error', fail);
        resolve();
      });
    } catch (error) {
      // An out-of-range port throws synchronously (ERR_SOCKET_BAD_PORT) instead of emitting.
      fail(error as NodeJS.ErrnoException);
    }
  });
}
