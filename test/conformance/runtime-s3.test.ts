import { after, before, describe } from 'node:test';
import { S3Backend } from '../../src/index.js';
import { acquireRadosgw, type Radosgw, radosgwSkipReason, twoPrefixInstances } from '../helpers/radosgw.js';
import { runtimeTarget } from './runtime-target.js';
import { describeConformance } from './suite.js';

const skip = radosgwSkipReason();
let radosgw: Radosgw | undefined;

describe('s3 conformance through the runtime, against radosgw', { skip }, () => {
  before(async () => {
    radosgw = await acquireRadosgw();
  });
  after(() => radosgw?.release());
  describeConformance(
    runtimeTarget('s3 (runtime, radosgw)', true, async () => {
      const {
        configs: [a, b],
      } = await twoPrefixInstances(radosgw!);
      return {
        configs: [
          { kind: 's3', ...a },
          { kind: 's3', ...b },
        ],
        openRawBackend: () => new S3Backend(a),
        async dispose() {},
      };
    }),
  );
});
