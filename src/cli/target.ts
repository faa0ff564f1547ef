import type { GroupVersionKind } from '../contract/gvk.js';
import type { PersistenceProvider, RuntimeObject, SecretPersistenceProvider } from '../contract/types.js';
import { ConfigError, UnknownInstanceError } from '../errors/index.js';
import type { InstanceReadiness } from '../server/readiness.js';
import { readiness } from '../server/readiness.js';
import { UsageError } from './output.js';

/**
 * What a CLI verb works against: a running server (over HTTP) or a configuration opened in this
 * process. Both look the same to the verbs, so each verb is written once.
 */
export interface CliTarget {
  instances(): Promise<InstanceReadiness[]>;
  put(instance: string, object: RuntimeObject): Promise<string>;
  get(instance: string, gvk: GroupVersionKind, key: string): Promise<RuntimeObject | undefined>;
  delete(instance: string, gvk: GroupVersionKind, key: string): Promise<boolean>;
  list(instance: string, gvk: GroupVersionKind): AsyncIterable<RuntimeObject>;
  /** Every GVK the instance holds at least one object of. */
  kinds(instance: string): Promise<GroupVersionKind[]>;
  /**
   * Brings back an instance of a running server that is down (restartInstance()); its status
   * after. Only a remote target has one: opened in the CLI's process, instances start afresh.
   */
  restart?(instance: string): Promise<{ readonly status: boolean }>;
  /**
   * The largest object the target stores, when known here (a configuration opened in this
   * process); a server's is checked by the server.
   */
  readonly maxObjectBytes?: number;
  /** The secret verbs; each call fails with a clear error when no keyring is configured. */
  readonly secrets: SecretPersistenceProvider;
  close(): Promise<void>;
}

/** The `default` alias names the first configured instance, as the HTTP API does. */
export function resolveInstance(names: readonly string[], instance: string): string {
  return instance === 'default' && names.length > 0 ? (names[0] as string) : instance;
}

/**
 * Refuses two names of one instance (`default` and the first instance's own name, say), for a verb
 * that needs two different ones; one unknown name given twice is refused as unknown.
 */
export function refuseOneInstance(names: readonly string[], a: string, b: string, what: string): void {
  const one = resolveInstance(names, a);
  if (one !== resolveInstance(names, b)) return;
  if (!names.includes(one)) throw UnknownInstanceError.named(one);
  throw new UsageError(`${what} one instance, ${one}`);
}

/** What a secret verb meets on a configuration that names no keyring. */
export function noKeyringError(): ConfigError {
  return new ConfigError('no keyring is configured: set secrets.keyringFile or secrets.keyringEnv', {
    field: 'secrets',
  });
}

export function localTarget(
  provider: PersistenceProvider,
  secrets: SecretPersistenceProvider | undefined,
  close: () => Promise<void>,
  maxObjectBytes?: number,
): CliTarget {
  const name = (instance: string) => resolveInstance(provider.instances(), instance);
  const vault = (): SecretPersistenceProvider => {
    if (!secrets) throw noKeyringError();
    return secrets;
  };
  return {
    ...(maxObjectBytes !== undefined && { maxObjectBytes }),
    instances: async () => readiness(provider).instances,
    put: (instance, object) => provider.putObject(name(instance), object),
    get: (instance, gvk, key) => provider.getObject(name(instance), gvk, key),
    delete: (instance, gvk, key) => provider.deleteObject(name(instance), gvk, key),
    list: (instance, gvk) => provider.streamAllObjects(name(instance), gvk),
    kinds: (instance) => provider.listKinds(name(instance)),
    // Async, so a missing keyring rejects as every other failure of these calls does.
    secrets: {
      putSecret: async (instance, namespace, secret, value) =>
        vault().putSecret(name(instance), namespace, secret, value),
      getSecret: async (instance, namespace, secret) => vault().getSecret(name(instance), namespace, secret),
      deleteSecret: async (instance, namespace, secret) =>
        vault().deleteSecret(name(instance), namespace, secret),
      listSecrets: async (instance, namespace) => vault().listSecrets(name(instance), namespace),
      rotate: async (instance) => vault().rotate(name(instance)),
    },
    close,
  };
}
