import { registerErrorClasses } from './base.js';
import {
  CorruptObjectError,
  InvalidGvkError,
  InvalidKeyError,
  InvalidMachineIdError,
  InvalidObjectError,
  ObjectTooLargeError,
} from './object-errors.js';
import {
  ClosedError,
  InitializeFailedError,
  InternalError,
  NotInitializedError,
  UnknownInstanceError,
} from './provider-errors.js';

export * from './base.js';
export * from './object-errors.js';
export * from './provider-errors.js';

registerErrorClasses(
  InvalidObjectError,
  ObjectTooLargeError,
  InvalidKeyError,
  InvalidGvkError,
  InvalidMachineIdError,
  CorruptObjectError,
  UnknownInstanceError,
  NotInitializedError,
  ClosedError,
  InitializeFailedError,
  InternalError,
);
