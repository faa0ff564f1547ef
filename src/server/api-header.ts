/**
 * Every answer of stowage's HTTP API carries this header. The CLI's `--server` refuses an answer
 * without it: another service on the port, or a proxy's page, answered 2xx and was taken for
 * stowage's (`secret get` printed a web page as the secret, `put` reported keys it never stored).
 */
export const API_HEADER = 'stowage-api';
export const API_VERSION = 'v1';
