import { backendConfigOf, openStowage } from '../app/open-stowage.js';
import { backendInstanceName } from '../backends/factory.js';
import type { StowageConfig } from '../config/schema.js';
import { DEFAULT_MAX_OBJECT_BYTES } from '../objects/codec.js';
import { type CliTarget, localTarget, resolveInstance } from './target.js';

/**
 * Opens the configuration in this process for one CLI verb; every instance must initialize.
 * `creates` names the instances the verb may create (`default` allowed), or 'all' (as
 * configured): every other file instance is opened with create: false, so a verb that finds one
 * not there (a directory on a filesystem that is not mounted, a wrong path) fails instead of
 * making an empty one, which the next status would report up.
 */
export async function openLocalTarget(
  config: StowageConfig,
  creates: readonly string[] | 'all',
): Promise<CliTarget> {
  const names = config.instances.map((instance) => backendInstanceName(backendConfigOf(instance)));
  const created = new Set(
    creates === 'all' ? names : creates.map((instance) => resolveInstance(names, instance)),
  );
  const instances = config.instances.map((instance, i) =>
    instance.kind === 'file' && !created.has(names[i] as string) ? { ...instance, create: false } : instance,
  );
  const stowage = await openStowage(
    { ...config, instances, metrics: { enabled: false } },
    { requireAll: true },
  );
  return localTarget(
    stowage.provider,
    stowage.secrets,
    () => stowage.close(),
    config.limits.maxObjectBytes ?? DEFAULT_MAX_OBJECT_BYTES,
  );
}
