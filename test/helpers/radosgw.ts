import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import {
  type ClusterState,
  type Gateway,
  isAlive,
  missingCephBinaries,
  startCluster,
  startGateway,
  stopCluster,
  stopPid,
} from '../../scripts/radosgw/cluster.js';
import { type S3BackendConfig, s3InstanceName } from '../../src/index.js';

/**
 * One Ceph cluster per machine (the monitor's ports are fixed), shared by every test process that
 * needs it. A state file records the cluster's PIDs; each user registers its own PID beside it; the
 * last user to release stops the daemons by PID. A `mkdir` lock serializes the bookkeeping, and a
 * user or lock holder that died is pruned by PID, so a crashed test never wedges the next run.
 */

const HOME = join(tmpdir(), 'stowage-radosgw');
const LOCK = join(HOME, 'lock');
const STATE = join(HOME, 'state.json');
const USERS = join(HOME, 'users');

/** Skip locally when Ceph is not installed; in CI a missing binary is a failure, never a skip. */
export function radosgwSkipReason(): string | false {
  const missing = missingCephBinaries();
  if (missing.length === 0) return false;
  const reason = `Ceph binaries missing (${missing.join(', ')}); install the packages in .ci/apt-packages`;
  if (process.env.CI === 'true') throw new Error(reason);
  return reason;
}

async function withLock<T>(body: () => Promise<T>): Promise<T> {
  mkdirSync(HOME, { recursive: true });
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      mkdirSync(LOCK);
      writeFileSync(join(LOCK, 'pid'), String(process.pid));
      break;
    } catch {
      const holder = Number(readOr(join(LOCK, 'pid'), '0'));
      if (holder > 0 && !isAlive(holder)) rmSync(LOCK, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`radosgw lock ${LOCK} held too long by pid ${holder}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  try {
    return await body();
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}

function readOr(path: string, fallback: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return fallback;
  }
}

function liveUsers(): number[] {
  mkdirSync(USERS, { recursive: true });
  const users = readdirSync(USERS).map(Number);
  for (const pid of users.filter((p) => !isAlive(p))) rmSync(join(USERS, String(pid)), { force: true });
  return users.filter(isAlive);
}

function healthy(state: ClusterState): boolean {
  return [state.monPid, state.osdPid, state.gateway.pid].every(isAlive);
}

/** A test's handle on the shared cluster. */
export interface Radosgw {
  readonly state: ClusterState;
  readonly endpoint: string;
  /** A fresh, empty bucket on the shared gateway. */
  createBucket(): Promise<string>;
  /** Backend settings for `bucket` through `endpoint` (the shared gateway unless given). */
  config(bucket: string, overrides?: Partial<S3BackendConfig>): S3BackendConfig;
  /** A second radosgw user with its own keys, who owns none of the test buckets. */
  createUser(): { uid: string; accessKeyId: string; secretAccessKey: string };
  /** An extra gateway on the same cluster that this test alone may stop and restart. */
  startGateway(port?: number): Promise<Gateway>;
  /** Stops such a gateway by its PID (SIGTERM, then SIGKILL). */
  stopGateway(gateway: Gateway): Promise<void>;
  release(): Promise<void>;
}

let counter = 0;

/** Joins (or starts) the machine's shared cluster; call `release()` in the test file's `after`. */
export async function acquireRadosgw(): Promise<Radosgw> {
  const state = await withLock(async () => {
    let current = JSON.parse(readOr(STATE, 'null')) as ClusterState | null;
    if (current && !healthy(current)) {
      await stopCluster(current);
      current = null;
    }
    if (!current) {
      current = await startCluster();
      writeFileSync(STATE, JSON.stringify(current));
    }
    liveUsers();
    writeFileSync(join(USERS, String(process.pid)), '');
    return current;
  });
  const gateways: number[] = [];
  const admin = new S3Client({
    endpoint: state.gateway.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: state.accessKeyId, secretAccessKey: state.secretAccessKey },
  });
  const config = (bucket: string, overrides: Partial<S3BackendConfig> = {}): S3BackendConfig => ({
    endpoint: state.gateway.endpoint,
    region: 'us-east-1',
    bucket,
    forcePathStyle: true,
    credentials: { accessKeyId: state.accessKeyId, secretAccessKey: state.secretAccessKey },
    checksumMode: 'when_required',
    ...overrides,
  });
  return {
    state,
    endpoint: state.gateway.endpoint,
    config,
    async createBucket() {
      const bucket = `t-${process.pid}-${counter++}-${randomBytes(3).toString('hex')}`;
      await admin.send(new CreateBucketCommand({ Bucket: bucket }));
      return bucket;
    },
    async startGateway(port) {
      const gateway = await startGateway(state, `t${process.pid}x${counter++}`, port);
      gateways.push(gateway.pid);
      return gateway;
    },
    createUser() {
      const uid = `u${process.pid}x${counter++}`;
      const credentials = {
        accessKeyId: `STOWAGEOTHER${randomBytes(4).toString('hex').toUpperCase()}`,
        secretAccessKey: randomBytes(20).toString('hex'),
      };
      execFileSync(
        'radosgw-admin',
        [
          '-c',
          state.conf,
          'user',
          'create',
          `--uid=${uid}`,
          `--display-name=${uid}`,
          `--access-key=${credentials.accessKeyId}`,
          `--secret=${credentials.secretAccessKey}`,
        ],
        { stdio: 'ignore' },
      );
      return { uid, ...credentials };
    },
    async stopGateway(gateway) {
      await stopPid(gateway.pid);
    },
    async release() {
      admin.destroy();
      for (const pid of gateways) await stopPid(pid);
      await withLock(async () => {
        rmSync(join(USERS, String(process.pid)), { force: true });
        if (liveUsers().length === 0) {
          await stopCluster(state);
          rmSync(STATE, { force: true });
        }
      });
    },
  };
}

/**
 * Two S3 instances in one fresh bucket, under the prefixes `stowage/a` and `stowage/b`: what the
 * suites use for a provider with two instances (cross-instance isolation is prefix isolation).
 */
export async function twoPrefixInstances(radosgw: Radosgw): Promise<{
  bucket: string;
  configs: readonly [S3BackendConfig, S3BackendConfig];
  names: readonly [string, string];
}> {
  const bucket = await radosgw.createBucket();
  const configs = [
    radosgw.config(bucket, { prefix: 'stowage/a' }),
    radosgw.config(bucket, { prefix: 'stowage/b' }),
  ] as const;
  return { bucket, configs, names: [s3InstanceName(configs[0]), s3InstanceName(configs[1])] };
}
