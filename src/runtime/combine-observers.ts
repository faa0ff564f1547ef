import type { RuntimeObserver } from './observer.js';

/** Every hook, required or optional, so that a combined observer forwards each one. */
const HOOKS: Record<keyof RuntimeObserver, true> = {
  operationCompleted: true,
  queueWaited: true,
  queueRejected: true,
  actorRestarted: true,
  probed: true,
  opened: true,
  compactionChecked: true,
  instanceStateChanged: true,
};

/**
 * One observer that hands every event to each of `observers` in turn (the metrics and the log of
 * `stowage serve`, say), each implementing only the hooks it wants; undefined when there are none.
 */
export function combineObservers(
  ...observers: (Partial<RuntimeObserver> | undefined)[]
): RuntimeObserver | undefined {
  const present = observers.filter((observer) => observer !== undefined);
  if (present.length === 0) return undefined;
  const combined: Record<string, (...args: never[]) => void> = {};
  for (const hook of Object.keys(HOOKS) as (keyof RuntimeObserver)[]) {
    const handlers = present.flatMap((observer) => {
      const handler = observer[hook] as ((...args: never[]) => void) | undefined;
      return handler ? [handler.bind(observer)] : [];
    });
    combined[hook] = (...args) => {
      for (const handler of handlers) handler(...args);
    };
  }
  return combined as unknown as RuntimeObserver;
}
