import { StowageError } from './base.js';

/**
 * Secret errors never carry a value, a key or key material: `details` holds only identifiers
 * (instance, namespace, name, key id, file path, mode), so they are safe to log and to send across
 * threads.
 */

/** The GVK's group is reserved for stowage's own records (the secret key space); plain calls may not use it. */
export class ReservedGroupError extends StowageError {
  static override readonly code = 'STOWAGE_RESERVED_GROUP';
}

/** A stored secret failed authentication: tampered, moved to another name or instance, or the key is wrong. */
export class SecretDecryptFailedError extends StowageError {
  static override readonly code = 'STOWAGE_SECRET_DECRYPT_FAILED';
}

/** A stored secret names a key id that the keyring does not hold (`details.keyId`). */
export class SecretKeyUnknownError extends StowageError {
  static override readonly code = 'STOWAGE_SECRET_KEY_UNKNOWN';
}

/** A stored secret record is truncated or malformed and cannot even be parsed. */
export class SecretCorruptError extends StowageError {
  static override readonly code = 'STOWAGE_SECRET_CORRUPT';
}

/** A secret's namespace, name or value is not acceptable (`details.field`). Nothing was stored. */
export class InvalidSecretError extends StowageError {
  static override readonly code = 'STOWAGE_INVALID_SECRET';
}

/** The keyring file is readable or writable by group or others (`details.path`, `details.mode`). */
export class KeyringInsecureError extends StowageError {
  static override readonly code = 'STOWAGE_KEYRING_INSECURE';
}

/** The keyring is missing, unreadable or malformed; the message says where, never what the key is. */
export class KeyringInvalidError extends StowageError {
  static override readonly code = 'STOWAGE_KEYRING_INVALID';
}
