import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { filesUnder } from './file-target.js';
import { runtimeTarget } from './runtime-target.js';
import { describeSecretCases } from './suite.js';

// Memory backends live in their worker and die with it: no reopen, and no bytes the test can see.
// Each case starts workers, so memory runs a subset here; file through the runtime runs them all.
describeSecretCases(
  runtimeTarget('memory (runtime)', { persistent: false, rawStorage: false }, async () => ({
    configs: [
      { kind: 'memory', name: 'secrets-a' },
      { kind: 'memory', name: 'secrets-b' },
    ],
    async dispose() {},
  })),
  /round-trip|swapped|rotation: add key2/,
);

describeSecretCases(
  runtimeTarget('file (runtime)', { persistent: true, rawStorage: true }, async () => {
    const root = await mkdtemp(join(tmpdir(), 'stowage-secrets-rt-'));
    return {
      configs: [
        { kind: 'file', dir: join(root, 'a') },
        { kind: 'file', dir: join(root, 'b') },
      ],
      // The default compaction threshold (64 MiB) is never reached here, so no file moves under the read.
      rawBytes: async () => Promise.all((await filesUnder(root)).map((file) => readFile(file))),
      dispose: () => rm(root, { recursive: true, force: true }),
    };
  }),
);
