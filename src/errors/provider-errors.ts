import { StowageError } from './base.js';

/** The named instance is not one of this provider's instances. */
export class UnknownInstanceError extends StowageError {
  static override readonly code = 'STOWAGE_UNKNOWN_INSTANCE';
}

/** An operation arrived before `initialize()` completed for the instance. */
export class NotInitializedError extends StowageError {
  static override readonly code = 'STOWAGE_NOT_INITIALIZED';
}

/** An operation arrived after `close()`. */
export class ClosedError extends StowageError {
  static override readonly code = 'STOWAGE_CLOSED';
}

/** `initialize()` failed for one or more instances; `details.instances` lists them, comma-separated. */
export class InitializeFailedError extends StowageError {
  static override readonly code = 'STOWAGE_INITIALIZE_FAILED';
}

/** Something failed that stowage did not classify; the message carries the cause. */
export class InternalError extends StowageError {
  static override readonly code = 'STOWAGE_INTERNAL';
}
