import { fileTarget } from './file-target.js';
import { describeConformance } from './suite.js';

describeConformance(fileTarget());
// Tiny thresholds make compaction run constantly underneath the same cases.
describeConformance(
  fileTarget('file (compacting constantly)', { compactMinBytes: 1, compactGarbageRatio: 0 }),
);
