import { checkName, checkNamespace, makeObjectKey, parseObjectKey } from '../contract/object-key.js';
import type { SecretInfo, SecretPersistenceProvider } from '../contract/types.js';
import {
  ConfigError,
  fromWireError,
  InvalidSecretError,
  KeyringInvalidError,
  SecretCorruptError,
  SecretDecryptFailedError,
  SecretKeyUnknownError,
  StowageError,
  UnknownInstanceError,
} from '../errors/index.js';
import { KeyOrder } from '../store/key-order.js';
import { ObjectStore } from '../store/object-store.js';
import { AuthenticationFailed, open, seal } from './envelope.js';
import { Keyring } from './keyring.js';
import {
  associatedData,
  encodeRecord,
  type ParsedRecord,
  parseRecord,
  type RecordHeader,
  SECRET_GVK,
  type SecretIdentity,
} from './record.js';
import type { RecordChannel } from './record-channel.js';

/** Kubernetes' limit for a Secret; with base64 and the header the record stays under 1.5 MiB. */
export const MAX_SECRET_BYTES = 1024 * 1024;

/** checkName/checkNamespace speak of `metadata.name`; a secret's caller passed `name`. */
const invalidSecret = (message: string, field: string): StowageError =>
  // Anchored: the caller's quoted name may hold either text itself.
  new InvalidSecretError(
    message
      .replace(/^metadata\./, 'secret ')
      .replace(new RegExp(` for ${SECRET_GVK.kind}$`), ' for a secret'),
    { field: field.replace(/^metadata\./, '') },
  );

/**
 * Per-key order shared by every provider over one channel. Rotation is done by building a provider
 * with the new keyring (docs/secrets.md) while the old one may still be serving: with an order of
 * its own each, a rotation could read a record, let the other provider's put land, and write the
 * old value back over it (or bring back a secret deleted meanwhile).
 */
const ordersByChannel = new WeakMap<RecordChannel, KeyOrder>();

function orderFor(channel: RecordChannel): KeyOrder {
  let order = ordersByChannel.get(channel);
  if (order === undefined) {
    order = new KeyOrder();
    ordersByChannel.set(channel, order);
  }
  return order;
}

/**
 *   caller ──putSecret(instance, ns, name, value)──▶ EncryptedSecretProvider (main thread)
 *                                                      │ seal with the keyring (never leaves here)
 *                                                      ▼
 *                      RecordChannel.putRecord(instance, internal GVK, ns/name, ciphertext)
 *                                                      │ LocalProvider, runtime facade → worker
 *                                                      ▼
 *                                        backend: the instance's files / bucket
 *
 * Encryption runs on the caller's thread, so key material and plaintext never cross to a worker or
 * reach a backend. Calls on one secret complete in submission order, across every provider over
 * the same channel (a put reads the previous record to keep its createdAt, and rotate rewrites
 * records in place).
 */
export class EncryptedSecretProvider implements SecretPersistenceProvider {
  private readonly order: KeyOrder;

  constructor(
    private readonly channel: RecordChannel,
    private readonly keyring: Keyring,
  ) {
    // Checked here, not at the first call, where either failed as a TypeError from inside.
    const methods = ['putRecord', 'getRecord', 'deleteRecord', 'listRecords'] as const;
    // An ObjectStore has the same method names without the instance, and failed at each call.
    if (
      channel === null ||
      typeof channel !== 'object' ||
      channel instanceof ObjectStore ||
      methods.some((m) => typeof channel[m] !== 'function')
    ) {
      throw new ConfigError(
        'the secret provider needs a record channel: a LocalProvider or a RuntimeProvider',
        {
          field: 'channel',
        },
      );
    }
    if (!(keyring instanceof Keyring)) {
      throw new KeyringInvalidError('the secret provider needs a Keyring (Keyring.fromKeys, loadKeyring)', {
        source: 'argument',
        field: 'keyring',
      });
    }
    this.order = orderFor(channel);
  }

  async putSecret(
    instance: string,
    namespace: string,
    name: string,
    value: Uint8Array | string,
  ): Promise<SecretInfo> {
    const identity = checkIdentity(instance, namespace, name);
    const plaintext = plaintextCopy(value);
    return this.serialized(identity, async () => {
      try {
        const now = new Date().toISOString();
        const previous = await this.readVerified(identity);
        const header = {
          keyId: this.keyring.primaryId,
          createdAt: previous?.createdAt ?? now,
          updatedAt: now,
        };
        await this.write(identity, header, plaintext);
        return info(identity, header);
      } finally {
        // Wiped however the put ends, a failed read of the previous record included.
        plaintext.fill(0);
      }
    });
  }

  async getSecret(instance: string, namespace: string, name: string): Promise<Uint8Array | undefined> {
    const identity = checkIdentity(instance, namespace, name);
    return this.serialized(identity, async () => {
      const record = await this.read(identity);
      return record === undefined ? undefined : this.decrypt(identity, record);
    });
  }

  /** Idempotent, like deleteObject: resolves `false` when the secret was already absent. */
  async deleteSecret(instance: string, namespace: string, name: string): Promise<boolean> {
    const identity = checkIdentity(instance, namespace, name);
    return this.serialized(identity, () => this.channel.deleteRecord(instance, SECRET_GVK, keyOf(identity)));
  }

  /**
   * Metadata of every secret (of one namespace, if given), sorted by namespace and name. Nothing is
   * decrypted: the key id and times come from each record's header, which is authenticated only
   * when the secret itself is read (getSecret, rotate).
   */
  async listSecrets(instance: string, namespace?: string): Promise<SecretInfo[]> {
    checkSecretNamespaceFilter(namespace);
    const stored = await this.storedSecrets(instance, namespace);
    return stored.map(({ identity, bytes }) => info(identity, parseRecord(bytes, identity)));
  }

  /**
   * Re-encrypts every secret not yet under the primary key, keeping its times. Every record is
   * authenticated, those already under the primary key too: rotation never launders a tampered
   * record into a valid one, and a run that returns means every secret decrypts under this keyring
   * (an old key can be dropped). Secrets go in namespace and name order, the first that fails stops the rotation
   * with its typed error, and a second run resumes where it stopped. Records are parsed one at a
   * time, in their turn, so a malformed one stops the rotation there, not before it starts.
   * Then the instance is compacted (RecordChannel.compact): once this resolves, no record under an
   * older key, and no deleted secret, is left in its files. A compaction that fails rejects the
   * rotation with its error, the secrets rotated; run it again once the cause is fixed.
   */
  async rotate(instance: string): Promise<{ rotated: number; unchanged: number }> {
    let rotated = 0;
    let unchanged = 0;
    for (const { identity } of await this.storedSecrets(instance)) {
      await this.serialized(identity, async () => {
        const record = await this.read(identity);
        if (record === undefined) return; // deleted since the listing
        const plaintext = this.decrypt(identity, record);
        if (record.keyId === this.keyring.primaryId) {
          plaintext.fill(0);
          unchanged++;
          return;
        }
        try {
          const header = {
            keyId: this.keyring.primaryId,
            createdAt: record.createdAt,
            updatedAt: record.updatedAt,
          };
          await this.write(identity, header, plaintext);
        } finally {
          plaintext.fill(0);
        }
        rotated++;
      });
    }
    // The records under the old keys stay in a file log until it is compacted, and whoever holds
    // the directory and an old key could read them: a rotation after a key leaked must leave none.
    try {
      await this.channel.compact?.(instance);
    } catch (error) {
      // Said with what was done: the secrets are re-encrypted, only the old records remain.
      if (!(error instanceof StowageError)) throw error;
      const { code, message, details } = error.toWire();
      const done = `re-encrypted ${rotated} secret(s) under the primary key (${unchanged} already were), but the compaction that removes replaced and deleted records failed, so such records may still be in the instance's files; run rotate again once that is fixed`;
      throw fromWireError({ code, message: `${done}: ${message}`, details });
    }
    return { rotated, unchanged };
  }

  /**
   * Every secret stored on the instance (in one namespace, if given), by namespace and name, with
   * its record's bytes; no record is parsed, so each caller parses them in its own turn.
   */
  private async storedSecrets(
    instance: string,
    namespace?: string,
  ): Promise<{ readonly identity: SecretIdentity; readonly bytes: Uint8Array }[]> {
    const stored: { identity: SecretIdentity; bytes: Uint8Array }[] = [];
    for (const record of await this.channel.listRecords(instance, SECRET_GVK)) {
      const key = parseObjectKey(SECRET_GVK, record.key);
      if (key.namespace === undefined || (namespace !== undefined && key.namespace !== namespace)) continue;
      stored.push({ identity: { instance, namespace: key.namespace, name: key.name }, bytes: record.bytes });
    }
    return stored.sort(
      (a, b) =>
        compare(a.identity.namespace, b.identity.namespace) || compare(a.identity.name, b.identity.name),
    );
  }

  private serialized<T>(identity: SecretIdentity, task: () => Promise<T>): Promise<T> {
    return this.order.run(`${identity.instance}\0${keyOf(identity)}`, task);
  }

  private async read(identity: SecretIdentity): Promise<ParsedRecord | undefined> {
    const bytes = await this.channel.getRecord(identity.instance, SECRET_GVK, keyOf(identity));
    return bytes === undefined ? undefined : parseRecord(bytes, identity);
  }

  /** The previous record if it authenticates; an unreadable one is simply overwritten. */
  private async readVerified(identity: SecretIdentity): Promise<ParsedRecord | undefined> {
    try {
      const record = await this.read(identity);
      if (record !== undefined) this.decrypt(identity, record).fill(0);
      return record;
    } catch (error) {
      const unreadable =
        error instanceof SecretCorruptError ||
        error instanceof SecretDecryptFailedError ||
        error instanceof SecretKeyUnknownError;
      if (unreadable) return undefined;
      throw error;
    }
  }

  private async write(identity: SecretIdentity, header: RecordHeader, plaintext: Uint8Array): Promise<void> {
    const kek = this.keyring.key(header.keyId)!;
    const sealed = seal(kek, plaintext, associatedData(identity, header));
    await this.channel.putRecord(
      identity.instance,
      SECRET_GVK,
      keyOf(identity),
      encodeRecord(identity, header, sealed),
    );
  }

  private decrypt(identity: SecretIdentity, record: ParsedRecord): Buffer {
    const details = { ...identity, keyId: record.keyId };
    const where = `secret ${identity.namespace}/${identity.name} on instance ${identity.instance}`;
    const kek = this.keyring.key(record.keyId);
    if (kek === undefined) {
      throw new SecretKeyUnknownError(
        `${where} is encrypted under key ${JSON.stringify(record.keyId)}, which the keyring does not hold (it has: ${this.keyring.ids().join(', ')})`,
        details,
      );
    }
    try {
      return open(kek, record, associatedData(identity, record));
    } catch (error) {
      if (!(error instanceof AuthenticationFailed)) throw error;
      throw new SecretDecryptFailedError(
        `${where} failed authentication under key ${JSON.stringify(record.keyId)}: the record was altered, moved from another name or instance, or that key differs from the one it was written with`,
        details,
      );
    }
  }
}

function checkIdentity(instance: string, namespace: string, name: string): SecretIdentity {
  // As the object calls and listSecrets answer it.
  if (typeof instance !== 'string' || instance === '') throw UnknownInstanceError.named(instance);
  return { instance, ...checkSecretAddress(namespace, name) };
}

/**
 * listSecrets' optional namespace: when given, a DNS-1123 label, or InvalidSecretError. The CLI
 * checks `secret list`'s argument with it before it opens anything.
 */
export function checkSecretNamespaceFilter(namespace: unknown): void {
  if (namespace !== undefined && checkNamespace(namespace, invalidSecret) === undefined) {
    // An empty namespace would match nothing and look like an empty listing.
    throw new InvalidSecretError('secret namespace, when given, must not be empty', { field: 'namespace' });
  }
}

/**
 * A secret's namespace (a DNS-1123 label, required) and name (as a Secret's), or
 * InvalidSecretError; the CLI checks its arguments with it before it opens anything.
 */
export function checkSecretAddress(namespace: unknown, name: unknown): { namespace: string; name: string } {
  const checkedNamespace = checkNamespace(namespace, invalidSecret);
  if (checkedNamespace === undefined) {
    throw new InvalidSecretError('secret namespace is required', { field: 'namespace' });
  }
  return { namespace: checkedNamespace, name: checkName(SECRET_GVK, name, invalidSecret) };
}

/**
 * The value's bytes in a buffer of the provider's own, which it wipes once written: a copy of a
 * caller's buffer (the caller may reuse it while the put waits its turn), or a string's UTF-8
 * taken as it is, since nothing else holds that. Never a slice of Node's shared buffer pool,
 * whose other users could read the plaintext through their `.buffer` until it is wiped.
 */
function plaintextCopy(value: Uint8Array | string): Buffer {
  const bytes = toBytes(value);
  if (typeof value === 'string') return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const copy = Buffer.allocUnsafeSlow(bytes.byteLength);
  copy.set(bytes);
  return copy;
}

function toBytes(value: Uint8Array | string): Uint8Array {
  if (typeof value === 'string' && !value.isWellFormed()) {
    // UTF-8 would store a lone surrogate as U+FFFD: the value read back would differ.
    throw new InvalidSecretError('secret value holds a lone UTF-16 surrogate; pass bytes instead', {
      field: 'value',
    });
  }
  const bytes = typeof value === 'string' ? new TextEncoder().encode(value) : value;
  if (!(bytes instanceof Uint8Array)) {
    throw new InvalidSecretError('secret value must be a string or a Uint8Array', { field: 'value' });
  }
  if (bytes.byteLength > MAX_SECRET_BYTES) {
    throw new InvalidSecretError(
      `secret value is ${bytes.byteLength} bytes, over the limit of ${MAX_SECRET_BYTES}`,
      {
        field: 'value',
      },
    );
  }
  return bytes;
}

function keyOf(identity: SecretIdentity): string {
  return makeObjectKey(identity.namespace, identity.name);
}

function info(identity: SecretIdentity, header: RecordHeader): SecretInfo {
  const { keyId, createdAt, updatedAt } = header;
  return { namespace: identity.namespace, name: identity.name, keyId, createdAt, updatedAt };
}

/** Code-unit order: the same on every machine, whatever the locale. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
