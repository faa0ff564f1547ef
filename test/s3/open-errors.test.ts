import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { freePort } from '../../scripts/radosgw/cluster.js';
import {
  MachineId,
  type ObjectKey,
  S3AccessDeniedError,
  S3Backend,
  type S3BackendConfig,
  S3BadCredentialsError,
  S3NoSuchBucketError,
  S3UnreachableError,
  type StowageError,
} from '../../src/index.js';
import { acquireRadosgw, type Radosgw, radosgwSkipReason } from '../helpers/radosgw.js';

const skip = radosgwSkipReason();
let radosgw: Radosgw;
let bucket: string;

async function openFails(config: S3BackendConfig, expected: new (...args: never[]) => StowageError) {
  const backend = new S3Backend(config);
  try {
    await assert.rejects(backend.open(MachineId.generate()), (error: unknown) => {
      assert.ok(error instanceof expected, `expected ${expected.name}, got ${error}`);
      assert.equal((error as StowageError).details.operation, 'open');
      // A HEAD's 403 has no body: the code comes from the listing that explains it, not "Unknown".
      assert.notEqual((error as StowageError).details.awsCode, 'Unknown', String(error));
      return true;
    });
  } finally {
    await backend.close();
  }
}

/** Runs `body` with some environment variables set (or removed), then restores them. */
async function withEnvironment(vars: Record<string, string | undefined>, body: () => Promise<void>) {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  const apply = (values: Record<string, string | undefined>) => {
    for (const [k, v] of Object.entries(values)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
  apply(vars);
  try {
    await body();
  } finally {
    apply(saved);
  }
}

describe('s3 open(): a clear typed error for each way the bucket is unusable', { skip }, () => {
  before(async () => {
    radosgw = await acquireRadosgw();
    bucket = await radosgw.createBucket();
  });
  after(() => radosgw?.release());

  test('a usable bucket opens, and probe passes', async () => {
    const backend = new S3Backend(radosgw.config(bucket));
    try {
      await backend.open(MachineId.generate());
      await backend.probe();
    } finally {
      await backend.close();
    }
  });

  test('a missing bucket is STOWAGE_S3_NO_SUCH_BUCKET, for open and for probe', async () => {
    await openFails(radosgw.config('no-such-bucket-here'), S3NoSuchBucketError);
    const backend = new S3Backend(radosgw.config('no-such-bucket-here'));
    await assert.rejects(backend.probe(), S3NoSuchBucketError);
    await backend.close();
  });

  test('a delete against a missing bucket is STOWAGE_S3_NO_SUCH_BUCKET, not "there was nothing to delete"', async () => {
    const backend = new S3Backend(radosgw.config('no-such-bucket-here'));
    try {
      await assert.rejects(
        backend.delete({ group: '', version: 'v1', kind: 'ConfigMap' }, 'default/x' as ObjectKey),
        S3NoSuchBucketError,
      );
    } finally {
      await backend.close();
    }
  });

  test('another user without rights to the bucket is STOWAGE_S3_ACCESS_DENIED', async () => {
    const { accessKeyId, secretAccessKey } = radosgw.createUser();
    await openFails(
      radosgw.config(bucket, { credentials: { accessKeyId, secretAccessKey } }),
      S3AccessDeniedError,
    );
  });

  test('an unknown access key or a wrong secret is STOWAGE_S3_BAD_CREDENTIALS', async () => {
    const { accessKeyId, secretAccessKey } = radosgw.state;
    await openFails(
      radosgw.config(bucket, { credentials: { accessKeyId: 'NOSUCHACCESSKEY00000', secretAccessKey } }),
      S3BadCredentialsError,
    );
    await openFails(
      radosgw.config(bucket, { credentials: { accessKeyId, secretAccessKey: 'wrong-secret-0000000000' } }),
      S3BadCredentialsError,
    );
  });

  test("a delete with an unknown access key or a wrong secret is STOWAGE_S3_BAD_CREDENTIALS too, not the HEAD's bodiless 403", async () => {
    const { accessKeyId, secretAccessKey } = radosgw.state;
    for (const credentials of [
      { accessKeyId: 'NOSUCHACCESSKEY00000', secretAccessKey },
      { accessKeyId, secretAccessKey: 'wrong-secret-0000000000' },
    ]) {
      const backend = new S3Backend(radosgw.config(bucket, { credentials }));
      try {
        await assert.rejects(
          backend.delete({ group: '', version: 'v1', kind: 'ConfigMap' }, 'default/x' as ObjectKey),
          S3BadCredentialsError,
        );
      } finally {
        await backend.close();
      }
    }
  });

  test('without configured credentials, the default chain is used: here, the environment', async () => {
    const { accessKeyId, secretAccessKey } = radosgw.state;
    await withEnvironment(
      { AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey },
      async () => {
        const backend = new S3Backend({ ...radosgw.config(bucket), credentials: undefined });
        try {
          await backend.open(MachineId.generate());
        } finally {
          await backend.close();
        }
      },
    );
  });

  test('an empty default chain is STOWAGE_S3_BAD_CREDENTIALS', async () => {
    // Files that do not exist and no instance metadata: nothing leaves loopback, nothing is found.
    const nowhere = '/nonexistent/stowage-test/aws';
    await withEnvironment(
      {
        AWS_ACCESS_KEY_ID: undefined,
        AWS_SECRET_ACCESS_KEY: undefined,
        AWS_SESSION_TOKEN: undefined,
        AWS_PROFILE: undefined,
        AWS_CONFIG_FILE: `${nowhere}/config`,
        AWS_SHARED_CREDENTIALS_FILE: `${nowhere}/credentials`,
        AWS_EC2_METADATA_DISABLED: 'true',
        AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: undefined,
        AWS_CONTAINER_CREDENTIALS_FULL_URI: undefined,
        AWS_WEB_IDENTITY_TOKEN_FILE: undefined,
      },
      () => openFails({ ...radosgw.config(bucket), credentials: undefined }, S3BadCredentialsError),
    );
  });

  test('an endpoint nobody listens on is STOWAGE_S3_UNREACHABLE, after the configured attempts', async () => {
    const port = await freePort();
    const backend = new S3Backend(
      radosgw.config(bucket, { endpoint: `http://127.0.0.1:${port}`, maxAttempts: 2 }),
    );
    try {
      await assert.rejects(backend.open(MachineId.generate()), (error: unknown) => {
        assert.ok(error instanceof S3UnreachableError, String(error));
        assert.equal(error.details.awsCode, 'ECONNREFUSED');
        assert.equal(error.details.attempts, 2);
        return true;
      });
    } finally {
      await backend.close();
    }
  });
});
