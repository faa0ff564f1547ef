import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ListObjectsV2Command, PutBucketPolicyCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { S3_READ_FLOOR_BYTES } from '../../src/backends/s3/s3-backend.js';
import {
  CorruptObjectError,
  gvk,
  LocalProvider,
  MachineId,
  type ObjectKey,
  S3AccessDeniedError,
  S3Backend,
  s3InstanceName,
} from '../../src/index.js';
import { makeObject } from '../helpers/objects.js';
import { acquireRadosgw, type Radosgw, radosgwSkipReason } from '../helpers/radosgw.js';

const CONFIG_MAP = gvk('', 'v1', 'ConfigMap');
const skip = radosgwSkipReason();
let radosgw: Radosgw;
let admin: S3Client;

async function keysIn(bucket: string): Promise<string[]> {
  const page = await admin.send(new ListObjectsV2Command({ Bucket: bucket }));
  return (page.Contents ?? []).map((c) => c.Key!).sort();
}

describe('s3 key layout, open() writability check, and two instances in one provider', { skip }, () => {
  before(async () => {
    radosgw = await acquireRadosgw();
    const { accessKeyId, secretAccessKey } = radosgw.state;
    admin = new S3Client({
      endpoint: radosgw.endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId, secretAccessKey },
    });
  });
  after(async () => {
    admin?.destroy();
    await radosgw?.release();
  });

  test('objects land under the DESIGN.md §3 keys, and open() leaves no marker behind', async () => {
    const bucket = await radosgw.createBucket();
    const backend = new S3Backend(radosgw.config(bucket, { prefix: 'cp/prod' }));
    const provider = new LocalProvider([{ name: 's3-x', backend }]);
    await provider.initialize(MachineId.generate());
    assert.deepEqual(await keysIn(bucket), [], 'the writability marker was removed');
    await provider.putObject(provider.instances()[0]!, makeObject({ name: 'a', namespace: 'default' }));
    await provider.putObject(
      provider.instances()[0]!,
      makeObject({ apiVersion: 'cluster.x-k8s.io/v1beta1', kind: 'Cluster', name: 'c1' }),
    );
    assert.deepEqual(await keysIn(bucket), [
      'cp/prod/cluster.x-k8s.io/v1beta1/Cluster/_cluster/c1.json',
      'cp/prod/core/v1/ConfigMap/default/a.json',
    ]);
    await provider.close();
  });

  test('a bucket that can be read but not written fails open() with STOWAGE_S3_ACCESS_DENIED', async () => {
    const bucket = await radosgw.createBucket();
    const reader = radosgw.createUser();
    const policy = {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { AWS: [`arn:aws:iam:::user/${reader.uid}`] },
          Action: ['s3:ListBucket', 's3:GetObject'],
          Resource: [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/*`],
        },
      ],
    };
    await admin.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: JSON.stringify(policy) }));
    const { accessKeyId, secretAccessKey } = reader;
    const backend = new S3Backend(radosgw.config(bucket, { credentials: { accessKeyId, secretAccessKey } }));
    try {
      await backend.probe();
      await assert.rejects(backend.open(MachineId.generate()), (error: unknown) => {
        assert.ok(error instanceof S3AccessDeniedError, String(error));
        assert.match(String(error.details.key), /_stowage\/open-check-/);
        return true;
      });
    } finally {
      await backend.close();
    }
  });

  test('two instances in two buckets behind one provider are separate stores with separate names', async () => {
    const configs = [
      radosgw.config(await radosgw.createBucket()),
      radosgw.config(await radosgw.createBucket()),
    ];
    const names = configs.map(s3InstanceName);
    assert.notEqual(names[0], names[1]);
    const provider = new LocalProvider(
      configs.map((c, i) => ({ name: names[i]!, backend: new S3Backend(c) })),
    );
    try {
      await provider.initialize(MachineId.generate());
      assert.deepEqual(provider.instances().sort(), [...names].sort());
      const [a, b] = names as [string, string];
      await provider.putObject(a, makeObject({ name: 'shared', namespace: 'default', data: { in: 'a' } }));
      await provider.putObject(b, makeObject({ name: 'shared', namespace: 'default', data: { in: 'b' } }));
      assert.equal(await provider.deleteObject(a, CONFIG_MAP, 'default/shared'), true);
      assert.equal(await provider.getObject(a, CONFIG_MAP, 'default/shared'), undefined);
      assert.deepEqual((await provider.getObject(b, CONFIG_MAP, 'default/shared'))?.data, { in: 'b' });
      assert.equal(provider.instanceStatus(a).status, true);
      assert.equal(provider.instanceStatus(b).status, true);
    } finally {
      await provider.close();
    }
  });

  test('kinds() skips names that are no GVK (here an instance nested under its prefix) instead of failing', async () => {
    const bucket = await radosgw.createBucket();
    const root = new S3Backend(radosgw.config(bucket));
    const nested = new S3Backend(radosgw.config(bucket, { prefix: 'prod' }));
    try {
      await root.open(MachineId.generate());
      await nested.open(MachineId.generate());
      const bytes = Buffer.from('{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a"}}');
      await root.put(CONFIG_MAP, 'a' as ObjectKey, bytes);
      // Stored as prod/example.com/v1/Thing/…: to the root instance "group prod, version
      // example.com", which is no version at all. Before, that made every kinds() call fail.
      await nested.put(gvk('example.com', 'v1', 'Thing'), 'a' as ObjectKey, bytes);
      assert.deepEqual(await root.kinds(), [CONFIG_MAP]);
    } finally {
      await root.close();
      await nested.close();
    }
  });
  test('an empty "folder" key a console made under a kind is skipped by listings; another foreign key is still refused', async () => {
    const bucket = await radosgw.createBucket();
    const backend = new S3Backend(radosgw.config(bucket, { prefix: 'cp' }));
    try {
      await backend.open(MachineId.generate());
      const bytes = Buffer.from(
        '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a","namespace":"default"}}',
      );
      await backend.put(CONFIG_MAP, 'default/a' as ObjectKey, bytes);
      // What "Create folder" makes. Before, it made every listing of the kind fail.
      await admin.send(
        new PutObjectCommand({ Bucket: bucket, Key: 'cp/core/v1/ConfigMap/default/', Body: '' }),
      );
      const listed = async () => {
        const keys: string[] = [];
        for await (const record of backend.list(CONFIG_MAP)) keys.push(record.key);
        return keys;
      };
      assert.deepEqual(await listed(), ['default/a']);
      await admin.send(
        new PutObjectCommand({ Bucket: bucket, Key: 'cp/core/v1/ConfigMap/default/notes.txt', Body: 'x' }),
      );
      // The message names the key, so the operator can find it: it named neither key nor kind.
      await assert.rejects(listed(), (error: unknown) => {
        assert.ok(error instanceof CorruptObjectError, String(error));
        assert.match(
          error.message,
          /"cp\/core\/v1\/ConfigMap\/default\/notes\.txt" under the prefix of kind core\/v1\/ConfigMap/,
        );
        assert.equal(error.details.where, 'cp/core/v1/ConfigMap/default/notes.txt');
        return true;
      });
    } finally {
      await backend.close();
    }
  });
  test("kinds() counts a path shaped like a kind only once a key under it is one stowage writes: another tool's folder and an empty console folder are no kinds", async () => {
    const bucket = await radosgw.createBucket();
    const backend = new S3Backend(radosgw.config(bucket, { prefix: 'cp' }));
    const provider = new LocalProvider([{ name: 's3-kinds', backend }]);
    try {
      await provider.initialize(MachineId.generate());
      const instance = provider.instances()[0]!;
      await provider.putObject(instance, makeObject({ name: 'a', namespace: 'default' }));
      const plant = (Key: string, Body: string) =>
        admin.send(new PutObjectCommand({ Bucket: bucket, Key, Body }));
      // Another tool's backups beside the groups: before, "backups/v1/Snapshot" was listed as a
      // kind, and every dump, copy and verify of the instance failed on its file.
      await plant('cp/backups/v1/Snapshot/2026-11-30.tar', 'tar');
      await plant('cp/apps/v1/Deployment/', '');
      // A foreign key that sorts before the real one does not hide the kind.
      await plant('cp/core/v1/ConfigMap/default/0-notes.txt', 'x');
      assert.deepEqual(await backend.kinds(), [CONFIG_MAP]);
      assert.deepEqual(await provider.listKinds(instance), [CONFIG_MAP]);
    } finally {
      await provider.close();
    }
  });
  test('an object larger than the bound on reads, planted by another tool, is refused unread; the backend goes on serving', async () => {
    const bucket = await radosgw.createBucket();
    const backend = new S3Backend(radosgw.config(bucket, { prefix: 'cp' }));
    try {
      await backend.open(MachineId.generate(), { maxObjectBytes: 1024 });
      const key = 'default/huge' as ObjectKey;
      const huge = Buffer.alloc(S3_READ_FLOOR_BYTES + 1, 0x20);
      await admin.send(
        new PutObjectCommand({ Bucket: bucket, Key: 'cp/core/v1/ConfigMap/default/huge.json', Body: huge }),
      );
      // Before, it was read whole: 200 MiB took 2.5 s and 230 MiB of memory, 32 at once in a listing.
      await assert.rejects(backend.get(CONFIG_MAP, key), (error: unknown) => {
        assert.ok(error instanceof CorruptObjectError, String(error));
        assert.equal(error.details.bytes, S3_READ_FLOOR_BYTES + 1);
        return true;
      });
      await assert.rejects(async () => {
        for await (const _ of backend.list(CONFIG_MAP)) {
          // drain
        }
      }, CorruptObjectError);
      const bytes = Buffer.from(
        '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a","namespace":"default"}}',
      );
      await backend.put(CONFIG_MAP, 'default/a' as ObjectKey, bytes);
      assert.deepEqual(Buffer.from((await backend.get(CONFIG_MAP, 'default/a' as ObjectKey))!), bytes);
    } finally {
      await backend.close();
    }
  });
});
