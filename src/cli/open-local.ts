import { backendConfigOf, openStowage } from '../app/open-stowage.js';
import { backendInstanceName } from '../backends/factory.js';
import type { StowageConfig } from '../config/schema.js';
import { UnknownInstanceError } from '../errors/index.js';
import { DEFAULT_MAX_OBJECT_BYTES } from '../objects/codec.js';
import type { InstancesUsed } from './arguments.js';
import { type CliTarget, localTarget, refuseOneInstance, resolveInstance } from './target.js';

/**
 * Opens, in this process, the instances of the configuration one CLI verb works on (`used`); each
 * must initialize. The others stay closed: an S3 store that is down, or a directory on a mount
 * that is not there, cannot fail a verb on another instance, and is not created by it. Of those
 * opened, file instances the verb may not create are opened with create: false, so a verb that
 * finds one not there fails instead of making an empty one, which the next status would report up.
 * A verb that needs two different instances given one twice is refused before anything is opened.
 * The configuration's order is kept, so `default` stays its first instance.
 */
export async function openLocalTarget(config: StowageConfig, used: InstancesUsed): Promise<CliTarget> {
  const names = config.instances.map((instance) => backendInstanceName(backendConfigOf(instance)));
  const resolved = (list: readonly string[]) =>
    new Set(list.map((instance) => resolveInstance(names, instance)));
  const opened = used.opened === 'all' ? new Set(names) : resolved(used.opened);
  const unknown = [...opened].find((name) => !names.includes(name));
  if (unknown !== undefined) throw UnknownInstanceError.named(unknown);
  if (used.distinct !== undefined && used.opened !== 'all')
    refuseOneInstance(names, used.opened[0] ?? '', used.opened[1] ?? '', used.distinct);
  const created = resolved(used.created);
  const instances = config.instances.flatMap((instance, i) => {
    const name = names[i] as string;
    if (!opened.has(name)) return [];
    return instance.kind === 'file' && !created.has(name) ? [{ ...instance, create: false }] : [instance];
  });
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
