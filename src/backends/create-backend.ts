import type { Backend } from './backend.js';
import type { BackendConfig } from './factory.js';
import { FileBackend } from './file/file-backend.js';
import { MemoryBackend } from './memory.js';

/**
 * Builds a backend from its plain-data description, in the thread where its state will live (an
 * actor's worker). The S3 backend, and the AWS SDK with it, is imported only when an S3 instance is
 * built. Loading it in every worker made starting a worker and opening a memory instance take
 * 160–170 ms instead of 50–55 ms from dist/ (240–280 instead of about 105 under tsx), and every
 * actor restart pays that start.
 *
 * A file instance's worker serves nothing but that instance, so its log writes and syncs block the
 * worker instead of handing each batch to libuv's thread pool and back (FileBackendOptions.blockingIo).
 */
export async function createBackend(config: BackendConfig): Promise<Backend> {
  switch (config.kind) {
    case 'memory':
      return new MemoryBackend();
    case 's3': {
      const { S3Backend } = await import('./s3/s3-backend.js');
      return new S3Backend(config);
    }
    case 'file':
      return new FileBackend(config.dir, {
        compactMinBytes: config.compactMinBytes,
        compactGarbageRatio: config.compactGarbageRatio,
        logSync: config.logSync,
        create: config.create,
        blockingIo: true,
      });
  }
}
