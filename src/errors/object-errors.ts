import { StowageError } from './base.js';

/** An object, or one of its fields, is not acceptable. `details.field` names the field. */
export class InvalidObjectError extends StowageError {
  static override readonly code = 'STOWAGE_INVALID_OBJECT';
}

/** The serialized object exceeds the configured size limit. */
export class ObjectTooLargeError extends StowageError {
  static override readonly code = 'STOWAGE_OBJECT_TOO_LARGE';

  /** What every size check reports: `subject` measured `bytes`, over `limit` (named `limitName`). */
  static over(subject: string, bytes: number, limit: number, limitName = 'the limit'): ObjectTooLargeError {
    return new ObjectTooLargeError(`${subject} is ${bytes} bytes, over ${limitName} of ${limit} bytes`, {
      field: '',
      bytes,
      limit,
    });
  }
}

/** An ObjectKey is malformed: not `namespace/name` or `name`, or a part is invalid. */
export class InvalidKeyError extends StowageError {
  static override readonly code = 'STOWAGE_INVALID_KEY';
}

/** A GroupVersionKind is malformed. */
export class InvalidGvkError extends StowageError {
  static override readonly code = 'STOWAGE_INVALID_GVK';
}

/** A MachineId string does not parse. */
export class InvalidMachineIdError extends StowageError {
  static override readonly code = 'STOWAGE_INVALID_MACHINE_ID';
}

/** A stored record exists but does not decode into an object. */
export class CorruptObjectError extends StowageError {
  static override readonly code = 'STOWAGE_CORRUPT_OBJECT';
}
