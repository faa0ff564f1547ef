import type { BackendConfig } from '../../src/backends/factory.js';
import type { Backend } from '../../src/index.js';
import { MachineId } from '../../src/index.js';
import { RuntimeProvider } from '../../src/runtime/runtime-provider.js';
import type { ConformanceTarget } from './target.js';

export interface RuntimeStorage {
  /** Two instance configurations over this storage: `instance` first, `otherInstance` second. */
  readonly configs: readonly [BackendConfig, BackendConfig];
  readonly openRawBackend?: () => Backend;
  dispose(): Promise<void>;
}

/** A conformance target whose providers run their backends as actors on worker threads. */
export function runtimeTarget(
  name: string,
  persistent: boolean,
  createStorage: () => Promise<RuntimeStorage>,
): ConformanceTarget {
  return {
    name,
    persistent,
    async createStorage() {
      const storage = await createStorage();
      return {
        async openProvider(options) {
          const provider = new RuntimeProvider(storage.configs, { maxObjectBytes: options?.maxObjectBytes });
          await provider.initialize(MachineId.generate());
          const [instance, otherInstance] = provider.instances() as [string, string];
          return { provider, instance, otherInstance };
        },
        ...(storage.openRawBackend ? { openRawBackend: storage.openRawBackend } : {}),
        dispose: () => storage.dispose(),
      };
    },
  };
}
