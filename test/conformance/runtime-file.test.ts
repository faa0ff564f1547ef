import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileBackend } from '../../src/index.js';
import { runtimeTarget } from './runtime-target.js';
import { describeConformance } from './suite.js';

describeConformance(
  runtimeTarget('file (runtime)', true, async () => {
    const root = await mkdtemp(join(tmpdir(), 'stowage-runtime-file-'));
    const [local, nfs] = [join(root, 'local'), join(root, 'nfs')];
    return {
      configs: [
        { kind: 'file', dir: local },
        { kind: 'file', dir: nfs },
      ],
      openRawBackend: () => new FileBackend(local),
      dispose: () => rm(root, { recursive: true, force: true }),
    };
  }),
);
