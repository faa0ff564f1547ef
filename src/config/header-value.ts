import { z } from 'zod';

/**
 * A value that goes into an HTTP header, as an S3 credential and the server's bearer token do:
 * printable ASCII only. A control character made the SDK's request fail before it was sent,
 * reported as an unreachable endpoint, and a token no client sent back; a newline pasted in with
 * it, or kept by a YAML block (`token: |`), is the usual cause. A character past ASCII did the
 * same: fetch refuses to send it, and clients that send it as UTF-8 (curl) never match.
 */
export const headerValue = z
  .string()
  .min(1)
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it finds
  .refine((value) => !/[\u0000-\u001f\u007f]/.test(value), 'must not hold control characters (a newline?)')
  .refine(
    (value) => /^[\u0020-\u007e]*$/.test(value),
    'must be ASCII: a header cannot carry other characters',
  );
