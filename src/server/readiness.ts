import type { PersistenceProvider } from '../contract/types.js';

export interface InstanceReadiness {
  readonly name: string;
  readonly up: boolean;
  readonly mean_persist_latency: number;
}

/** Ready when every instance is initialized and up; the detail says which are not. */
export function readiness(provider: PersistenceProvider): { ready: boolean; instances: InstanceReadiness[] } {
  const instances = provider.instances().map((name) => {
    const status = provider.instanceStatus(name);
    return { name, up: status.status, mean_persist_latency: status.meanPersistLatency };
  });
  return { ready: instances.every((i) => i.up), instances };
}
