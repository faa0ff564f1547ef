import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { KeyringInsecureError, KeyringInvalidError } from '../errors/index.js';
import { type Keyring, parseKeyring } from './keyring.js';

/** The environment variable `keyringFromEnv` reads by default. */
export const KEYRING_ENV = 'STOWAGE_SECRET_KEYRING';

/** What the name of an environment variable is made of. */
export const ENV_VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/**
 * Keyring text rather than a path: several lines, or one line of JSON or flow YAML (`{"keys": …}`,
 * `{keys: [...]}`), or a `keys:` mapping.
 */
export const KEYRING_TEXT = /[\r\n]|^\s*[{[]|\bkeys\s*:/;
/** What a path is made of here; anything else (a base64 key, say) is not shown in messages. */
const PATH_LIKE = /^[A-Za-z0-9_./~@%+-]{1,4096}$/;

/** The path as messages show it: itself, or a placeholder when it may be a secret. */
function shownKeyringPath(path: string): string {
  return PATH_LIKE.test(path) ? path : '<a value that is no path, not shown>';
}
/**
 * The keyring's own text, put where its file's path or its variable's name belongs, is an easy
 * slip; the messages then do not quote what was given, since it is the secret.
 */
export const KEYRING_TEXT_MISPLACED =
  'must name the keyring (a file path, a variable name), not hold it: the value is not shown';

/** Any permission bit for group or others: the file must be 0600 or stricter. */
const GROUP_OR_OTHER = 0o077;

/**
 * Loads a keyring file, failing closed: a file that group or others could read or write is refused
 * before a byte of it is read. The mode is taken from the open descriptor, so the file checked is
 * the file read, even if the path is swapped in between.
 */
export async function loadKeyringFile(path: string): Promise<Keyring> {
  if (KEYRING_TEXT.test(path)) {
    throw new KeyringInvalidError(`keyring file path ${KEYRING_TEXT_MISPLACED}`, {
      source: 'file',
      field: '',
    });
  }
  const shown = shownKeyringPath(path);
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    // Symlinks are followed (Kubernetes mounts secrets through them); the checks below apply to
    // the file the descriptor actually refers to.
    // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer for ever; the file
    // type is checked right after, and a regular file reads the same either way.
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unknown';
    throw new KeyringInvalidError(`keyring file ${shown} cannot be opened (${code})`, {
      source: shown,
      field: '',
    });
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) {
      throw new KeyringInvalidError(`keyring file ${shown} is not a regular file`, {
        source: shown,
        field: '',
      });
    }
    const mode = stat.mode & 0o777;
    if ((mode & GROUP_OR_OTHER) !== 0) {
      const octal = `0${mode.toString(8).padStart(3, '0')}`;
      throw new KeyringInsecureError(
        `keyring file ${shown} has mode ${octal}; group and others must have no access (chmod 600)`,
        { path: shown, mode: octal },
      );
    }
    const bytes = await handle.readFile();
    try {
      return parseKeyring(bytes.toString('utf8'), shown);
    } finally {
      bytes.fill(0);
    }
  } finally {
    await handle.close();
  }
}

/** Reads a keyring from an environment variable holding the same YAML or JSON as a keyring file. */
export function keyringFromEnv(variable = KEYRING_ENV, env: NodeJS.ProcessEnv = process.env): Keyring {
  if (!ENV_VARIABLE_NAME.test(variable)) {
    throw new KeyringInvalidError(`keyring variable ${KEYRING_TEXT_MISPLACED}`, { source: 'env', field: '' });
  }
  const text = env[variable];
  if (text === undefined || text.trim() === '') {
    throw new KeyringInvalidError(`environment variable ${variable} is not set`, {
      source: `env:${variable}`,
      field: '',
    });
  }
  return parseKeyring(text, `env:${variable}`);
}
