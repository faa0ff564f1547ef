import { after, before, describe } from 'node:test';
import { acquireRadosgw, type Radosgw, radosgwSkipReason } from '../helpers/radosgw.js';
import { s3Target } from './s3-target.js';
import { describeConformance } from './suite.js';

const skip = radosgwSkipReason();
let radosgw: Radosgw | undefined;

describe('s3 conformance against radosgw', { skip }, () => {
  before(async () => {
    radosgw = await acquireRadosgw();
  });
  after(() => radosgw?.release());
  describeConformance(s3Target(() => radosgw!));
});
