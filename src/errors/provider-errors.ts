import { describeError, StowageError, toWireError } from './base.js';
import { quoted } from './quoted.js';

/** The named instance is not one of this provider's instances. */
export class UnknownInstanceError extends StowageError {
  static override readonly code = 'STOWAGE_UNKNOWN_INSTANCE';

  /** For a name a public call was given, which need not even be a string (`details.instance` null then). */
  static named(instance: unknown): UnknownInstanceError {
    if (typeof instance !== 'string') {
      return new UnknownInstanceError(`instance names are strings, got ${quoted(instance)}`, {
        instance: null,
      });
    }
    return new UnknownInstanceError(`no instance named ${quoted(instance)}`, { instance });
  }
}

/** An operation arrived before `initialize()` completed for the instance. */
export class NotInitializedError extends StowageError {
  static override readonly code = 'STOWAGE_NOT_INITIALIZED';
}

/** An operation arrived after `close()`. */
export class ClosedError extends StowageError {
  static override readonly code = 'STOWAGE_CLOSED';
}

/** One instance whose initialize failed, and why. */
export interface InstanceFailure {
  readonly instance: string;
  readonly error: unknown;
}

/**
 * `initialize()` failed for one or more instances: `details.instances` lists them, comma-separated
 * and sorted, and `details.codes` the code of each one's error in the same order (`STOWAGE_LOCKED`,
 * …), so a caller can tell a held lock from a missing bucket without reading the message.
 */
export class InitializeFailedError extends StowageError {
  static override readonly code = 'STOWAGE_INITIALIZE_FAILED';

  /** `<what> failed for <instance>: <code>: <message>; …`, sorted by instance. */
  static of(what: string, failures: readonly InstanceFailure[]): InitializeFailedError {
    const sorted = [...failures].sort((a, b) =>
      a.instance < b.instance ? -1 : a.instance > b.instance ? 1 : 0,
    );
    return new InitializeFailedError(
      `${what} failed for ${sorted.map((f) => `${f.instance}: ${describeError(f.error)}`).join('; ')}`,
      {
        instances: sorted.map((f) => f.instance).join(','),
        codes: sorted.map((f) => toWireError(f.error).code).join(','),
      },
    );
  }
}

/** Something failed that stowage did not classify; the message carries the cause. */
export class InternalError extends StowageError {
  static override readonly code = 'STOWAGE_INTERNAL';
}
