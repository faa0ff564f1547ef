import { runtimeTarget } from './runtime-target.js';
import { describeConformance } from './suite.js';

// Each provider's memory backends live in its workers and die with them: nothing survives reopen.
describeConformance(
  runtimeTarget('memory (runtime)', false, async () => ({
    configs: [
      { kind: 'memory', name: 'a' },
      { kind: 'memory', name: 'b' },
    ],
    async dispose() {},
  })),
);
