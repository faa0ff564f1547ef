import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import type { BackendConfig } from '../../src/backends/factory.js';
import type { S3BackendConfig } from '../../src/backends/s3/config.js';
import { type ClusterState, startCluster, stopCluster } from '../radosgw/cluster.js';
import { type S3Target, SetupError, UsageError } from './args.js';
import type { BackendKind } from './scenarios.js';

/**
 * Where the load goes: the backend configuration every provider of the run is built from, and
 * what to tear down afterwards (a temporary directory, a radosgw cluster this run started).
 */
export interface Target {
  readonly config: BackendConfig;
  /** Human-readable: the directory, or endpoint + bucket (never credentials). */
  readonly where: string;
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

export async function openTarget(
  backend: BackendKind,
  dir: string | undefined,
  s3: S3Target,
): Promise<Target> {
  switch (backend) {
    case 'memory':
      return {
        config: { kind: 'memory', name: 'loadtest' },
        where: 'memory (in the actor worker)',
        close: async () => undefined,
      };
    case 'file':
      return fileTarget(dir);
    case 's3':
      return s3Target(s3);
  }
}

function fileTarget(dir: string | undefined): Target {
  const root = dir === undefined ? mkdtempSync(join(tmpdir(), 'stowage-loadtest-')) : resolve(dir);
  const made: string[] = dir === undefined ? [root] : [];
  return {
    config: { kind: 'file', dir: root },
    where: root,
    // Only directories this run created are removed; a --dir given by the user is left as it is.
    close: async () => {
      for (const path of made) rmSync(path, { recursive: true, force: true });
    },
  };
}

async function s3Target(s3: S3Target): Promise<Target> {
  let cluster: ClusterState | undefined;
  let endpoint = s3.endpoint;
  let credentials: S3BackendConfig['credentials'];
  if (endpoint === undefined) {
    process.stderr.write('no --endpoint: starting a local radosgw (scripts/radosgw/cluster.ts)…\n');
    cluster = await startCluster().catch((error: Error) => {
      throw new SetupError(
        `cannot start a local radosgw: ${error.message}; pass --endpoint to use a running one`,
      );
    });
    endpoint = cluster.gateway.endpoint;
    credentials = { accessKeyId: cluster.accessKeyId, secretAccessKey: cluster.secretAccessKey };
  } else {
    const host = new URL(endpoint).hostname;
    if (!LOOPBACK.has(host) && !s3.allowRemote) {
      throw new UsageError(`--endpoint ${host} is not loopback; pass --allow-remote to load a remote store`);
    }
    // Unset: the SDK's default chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, profile, …). Without
    // --allow-remote that chain must not reach past loopback either: its last link asks the EC2
    // metadata address, 169.254.169.254.
    credentials = undefined;
    if (!s3.allowRemote) process.env.AWS_EC2_METADATA_DISABLED = 'true';
  }
  const base: S3BackendConfig = {
    endpoint,
    region: s3.region,
    bucket: s3.bucket,
    forcePathStyle: true,
    credentials,
    checksumMode: 'when_required',
  };
  try {
    await ensureBucket(base);
  } catch (error) {
    if (cluster) await stopCluster(cluster);
    // The store cannot be used at all: the environment's fault, not a failed check (exit 2).
    throw new SetupError(
      `cannot create or reach bucket ${s3.bucket} at ${endpoint}: ${(error as Error).message}`,
    );
  }
  const run = `lt-${Date.now().toString(36)}`;
  return {
    config: { kind: 's3', ...base, prefix: run },
    where: `${endpoint} bucket ${s3.bucket} prefix ${run}/`,
    close: async () => {
      if (cluster) await stopCluster(cluster);
    },
  };
}

/** Creates the bucket when absent; an existing bucket we own is fine. */
async function ensureBucket(config: S3BackendConfig): Promise<void> {
  const client = new S3Client({
    endpoint: config.endpoint,
    region: config.region,
    forcePathStyle: true,
    // A copy: the SDK tags the credentials object it is given (`$source`), which would then make the
    // backend's strict configuration schema reject the shared one.
    credentials: config.credentials && { ...config.credentials },
  });
  try {
    await client.send(new CreateBucketCommand({ Bucket: config.bucket }));
  } catch (error) {
    if ((error as Error).name !== 'BucketAlreadyOwnedByYou') throw error;
  } finally {
    client.destroy();
  }
}
