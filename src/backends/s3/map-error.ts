import { type ErrorDetails, StowageError } from '../../errors/base.js';
import {
  S3AccessDeniedError,
  S3BadCredentialsError,
  S3NoSuchBucketError,
  S3RequestError,
  S3ServerError,
  S3TimeoutError,
  S3UnreachableError,
} from '../../errors/s3-errors.js';

/** What the backend was doing, for the error's message and details. */
export interface S3ErrorContext {
  readonly operation: string;
  readonly bucket: string;
  readonly key?: string;
  /** The operation's deadline had passed when it failed: whatever the failure, that is why. */
  readonly deadlineExpired?: boolean;
}

/** What the SDK (and Node underneath it) attach to a failure. */
interface SdkFailure {
  name?: string;
  code?: string;
  Code?: string;
  $metadata?: { httpStatusCode?: number; attempts?: number };
}

const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'ECONNABORTED',
]);
const BAD_CREDENTIALS = new Set([
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'InvalidToken',
  'ExpiredToken',
  'TokenRefreshRequired',
  'CredentialsProviderError',
]);

/**
 * Classifies an SDK failure as a typed StowageError. The message is built here from the code and
 * status only: SDK messages can quote a request's headers or string-to-sign, which we never echo.
 */
export function toS3Error(error: unknown, context: S3ErrorContext): StowageError {
  if (error instanceof StowageError) return error;
  const failure = (typeof error === 'object' && error !== null ? error : {}) as SdkFailure;
  const status = failure.$metadata?.httpStatusCode;
  // A bare Error with a code (EPROTO: TLS spoken to a plain HTTP port) says more by its code.
  const awsCode =
    failure.Code ??
    (failure.name === 'Error' && typeof failure.code === 'string' ? failure.code : failure.name) ??
    'Unknown';
  const { details, where } = located(context, {
    ...(status === undefined ? {} : { status }),
    awsCode: failure.code && UNREACHABLE.has(failure.code) ? failure.code : awsCode,
    attempts: failure.$metadata?.attempts ?? 1,
  });

  const timedOut = () =>
    new S3TimeoutError(`${where} timed out after ${details.attempts} attempt(s)`, details);
  // The operation's own deadline aborted it: the socket it destroyed can surface as ECONNRESET
  // in a body being read, which is not the server's doing.
  if (failure.name === 'AbortError' || context.deadlineExpired) return timedOut();
  // Before the SDK's timeout name: its HTTP handler renames a reset connection (ECONNRESET, EPIPE)
  // to a TimeoutError, but the code still says what happened.
  if (failure.code !== undefined && UNREACHABLE.has(failure.code)) {
    return new S3UnreachableError(`${where}: endpoint unreachable (${failure.code})`, details);
  }
  if (failure.name === 'TimeoutError' || failure.code === 'ETIMEDOUT') return timedOut();
  if (BAD_CREDENTIALS.has(awsCode)) {
    return new S3BadCredentialsError(`${where}: credentials rejected (${awsCode})`, details);
  }
  if (awsCode === 'NoSuchBucket') {
    return new S3NoSuchBucketError(`${where}: bucket does not exist`, details);
  }
  if (awsCode === 'AccessDenied' || status === 403) {
    return new S3AccessDeniedError(`${where}: access denied (${awsCode})`, details);
  }
  if (status !== undefined && status >= 500) {
    return new S3ServerError(
      `${where}: server error ${status} (${awsCode}) after ${details.attempts} attempt(s)`,
      details,
    );
  }
  if (status === undefined) {
    // No HTTP answer and no known network code: still a failure to reach the server.
    return new S3UnreachableError(`${where}: no response (${awsCode})`, details);
  }
  return new S3RequestError(`${where}: request failed with ${status} (${awsCode})`, details);
}

/**
 * The error for a GET whose body could not be read whole on any of `reads` reads (`requests` HTTP
 * requests in all, the SDK's retries of each read included): the connection broke or stalled.
 * (Node's HTTP client fails a body that ends short of its Content-Length as a reset, so a short
 * body is one of these.) Not the server's refusal and not a corrupt object, so neither is what the
 * message says. `details.attempts` counts the requests.
 */
export function bodyReadError(
  error: unknown,
  reads: number,
  requests: number,
  context: S3ErrorContext,
): StowageError {
  const failure = (typeof error === 'object' && error !== null ? error : {}) as SdkFailure;
  const stalled = failure.name === 'TimeoutError' || failure.code === 'ETIMEDOUT';
  const why = failure.code ?? failure.name ?? 'unknown';
  const { details, where } = located(context, { awsCode: why, attempts: requests });
  const tally = `on each of ${reads} read(s), ${requests} request(s) in all`;
  return stalled
    ? new S3TimeoutError(`${where}: the response body stalled after its headers, ${tally}`, details)
    : new S3UnreachableError(
        `${where}: the connection broke while the response body was read (${why}), ${tally}`,
        details,
      );
}

/**
 * A timeout that ended a GET whose reads had made `made` requests (S3Backend.fetch): the abort
 * reached the request queue first, which reported the SDK's count for the last read alone. The
 * deadline met the last read either inside the SDK (`inSdkCall`: its requests are the error's
 * count, not yet in `made`) or while its body was read (they are in `made`).
 */
export function timedOutAfterRequests(
  error: S3TimeoutError,
  made: number,
  inSdkCall: boolean,
): S3TimeoutError {
  const last = typeof error.details.attempts === 'number' ? error.details.attempts : 1;
  const attempts = made + (inSdkCall ? last : 0);
  return new S3TimeoutError(error.message.replace(/after \d+ attempt/, `after ${attempts} attempt`), {
    ...error.details,
    attempts,
  });
}

/** An error's details (what failed, where, and `extra`) and the start of its message. */
function located(context: S3ErrorContext, extra: ErrorDetails): { details: ErrorDetails; where: string } {
  return {
    details: {
      operation: context.operation,
      bucket: context.bucket,
      ...(context.key === undefined ? {} : { key: context.key }),
      ...extra,
    },
    where: `s3 ${context.operation} on bucket ${context.bucket}${context.key ? ` key ${context.key}` : ''}`,
  };
}

/** A HeadObject/HeadBucket 404 has no body, so the SDK reports it as `NotFound`. */
export function isNotFound(error: unknown): boolean {
  const failure = error as SdkFailure | undefined;
  return (
    failure?.name === 'NoSuchKey' ||
    failure?.name === 'NotFound' ||
    (failure?.$metadata?.httpStatusCode === 404 && failure?.name !== 'NoSuchBucket')
  );
}
