import { openStowage } from '../app/open-stowage.js';
import type { StowageConfig } from '../config/schema.js';
import { DEFAULT_MAX_OBJECT_BYTES } from '../objects/codec.js';
import { type CliTarget, localTarget } from './target.js';

/** Opens the configuration in this process for one CLI verb; every instance must initialize. */
export async function openLocalTarget(config: StowageConfig): Promise<CliTarget> {
  const stowage = await openStowage({ ...config, metrics: { enabled: false } }, { requireAll: true });
  return localTarget(
    stowage.provider,
    stowage.secrets,
    () => stowage.close(),
    config.limits.maxObjectBytes ?? DEFAULT_MAX_OBJECT_BYTES,
  );
}
