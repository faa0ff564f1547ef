import { ConfigError, KeyringInsecureError, KeyringInvalidError, StowageError } from '../errors/index.js';
import { main } from './main.js';
import { UsageError } from './output.js';

/** One clear line per failure; the exit code says which kind (see USAGE in main.ts). */
function exitCodeFor(error: unknown): number {
  if (error instanceof UsageError || error instanceof ConfigError) return 2;
  // A keyring that is missing, unreadable, insecure or malformed is configuration too.
  if (error instanceof KeyringInvalidError || error instanceof KeyringInsecureError) return 2;
  if (error instanceof Error && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS')) return 2;
  return 1;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const known = error instanceof StowageError || error instanceof UsageError || error instanceof TypeError;
    process.stderr.write(`stowage: ${known ? (error as Error).message : String(error)}\n`);
    process.exitCode = exitCodeFor(error);
  },
);
