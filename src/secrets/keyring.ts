import { createSecretKey, type KeyObject } from 'node:crypto';
import { inspect } from 'node:util';
import { parseDocument } from 'yaml';
import { shownKey } from '../config/shown-key.js';
import { KeyringInvalidError } from '../errors/index.js';

/** AES-256: every key is exactly 32 bytes. */
export const KEY_BYTES = 32;

/** Key ids are stored in every record and shown in listings, so they stay short and plain. */
const KEY_ID = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** A key id as a keyring accepts it: a DNS-1123 label. */
export function isKeyId(id: unknown): id is string {
  return typeof id === 'string' && KEY_ID.test(id);
}

/** One key given to the keyring: an id and its 32 bytes of material. */
export interface KeyMaterial {
  readonly id: string;
  readonly secret: Uint8Array;
}

/**
 * Keys for secret encryption, as in Kubernetes' EncryptionConfiguration: the first key encrypts,
 * every key decrypts. Material is held as KeyObjects, which neither `JSON.stringify` nor
 * `util.inspect` reveal, so a keyring that ends up in a log line shows its ids only.
 */
export class Keyring {
  readonly #keys: ReadonlyMap<string, KeyObject>;
  /** The id of the key that encrypts every new record. */
  readonly primaryId: string;

  private constructor(keys: Map<string, KeyObject>, primaryId: string) {
    this.#keys = keys;
    this.primaryId = primaryId;
  }

  /** Validates ids (DNS-1123 labels, unique) and lengths; copies the material, so callers may wipe theirs. */
  static fromKeys(keys: readonly KeyMaterial[], source = 'keyring'): Keyring {
    // Callers from JavaScript: anything else failed as a TypeError from inside.
    if (!Array.isArray(keys)) throw invalid(source, 'keys', 'is not a list of keys');
    if (keys.length === 0) throw invalid(source, 'keys', 'holds no keys');
    const map = new Map<string, KeyObject>();
    keys.forEach((key, index) => {
      const field = `keys[${index}]`;
      if (key === null || typeof key !== 'object')
        throw invalid(source, field, 'is not a key ({ id, secret })');
      const { id, secret } = key;
      if (!isKeyId(id)) {
        throw invalid(source, `${field}.name`, 'has a name that is not a DNS-1123 label');
      }
      if (map.has(id)) throw invalid(source, `${field}.name`, `names key ${JSON.stringify(id)} twice`);
      if (!(secret instanceof Uint8Array) || secret.byteLength !== KEY_BYTES) {
        throw invalid(source, `${field}.secret`, `has a secret that is not ${KEY_BYTES} bytes`);
      }
      map.set(id, createSecretKey(secret));
    });
    return new Keyring(map, keys[0]!.id);
  }

  /** Every key id, the primary first. */
  ids(): string[] {
    return [...this.#keys.keys()];
  }

  has(id: string): boolean {
    return this.#keys.has(id);
  }

  /** The key of that id, or undefined; only the secret provider's cipher code needs this. */
  key(id: string): KeyObject | undefined {
    return this.#keys.get(id);
  }

  toJSON(): { primaryId: string; ids: string[] } {
    return { primaryId: this.primaryId, ids: this.ids() };
  }

  [inspect.custom](): string {
    return this.toString();
  }

  /** Ids only, so a keyring in a template string or a log line shows no material either. */
  toString(): string {
    return `Keyring { primary: ${this.primaryId}, ids: [${this.ids().join(', ')}] }`;
  }
}

/**
 * Parses keyring text, YAML or JSON, shaped like Kubernetes' aesgcm provider config:
 *
 *     keys:
 *       - name: key2              # the first key encrypts
 *         secret: <base64 of 32 random bytes>
 *       - name: key1              # older keys still decrypt
 *         secret: <base64>
 *
 * Errors name the source and the field, never the text: a parser's excerpt could quote a key.
 */
export function parseKeyring(text: string, source: string): Keyring {
  let document: unknown;
  try {
    // parseDocument, not parse: it logs no warnings (they quote the source line, which may hold a
    // key), and it keeps syntax errors for us to refuse, where parse with logging silenced returns
    // whatever it recovered: a truncated `{"keys": [{…}` read as a keyring of one key.
    const parsed = parseDocument(text);
    if (parsed.errors.length > 0) throw parsed.errors[0];
    document = parsed.toJS();
  } catch {
    throw invalid(source, '', 'is not valid YAML or JSON');
  }
  const keys = (document as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys)) throw invalid(source, 'keys', 'must have a "keys" list');
  refuseUnknownFields(document, ['keys'], source, '');
  const material = keys.map((entry: unknown, index): KeyMaterial => {
    refuseUnknownFields(entry, ['name', 'secret'], source, `keys[${index}]`);
    const { name, secret } = (entry ?? {}) as { name?: unknown; secret?: unknown };
    if (typeof name !== 'string') throw invalid(source, `keys[${index}].name`, 'must be a string');
    return { id: name, secret: decodeSecret(secret, source, `keys[${index}].secret`) };
  });
  try {
    return Keyring.fromKeys(material, source);
  } finally {
    for (const { secret } of material) secret.fill(0);
  }
}

/**
 * A misspelled field (`secrets:`, `nmae:`) is refused as everywhere else in the configuration,
 * not ignored. The unknown key is shown only if it looks like a field name (shownKey): a key can be
 * key material that lost its colon.
 */
function refuseUnknownFields(value: unknown, known: readonly string[], source: string, at: string): void {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return;
  const unknown = Object.keys(value).find((field) => !known.includes(field));
  if (unknown === undefined) return;
  const field = at === '' ? shownKey(unknown) : `${at}.${shownKey(unknown)}`;
  throw invalid(source, field, `is not a keyring field (${known.join(', ')})`);
}

/** Strict base64: lenient decoding would silently turn a typo into a different key. */
function decodeSecret(value: unknown, source: string, field: string): Uint8Array {
  if (typeof value !== 'string') throw invalid(source, field, 'must be a base64 string');
  const bytes = Buffer.from(value, 'base64');
  if (bytes.toString('base64') !== value.trim() || bytes.byteLength !== KEY_BYTES) {
    bytes.fill(0);
    throw invalid(source, field, `must be the standard base64 of exactly ${KEY_BYTES} bytes`);
  }
  return bytes;
}

function invalid(source: string, field: string, problem: string): KeyringInvalidError {
  const where = field === '' ? source : `${source}: ${field}`;
  return new KeyringInvalidError(`keyring ${where} ${problem}`, { source, field });
}
