import { registerErrorClasses } from './base.js';
import { ConfigError } from './config-errors.js';
import {
  CorruptLogError,
  FileIoError,
  LockedError,
  TooManyObjectsError,
  UnsupportedFormatError,
} from './file-errors.js';
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
import {
  ActorDiedError,
  InstanceDownError,
  InvalidRuntimeConfigError,
  ListingExpiredError,
  QueueFullError,
  QueueTimeoutError,
} from './runtime-errors.js';
import {
  S3AccessDeniedError,
  S3BadCredentialsError,
  S3ConfigError,
  S3NoSuchBucketError,
  S3RequestError,
  S3ServerError,
  S3TimeoutError,
  S3UnreachableError,
} from './s3-errors.js';
import {
  InvalidSecretError,
  KeyringInsecureError,
  KeyringInvalidError,
  ReservedGroupError,
  SecretCorruptError,
  SecretDecryptFailedError,
  SecretKeyUnknownError,
} from './secret-errors.js';
import { HttpServerError, MetricsServerError, RemoteServerError } from './server-errors.js';

// Not registerErrorClasses: every class is registered here, once, and a second class for one code
// is a bug in this package, which it reports with a plain Error at load.
export {
  describeError,
  type ErrorDetails,
  fromWireError,
  MAX_WIRE_MESSAGE_CHARS,
  registeredErrorCodes,
  StowageError,
  toWireError,
  type WireError,
} from './base.js';
export * from './config-errors.js';
export * from './file-errors.js';
export * from './object-errors.js';
export * from './provider-errors.js';
export * from './runtime-errors.js';
export * from './s3-errors.js';
export * from './secret-errors.js';
export * from './server-errors.js';

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
  QueueFullError,
  QueueTimeoutError,
  ActorDiedError,
  InstanceDownError,
  InvalidRuntimeConfigError,
  ListingExpiredError,
  LockedError,
  CorruptLogError,
  UnsupportedFormatError,
  FileIoError,
  TooManyObjectsError,
  ReservedGroupError,
  InvalidSecretError,
  SecretDecryptFailedError,
  SecretKeyUnknownError,
  SecretCorruptError,
  KeyringInsecureError,
  KeyringInvalidError,
  S3ConfigError,
  S3NoSuchBucketError,
  S3AccessDeniedError,
  S3BadCredentialsError,
  S3UnreachableError,
  S3TimeoutError,
  S3ServerError,
  S3RequestError,
  MetricsServerError,
  HttpServerError,
  RemoteServerError,
  ConfigError,
);
