import { StowageError } from './base.js';

/**
 * Failures of the S3 backend. `details` carries `operation`, `bucket` and, where known, `key`,
 * `status` (HTTP), `awsCode` and `attempts`; never credentials, signatures or object contents.
 */

/** The S3 backend's configuration is invalid; `details.field` names the field. */
export class S3ConfigError extends StowageError {
  static override readonly code = 'STOWAGE_S3_INVALID_CONFIG';
}

/** The configured bucket does not exist. */
export class S3NoSuchBucketError extends StowageError {
  static override readonly code = 'STOWAGE_S3_NO_SUCH_BUCKET';
}

/** The credentials are valid, but they may not do this to the bucket. */
export class S3AccessDeniedError extends StowageError {
  static override readonly code = 'STOWAGE_S3_ACCESS_DENIED';
}

/** The credentials were rejected (unknown key, bad signature, expired token) or none were found. */
export class S3BadCredentialsError extends StowageError {
  static override readonly code = 'STOWAGE_S3_BAD_CREDENTIALS';
}

/** No connection could be made to the endpoint (refused, reset, DNS failure), after retries. */
export class S3UnreachableError extends StowageError {
  static override readonly code = 'STOWAGE_S3_UNREACHABLE';
}

/** A connection, request or operation timeout expired, after retries. */
export class S3TimeoutError extends StowageError {
  static override readonly code = 'STOWAGE_S3_TIMEOUT';
}

/** The server kept answering 5xx until the retry budget was spent. */
export class S3ServerError extends StowageError {
  static override readonly code = 'STOWAGE_S3_SERVER_ERROR';
}

/** The server refused a request for another reason (an unexpected 4xx); `details.awsCode` says why. */
export class S3RequestError extends StowageError {
  static override readonly code = 'STOWAGE_S3_REQUEST_FAILED';
}
