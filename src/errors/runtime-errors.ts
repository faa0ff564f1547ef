import { StowageError } from './base.js';

/** The instance's mailbox is at capacity and its policy is `reject`. Nothing was queued. */
export class QueueFullError extends StowageError {
  static override readonly code = 'STOWAGE_QUEUE_FULL';
}

/** The mailbox stayed full for the whole wait deadline (policy `wait`). Nothing was queued. */
export class QueueTimeoutError extends StowageError {
  static override readonly code = 'STOWAGE_QUEUE_TIMEOUT';
}

/**
 * The actor's worker died (exit, uncaught error, out of memory) or was terminated as hung while the
 * operation was pending. A write that fails this way may or may not have been applied.
 */
export class ActorDiedError extends StowageError {
  static override readonly code = 'STOWAGE_ACTOR_DIED';
}

/** The instance is down: restarting, or stopped after too many restarts. Nothing was attempted. */
export class InstanceDownError extends StowageError {
  static override readonly code = 'STOWAGE_INSTANCE_DOWN';
}

/**
 * A listing through the runtime was closed before it finished: more listings were open on the
 * instance than its worker keeps (`details.limit`), and this one had gone longest without a page
 * read. Nothing was changed; start the listing again.
 */
export class ListingExpiredError extends StowageError {
  static override readonly code = 'STOWAGE_LISTING_EXPIRED';
}

/** The runtime's configuration is invalid; `details.field` names the option. */
export class InvalidRuntimeConfigError extends StowageError {
  static override readonly code = 'STOWAGE_INVALID_RUNTIME_CONFIG';
}
