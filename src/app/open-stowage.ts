import { resolve } from 'node:path';
import type { BackendConfig } from '../backends/factory.js';
import { checkConfig } from '../config/load.js';
import type { InstanceSettings, StowageConfig } from '../config/schema.js';
import { workerResourceLimits } from '../config/worker-limits.js';
import { MachineId } from '../contract/machine-id.js';
import type { SecretPersistenceProvider } from '../contract/types.js';
import { StowageMetrics } from '../metrics/stowage-metrics.js';
import { combineObservers } from '../runtime/combine-observers.js';
import { RuntimeProvider } from '../runtime/runtime-provider.js';
import type { Keyring } from '../secrets/keyring.js';
import { keyringFromEnv, loadKeyringFile } from '../secrets/keyring-source.js';
import { observedSecrets } from '../secrets/observed-secrets.js';
import { EncryptedSecretProvider } from '../secrets/secret-provider.js';
import { StateLog } from './state-log.js';

export interface OpenStowage {
  readonly provider: RuntimeProvider;
  readonly metrics: StowageMetrics | undefined;
  /** Present when the configuration names a keyring (secrets.keyringFile or secrets.keyringEnv). */
  readonly secrets: SecretPersistenceProvider | undefined;
  readonly machineId: MachineId;
  close(): Promise<void>;
}

/** File directories are resolved here, once, so the instance name never depends on a worker's cwd. */
export function backendConfigOf(instance: InstanceSettings): BackendConfig {
  if (instance.kind === 'file') return { ...instance, dir: resolve(instance.dir) };
  return instance as BackendConfig;
}

export interface OpenStowageOptions {
  /**
   * Throw InitializeFailedError when an instance fails to initialize; otherwise it stays down while
   * the supervisor keeps retrying, and the caller reads its status. @default true
   */
  readonly requireAll?: boolean;
  /** Where to print a line for each change of an instance's state (StateLog); none when absent. */
  readonly log?: (line: string) => void;
}

/** Builds the runtime and its metrics from a loaded configuration and initializes it. */
export async function openStowage(
  config: StowageConfig,
  options: OpenStowageOptions = {},
): Promise<OpenStowage> {
  // Checked again, for a configuration built in code: a missing section failed as a TypeError.
  config = checkConfig(config);
  // The keyring first: a refused keyring (say, mode 0644) stops startup before anything is opened.
  const keyring = await loadKeyring(config);
  const metrics = config.metrics.enabled ? new StowageMetrics() : undefined;
  const provider = new RuntimeProvider(config.instances.map(backendConfigOf), {
    mailbox: config.mailbox,
    supervisor: config.supervisor,
    maxObjectBytes: config.limits.maxObjectBytes,
    closeDeadlineMs: config.shutdown.drainDeadlineMs,
    maxBatchOps: config.pool.maxBatchOps,
    maxBatchesInFlight: config.pool.maxBatchesInFlight,
    idleSpinMicros: config.pool.idleSpinMicros,
    listPageSize: config.pool.listPageSize,
    resourceLimits: workerResourceLimits(config.pool),
    observer: combineObservers(metrics?.observer, options.log && new StateLog(options.log)),
  });
  metrics?.watch(provider);
  const machineId = config.machineId === undefined ? MachineId.generate() : MachineId.parse(config.machineId);
  const close = async () => {
    await provider.close();
    metrics?.stop();
  };
  try {
    await provider.initialize(machineId);
  } catch (error) {
    if (options.requireAll ?? true) {
      await close();
      throw error;
    }
  }
  const secrets =
    keyring && secretsObserved(new EncryptedSecretProvider(provider, keyring), provider, metrics);
  return { provider, metrics, secrets, machineId, close };
}

/** The secret API with its failures counted in `metrics`, per configured store. */
function secretsObserved(
  secrets: SecretPersistenceProvider,
  provider: RuntimeProvider,
  metrics: StowageMetrics | undefined,
): SecretPersistenceProvider {
  if (!metrics) return secrets;
  for (const { store, backend } of provider.snapshot().instances) metrics.registerSecretStore(store, backend);
  // `default` names the first store over HTTP, which resolves it before this is called.
  return observedSecrets(secrets, (instance, operation, code) =>
    metrics.secretFailed(instance, operation, code),
  );
}

async function loadKeyring(config: StowageConfig): Promise<Keyring | undefined> {
  const { keyringFile, keyringEnv } = config.secrets;
  if (keyringFile !== undefined) return loadKeyringFile(keyringFile);
  if (keyringEnv !== undefined) return keyringFromEnv(keyringEnv);
  return undefined;
}
