import { StowageError } from './base.js';

/** The standalone metrics server could not listen (`details.host`, `details.port`, `details.cause`). */
export class MetricsServerError extends StowageError {
  static override readonly code = 'STOWAGE_METRICS_SERVER';
}
