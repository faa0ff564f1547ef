import type { SecretPersistenceProvider } from '../contract/types.js';

/** Every call of the secret API, as stowage_secret_failures_total labels it. */
export const SECRET_OPERATIONS = ['put', 'get', 'delete', 'list', 'rotate'] as const;
export type SecretOperation = (typeof SECRET_OPERATIONS)[number];

/** Told the instance, the call and the error code of each secret call that failed. */
export type SecretFailureListener = (instance: string, operation: SecretOperation, code: string) => void;

/**
 * `secrets` with each failed call reported to `onFailure`, then rejected as before. Decryption runs
 * on the caller's thread after the record was read, which the runtime counts as a get that
 * succeeded: a wrong keyring rolled out, or a tampered record, showed nowhere in the metrics.
 */
export function observedSecrets(
  secrets: SecretPersistenceProvider,
  onFailure: SecretFailureListener,
): SecretPersistenceProvider {
  const observed = <T>(instance: string, operation: SecretOperation, call: () => Promise<T>): Promise<T> => {
    let result: Promise<T>;
    try {
      result = call();
    } catch (error) {
      // A provider of the caller's own may throw where EncryptedSecretProvider rejects.
      result = Promise.reject(error);
    }
    return result.catch((error: unknown) => {
      onFailure(instance, operation, codeOf(error));
      throw error;
    });
  };
  return {
    putSecret: (instance, namespace, name, value) =>
      observed(instance, 'put', () => secrets.putSecret(instance, namespace, name, value)),
    getSecret: (instance, namespace, name) =>
      observed(instance, 'get', () => secrets.getSecret(instance, namespace, name)),
    deleteSecret: (instance, namespace, name) =>
      observed(instance, 'delete', () => secrets.deleteSecret(instance, namespace, name)),
    listSecrets: (instance, namespace) =>
      observed(instance, 'list', () => secrets.listSecrets(instance, namespace)),
    rotate: (instance) => observed(instance, 'rotate', () => secrets.rotate(instance)),
  };
}

/** The error's stable code; STOWAGE_INTERNAL for anything without one (reading it may throw too). */
function codeOf(error: unknown): string {
  try {
    const code = (error as { code?: unknown } | null)?.code;
    return typeof code === 'string' ? code : 'STOWAGE_INTERNAL';
  } catch {
    return 'STOWAGE_INTERNAL';
  }
}
