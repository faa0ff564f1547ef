import { parseArgs } from 'node:util';
import { loadConfig } from '../config/load.js';
import { stowageVersion } from '../metrics/build-info.js';
import { checkArguments, instancesUsed, readsInput } from './arguments.js';
import type { CommandContext } from './commands/context.js';
import { copyCommand, verifyCommand } from './commands/copy.js';
import {
  dumpCommand,
  dumpDirectoryCommand,
  RESTART_NEEDS_SERVER,
  restartCommand,
  statusCommand,
} from './commands/instances.js';
import { deleteCommand, getCommand, listCommand, putCommand } from './commands/objects.js';
import { secretCommand } from './commands/secret.js';
import { serveCommand } from './commands/serve.js';
import { httpUrlProblem } from './http-url.js';
import { readInput } from './input.js';
import { openLocalTarget } from './open-local.js';
import { UsageError } from './output.js';
import { remoteTarget } from './remote-target.js';
import { noKeyringError } from './target.js';

export const USAGE = `usage: stowage <verb> [arguments] [--config <file>] [--server <url>] [--token <token>]
       stowage --version | --help

  serve                                        run the service (what npm start runs)
  status                                       instances, up or down, mean persist latency  [-o table|json|yaml]
  get <instance> <apiVersion> <kind> <key>     one object            [-o yaml|json]
  list <instance> <apiVersion> <kind>          objects of one kind   [-o table|json|yaml]
  put <instance> -f <file|->                   YAML/JSON, multi-document, *List kinds, JSON lines
  delete <instance> <apiVersion> <kind> <key>  one object
  copy --from <instance> --to <instance>       every object, for migration or backup
  verify <instance> <instance>                 compare two instances, report differences
  dump [instance]                              every object of one instance (default: "default") as JSON lines
  dump --dir <directory>                       the same from a file instance's files: no lock, nothing written
  restart <instance> --server <url>            bring back an instance of a running serve that is down
  secret put <instance> <namespace> <name>     a secret's value from stdin   [-f <file>]
  secret get|delete <instance> <namespace> <name>
  secret list <instance> [namespace]           names, key ids, times   [-o table|json|yaml]
  secret rotate <instance>                     re-seal every secret under the primary key (docs/secrets.md)

The instance name "default" means the first configured instance. Without --server, verbs open the
configuration (--config or STOWAGE_CONFIG, or defaults and STOWAGE__* variables) in this process;
--token may come from STOWAGE_TOKEN.
Exit codes: 0 success, 1 failure (or: not found, differences, instance down), 2 usage or configuration
error, 130 a second signal during serve's shutdown, 141 the output's reader went away (as SIGPIPE).`;

/** A --server value fetch can use: an http(s) URL. */
function checkServer(server: string): void {
  const problem = httpUrlProblem(server);
  if (problem) throw new UsageError(`--server: ${problem}`);
}

type Verb = (context: CommandContext) => Promise<number>;
const VERBS: Readonly<Record<string, Verb>> = {
  status: statusCommand,
  get: getCommand,
  list: listCommand,
  put: putCommand,
  delete: deleteCommand,
  copy: copyCommand,
  verify: verifyCommand,
  dump: dumpCommand,
  restart: restartCommand,
  secret: secretCommand,
};

export async function main(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      config: { type: 'string', short: 'c' },
      server: { type: 'string', short: 's' },
      token: { type: 'string' },
      output: { type: 'string', short: 'o' },
      file: { type: 'string', short: 'f' },
      from: { type: 'string' },
      to: { type: 'string' },
      dir: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean' },
    },
  });
  if (values.version) {
    if (positionals.length > 0) throw new UsageError('--version takes no verb');
    process.stdout.write(`stowage ${stowageVersion()} (Node.js ${process.versions.node})\n`);
    return 0;
  }
  const [verb, ...rest] = positionals;
  if (verb !== undefined && verb !== 'serve' && !Object.hasOwn(VERBS, verb)) {
    throw new UsageError(`unknown verb ${verb}; see stowage --help`);
  }
  if (values.help || verb === undefined) {
    process.stdout.write(`${USAGE}\n`);
    return verb === undefined && !values.help ? 2 : 0;
  }
  const env = process.env;
  checkArguments(verb, rest, values);
  if (verb === 'serve') return serveCommand(loadConfig({ path: values.config ?? env.STOWAGE_CONFIG, env }));
  if (verb === 'dump' && values.dir !== undefined) return dumpDirectoryCommand(values.dir, process);
  const run = VERBS[verb] as Verb;
  if (values.server !== undefined) checkServer(values.server);
  // Before the configuration is opened here, which would take the locks the server holds.
  else if (verb === 'restart') throw new UsageError(RESTART_NEEDS_SERVER);
  const token = values.token ?? env.STOWAGE_TOKEN;
  const config = values.server ? undefined : loadConfig({ path: values.config ?? env.STOWAGE_CONFIG, env });
  // Before anything is opened or read: a secret put must not create its instance, or take a
  // secret from standard input, only to find it has nothing to encrypt with.
  const namesKeyring = config?.secrets.keyringFile !== undefined || config?.secrets.keyringEnv !== undefined;
  if (verb === 'secret' && config && !namesKeyring) throw noKeyringError();
  const takesInput = readsInput(verb, rest);
  // A file is read before anything is opened: one that cannot be read is a usage error that makes
  // no data directory and meets no lock. Standard input is read after: someone typing a secret
  // learns first that the target cannot be opened.
  const fromFile = takesInput && values.file !== undefined && values.file !== '-';
  const fileInput = fromFile ? await readInput(values.file, process.stdin) : undefined;
  const target = config
    ? await openLocalTarget(config, instancesUsed(verb, rest, values))
    : remoteTarget(values.server as string, token);
  try {
    const input = takesInput ? (fileInput ?? (await readInput(undefined, process.stdin))) : undefined;
    return await run({
      target,
      positionals: rest,
      flags: values,
      out: { stdout: process.stdout, stderr: process.stderr },
      input,
    });
  } finally {
    await target.close();
  }
}
