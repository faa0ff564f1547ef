import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

interface Exchange {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
}

/**
 * The requests under way on each connection, oldest first: a client may pipeline several, and
 * node:http runs them as they are parsed while it sends their responses in order. Shutdown and
 * the clientError handler must know which response is a connection's last, and whether raw bytes
 * written now would land inside a response or answer for a request that already ran.
 */
export class ConnectionTracker {
  private readonly exchanges = new Map<Duplex, Exchange[]>();

  add(req: IncomingMessage, res: ServerResponse): void {
    const socket = req.socket;
    const list = this.exchanges.get(socket) ?? [];
    list.push({ req, res });
    this.exchanges.set(socket, list);
    res.once('close', () => {
      const remaining = (this.exchanges.get(socket) ?? []).filter((e) => e.res !== res);
      if (remaining.length > 0) this.exchanges.set(socket, remaining);
      else this.exchanges.delete(socket);
    });
  }

  /** The newest response under way on each connection: no request of that connection follows it. */
  *lastResponses(): Iterable<ServerResponse> {
    for (const list of this.exchanges.values()) {
      const last = list.at(-1);
      if (last) yield last.res;
    }
  }

  /** Whether a response on `socket` is being handled or still being written. */
  busy(socket: Duplex): boolean {
    return this.exchanges.has(socket);
  }

  isLast(req: IncomingMessage, res: ServerResponse): boolean {
    return this.exchanges.get(req.socket)?.at(-1)?.res === res;
  }

  /**
   * True when an error answer written straight to `socket` would be the answer to the request
   * that failed: no response on it has begun, and no request on it has arrived whole (and so may
   * be running). A request still arriving is the one a timeout cut off.
   */
  canAnswerRaw(socket: Duplex): boolean {
    return (this.exchanges.get(socket) ?? []).every(({ req, res }) => !res.headersSent && !req.complete);
  }
}
