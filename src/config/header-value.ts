import { z } from 'zod';

/**
 * A value that goes into an HTTP header, as an S3 credential and the server's bearer token do:
 * it cannot carry a control character. For a credential the SDK's request would fail before it is
 * sent, and be reported as an unreachable endpoint; a token no client sends back. A newline pasted
 * in with it, or kept by a YAML block (`token: |`), is the usual cause.
 */
export const headerValue = z
  .string()
  .min(1)
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it finds
  .refine((value) => !/[\u0000-\u001f\u007f]/.test(value), 'must not hold control characters (a newline?)');
