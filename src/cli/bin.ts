import { ConfigError, KeyringInsecureError, KeyringInvalidError, StowageError } from '../errors/index.js';
import { main } from './main.js';
import { UsageError } from './output.js';

/** One clear line per failure; the exit code says which kind (see USAGE in main.ts). */
function exitCodeFor(error: unknown): number {
  if (error instanceof UsageError || error instanceof ConfigError) return 2;
  // A keyring that is missing, unreadable, insecure or malformed is configuration too.
  if (error instanceof KeyringInvalidError || error instanceof KeyringInsecureError) return 2;
  // A server with no keyring configured: the same configuration error a local one gives.
  if (error instanceof StowageError && error.code === 'STOWAGE_SECRETS_DISABLED') return 2;
  if (error instanceof Error && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS')) return 2;
  return 1;
}

/**
 * Output piped into a reader that stopped (`stowage dump | head`) ends the CLI quietly, as SIGPIPE
 * ends other tools, with the status a shell reports for that (128 + 13). A file instance opened
 * by this process leaves its lock, which the next open on this host takes over.
 */
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
  process.exit(141);
});

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const known = error instanceof StowageError || error instanceof UsageError || error instanceof TypeError;
    // The stable code, to look up in docs/errors.md, unless the message already gives it.
    const code =
      error instanceof StowageError && !error.message.includes(error.code) ? ` (${error.code})` : '';
    process.stderr.write(`stowage: ${known ? (error as Error).message : String(error)}${code}\n`);
    process.exitCode = exitCodeFor(error);
  },
);
