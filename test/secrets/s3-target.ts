import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { S3Backend } from '../../src/index.js';
import { type Radosgw, twoPrefixInstances } from '../helpers/radosgw.js';
import { openLocal, type SecretTarget } from './target.js';

/** Every object in the bucket, read with a plain SDK client: what a copy of the bucket would hold. */
export async function bucketBytes(radosgw: Radosgw, bucket: string): Promise<Buffer[]> {
  const client = new S3Client({
    endpoint: radosgw.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: radosgw.state.accessKeyId, secretAccessKey: radosgw.state.secretAccessKey },
  });
  try {
    const bodies: Buffer[] = [];
    let token: string | undefined;
    do {
      const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
      for (const { Key } of page.Contents ?? []) {
        const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key }));
        // The key is part of what is stored, so it is searched too.
        bodies.push(Buffer.from(Key ?? ''), Buffer.from(await object.Body!.transformToByteArray()));
      }
      token = page.NextContinuationToken;
    } while (token);
    return bodies;
  } finally {
    client.destroy();
  }
}

/** The S3 backend through LocalProvider on the shared radosgw: a fresh bucket, two prefixes in it. */
export function s3Target(radosgw: () => Radosgw): SecretTarget {
  return {
    name: 's3 (LocalProvider, radosgw)',
    persistent: true,
    rawStorage: true,
    async createStorage() {
      const { bucket, configs, names } = await twoPrefixInstances(radosgw());
      return {
        open: () => openLocal(names, () => configs.map((config) => new S3Backend(config))),
        rawBytes: () => bucketBytes(radosgw(), bucket),
        async dispose() {},
      };
    },
  };
}
