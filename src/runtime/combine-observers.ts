import type { RuntimeObserver } from './observer.js';

/** Every hook, so that a combined observer forwards each one, and whether a runtime calls it unchecked. */
const HOOKS: Record<keyof RuntimeObserver, 'required' | 'optional'> = {
  operationCompleted: 'required',
  queueWaited: 'required',
  queueRejected: 'required',
  actorRestarted: 'required',
  probed: 'required',
  opened: 'optional',
  compactionChecked: 'optional',
  instanceStateChanged: 'optional',
};

/**
 * One observer that hands every event to each of `observers` in turn (the metrics and the log of
 * `stowage serve`, say), each implementing only the hooks it wants; undefined when there are none.
 * A single observer with every required hook is returned as it is: the hot path's hooks run per
 * operation, and a forwarding call costs each of them.
 */
export function combineObservers(
  ...observers: (Partial<RuntimeObserver> | undefined)[]
): RuntimeObserver | undefined {
  const present = observers.filter((observer) => observer !== undefined);
  const [only] = present;
  if (only === undefined) return undefined;
  const hooks = Object.keys(HOOKS) as (keyof RuntimeObserver)[];
  if (present.length === 1 && hooks.every((hook) => HOOKS[hook] === 'optional' || only[hook] !== undefined)) {
    return only as RuntimeObserver;
  }
  const combined: Record<string, (...args: never[]) => void> = {};
  for (const hook of hooks) {
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
