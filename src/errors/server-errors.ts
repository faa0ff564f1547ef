import { StowageError } from './base.js';

/** The standalone metrics server could not listen (`details.host`, `details.port`, `details.cause`). */
export class MetricsServerError extends StowageError {
  static override readonly code = 'STOWAGE_METRICS_SERVER';
}

/** The HTTP API server (`stowage serve`) could not listen (`details.host`, `details.port`, `details.cause`). */
export class HttpServerError extends StowageError {
  static override readonly code = 'STOWAGE_HTTP_SERVER';
}

/**
 * The CLI's `--server` could not be reached, did not answer in time, or answered with an HTTP error
 * that carries no stowage error (`details.url`, and `details.status` or `details.cause`).
 */
export class RemoteServerError extends StowageError {
  static override readonly code = 'STOWAGE_REMOTE_SERVER';
}
