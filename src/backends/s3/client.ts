import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { S3Client } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { ResolvedS3Config } from './config.js';

/** The SDK client and the agents it owns, so close() can release every socket. */
export interface S3Connection {
  readonly client: S3Client;
  destroy(): void;
}

/** The SDK logs nowhere: a request (with its signed headers) must never reach a log line. */
const silent = { debug() {}, info() {}, warn() {}, error() {} };

/**
 * Builds the SDK client with every limit explicit: connection and request timeouts (the request
 * timeout throws instead of the SDK's default of only logging a warning), the retry mode and
 * attempts, and keep-alive agents with a bounded number of sockets.
 */
export function connectS3(config: ResolvedS3Config): S3Connection {
  const agentOptions = { keepAlive: true, maxSockets: config.maxSockets, maxFreeSockets: config.maxSockets };
  const httpAgent = new HttpAgent(agentOptions);
  const httpsAgent = new HttpsAgent(agentOptions);
  const checksum = config.checksumMode === 'when_required' ? 'WHEN_REQUIRED' : 'WHEN_SUPPORTED';
  const client = new S3Client({
    ...(config.endpoint === undefined ? {} : { endpoint: config.endpoint }),
    region: config.region,
    forcePathStyle: config.forcePathStyle,
    ...(config.credentials === undefined ? {} : { credentials: { ...config.credentials } }),
    requestChecksumCalculation: checksum,
    responseChecksumValidation: checksum,
    retryMode: config.retryMode,
    maxAttempts: config.maxAttempts,
    logger: silent,
    requestHandler: new NodeHttpHandler({
      httpAgent,
      httpsAgent,
      connectionTimeout: config.timeouts.connectMs,
      requestTimeout: config.timeouts.requestMs,
      throwOnRequestTimeout: true,
      socketTimeout: config.timeouts.requestMs,
      logger: silent,
    }),
  });
  return {
    client,
    destroy() {
      client.destroy();
      httpAgent.destroy();
      httpsAgent.destroy();
    },
  };
}
