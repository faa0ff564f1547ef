import type { ConformanceTarget, OpenedProvider, Storage } from './target.js';

/** Runs `body` against a freshly opened provider over fresh storage, and always cleans up. */
export async function withProvider(
  target: ConformanceTarget,
  body: (opened: OpenedProvider, storage: Storage) => Promise<void>,
  options?: { maxObjectBytes?: number },
): Promise<void> {
  const storage = await target.createStorage();
  let opened: OpenedProvider | undefined;
  try {
    opened = await storage.openProvider(options);
    await body(opened, storage);
  } finally {
    await opened?.provider.close();
    await storage.dispose();
  }
}
