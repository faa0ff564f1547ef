import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileBackend } from '../../src/backends/file/file-backend.js';
import { instanceName } from '../../src/index.js';
import { openLocal, type SecretTarget } from './target.js';

/** Every regular file under `dir`, recursively: logs, snapshots, lock, probe files, anything. */
export async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));
}

async function readAll(root: string): Promise<Buffer[]> {
  return Promise.all((await filesUnder(root)).map((file) => readFile(file)));
}

/** The file backend through LocalProvider, two instances in two directories of one temporary root. */
export const fileTarget: SecretTarget = {
  name: 'file (LocalProvider)',
  persistent: true,
  rawStorage: true,
  async createStorage() {
    const root = await mkdtemp(join(tmpdir(), 'stowage-secrets-file-'));
    const dirs = [join(root, 'a'), join(root, 'b')];
    const names = [instanceName('file', dirs[0]!), instanceName('file', dirs[1]!)] as const;
    let open: FileBackend[] = [];
    return {
      dir: dirs[0]!,
      open: () =>
        openLocal(names, () => {
          open = dirs.map((dir) => new FileBackend(dir));
          return open;
        }),
      /**
       * The files as written (the log, with every overwritten version), then again after a forced
       * compaction, so the search also covers snapshots. Compaction is explicit, never racing a read.
       */
      async rawBytes() {
        const logs = await readAll(root);
        await Promise.all(open.map((backend) => backend.compact()));
        const compacted = await readAll(root);
        if (open.some((backend) => backend.stats().compactions === 0))
          throw new Error('compaction did not run');
        return [...logs, ...compacted];
      },
      dispose: () => rm(root, { recursive: true, force: true }),
    };
  },
};
