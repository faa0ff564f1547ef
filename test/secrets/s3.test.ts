import { after, before, describe } from 'node:test';
import { acquireRadosgw, type Radosgw, radosgwSkipReason } from '../helpers/radosgw.js';
import { runtimeTarget } from './runtime-target.js';
import { bucketBytes, s3Target } from './s3-target.js';
import { describeSecretCases } from './suite.js';

const skip = radosgwSkipReason();
let radosgw: Radosgw | undefined;

describe('secrets on s3 against radosgw', { skip }, () => {
  before(async () => {
    radosgw = await acquireRadosgw();
  });
  after(() => radosgw?.release());
  describeSecretCases(s3Target(() => radosgw!));
  // Through the runtime a subset: the S3 backend in a worker, records crossing threads as ciphertext.
  describeSecretCases(
    runtimeTarget('s3 (runtime, radosgw)', { persistent: true, rawStorage: true }, async () => {
      const bucket = await radosgw!.createBucket();
      return {
        configs: [
          { kind: 's3', ...radosgw!.config(bucket, { prefix: 'stowage/a' }) },
          { kind: 's3', ...radosgw!.config(bucket, { prefix: 'stowage/b' }) },
        ],
        rawBytes: () => bucketBytes(radosgw!, bucket),
        async dispose() {},
      };
    }),
    /round-trip|swapped|rotation: add key2|raw storage|survive/,
  );
});
