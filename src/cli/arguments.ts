import { gvkArgs, keyArg, secretArgs } from './gvk-arg.js';
import { UsageError } from './output.js';

/** The flags a verb may take; --config, --server, --token and --help are the CLI's own. */
type VerbFlag = 'output' | 'file' | 'from' | 'to' | 'dir';
const GLOBAL_FLAGS: ReadonlySet<string> = new Set(['config', 'server', 'token', 'help']);
/** serve runs the configuration in this process: a server to talk to does not apply. */
const LOCAL_ONLY_FLAGS: ReadonlySet<string> = new Set(['config', 'help']);

/** The command line one verb accepts. */
interface VerbArguments {
  /** Positionals it cannot do without, in order. */
  readonly required: readonly string[];
  /** Positionals it may take after them. */
  readonly optional?: readonly string[];
  readonly flags?: readonly VerbFlag[];
  /** Of `flags`, those it cannot do without. */
  readonly requiredFlags?: readonly ('file' | 'from' | 'to')[];
  /** Where `<apiVersion> <kind>` start, checked as well. */
  readonly gvkAt?: number;
  /** Where the `<key>` of that kind is, checked as well. */
  readonly keyAt?: number;
  /** The -o formats it takes, when not all of table, json and yaml. */
  readonly outputs?: readonly string[];
}

const ALL_OUTPUTS = ['table', 'json', 'yaml'];
const OBJECT_ADDRESS = ['<instance>', '<apiVersion>', '<kind>', '<key>'];
const SECRET_ADDRESS = ['<instance>', '<namespace>', '<name>'];

/** `secret` is listed by action: each takes its own arguments. */
const VERB_ARGUMENTS: Readonly<Record<string, VerbArguments>> = {
  serve: { required: [] },
  status: { required: [], flags: ['output'] },
  get: { required: OBJECT_ADDRESS, flags: ['output'], gvkAt: 1, keyAt: 3, outputs: ['yaml', 'json'] },
  list: { required: OBJECT_ADDRESS.slice(0, 3), flags: ['output'], gvkAt: 1 },
  put: { required: ['<instance>'], flags: ['file'], requiredFlags: ['file'] },
  delete: { required: OBJECT_ADDRESS, gvkAt: 1, keyAt: 3 },
  copy: { required: [], flags: ['from', 'to'], requiredFlags: ['from', 'to'] },
  verify: { required: ['<instance>', '<other instance>'] },
  dump: { required: [], optional: ['<instance>'], flags: ['dir'] },
  restart: { required: ['<instance>'] },
  'secret put': { required: SECRET_ADDRESS, flags: ['file'] },
  'secret get': { required: SECRET_ADDRESS },
  'secret delete': { required: SECRET_ADDRESS },
  'secret list': { required: ['<instance>'], optional: ['<namespace>'], flags: ['output'] },
  'secret rotate': { required: ['<instance>'] },
};

/** The spec of `verb` (`secret` by its action), if it has one. */
function specOf(verb: string, positionals: readonly string[]): { name: string; spec?: VerbArguments } {
  const name = verb === 'secret' ? `secret ${positionals[0] ?? ''}` : verb;
  return { name, spec: Object.hasOwn(VERB_ARGUMENTS, name) ? VERB_ARGUMENTS[name] : undefined };
}

/** The instances a verb works on when it opens the configuration itself (`default` as given). */
export interface InstancesUsed {
  /** Those it opens: the others stay closed, so one that is down or missing cannot fail it. */
  readonly opened: readonly string[] | 'all';
  /**
   * Those of them it may create, as configured; it opens every other with create: false, so a
   * verb never makes an empty instance of one that is not there, except one it writes.
   */
  readonly created: readonly string[];
  /**
   * Set for a verb that needs two different instances (`copy`, `verify`): how its refusal names its
   * two arguments when they are one instance, refused before anything is opened, so a `copy` onto
   * itself cannot first create its `--to`.
   */
  readonly distinct?: string;
}

/** How `copy` and `verify` refuse two names of one instance: `<this> one instance, <name>`. */
export const COPY_DISTINCT = 'copy: --from and --to are';
export const VERIFY_DISTINCT = 'verify: both arguments are';

/** What openLocalTarget opens for a verb, and may create. */
export function instancesUsed(
  verb: string,
  positionals: readonly string[],
  flags: { readonly from?: string | undefined; readonly to?: string | undefined },
): InstancesUsed {
  const { name } = specOf(verb, positionals);
  const named = name.startsWith('secret ') ? positionals.slice(1, 2) : positionals.slice(0, 1);
  switch (name) {
    case 'status':
      return { opened: 'all', created: [] };
    case 'verify':
      return { opened: positionals.slice(0, 2), created: [], distinct: VERIFY_DISTINCT };
    case 'copy':
      return {
        opened: [flags.from ?? '', flags.to ?? ''],
        created: [flags.to ?? ''],
        distinct: COPY_DISTINCT,
      };
    case 'dump':
      return { opened: [positionals[0] ?? 'default'], created: [] };
    // Only a verb that stores something may create its instance: a delete or a rotation has
    // nothing to do in one not there, and made an empty instance of an unmounted directory.
    case 'put':
    case 'secret put':
      return { opened: named, created: named };
    default:
      return { opened: named, created: [] };
  }
}

/** Whether the verb reads input (`-f`, or standard input without it): `put`, `secret put`. */
export function readsInput(verb: string, positionals: readonly string[]): boolean {
  return specOf(verb, positionals).spec?.flags?.includes('file') === true;
}

/**
 * Checks a verb's command line before anything is opened: a missing argument must not first create
 * `./data` or fail on a lock held by a running server, and an argument or flag the verb would not
 * use is refused rather than ignored (`delete … a b` must not delete only `a`). The verbs keep
 * their own checks for their other callers.
 */
export function checkArguments(
  verb: string,
  positionals: readonly string[],
  flags: Readonly<Record<string, unknown>>,
): void {
  const { name, spec } = specOf(verb, positionals);
  if (verb === 'secret' && !spec) throw new UsageError('expected secret put|get|delete|list|rotate');
  if (!spec) return;
  const args = verb === 'secret' ? positionals.slice(1) : positionals;
  const missing = spec.required.find((_, index) => (args[index] ?? '') === '');
  if (missing) throw new UsageError(`${name}: missing ${missing}`);
  const optional = spec.optional ?? [];
  if (args.length > spec.required.length + optional.length) {
    const takes = [...spec.required, ...optional.map((arg) => `[${arg}]`)].join(' ') || 'no arguments';
    throw new UsageError(
      `${name}: unexpected argument ${JSON.stringify(args[spec.required.length + optional.length])}; it takes ${takes}`,
    );
  }
  if (spec.gvkAt !== undefined) {
    const gvk = gvkArgs(args[spec.gvkAt], args[spec.gvkAt + 1]);
    if (spec.keyAt !== undefined) keyArg(gvk, args[spec.keyAt]);
  }
  if (name.startsWith('secret ')) secretArgs(args[1], args[2]);
  const own = name === 'serve' ? LOCAL_ONLY_FLAGS : GLOBAL_FLAGS;
  const stray = Object.keys(flags).find(
    (flag) => flags[flag] !== undefined && !own.has(flag) && !spec.flags?.includes(flag as VerbFlag),
  );
  if (stray) throw new UsageError(`${name}: --${stray} does not apply`);
  const outputs = spec.outputs ?? (spec.flags?.includes('output') ? ALL_OUTPUTS : undefined);
  if (outputs && typeof flags.output === 'string' && !outputs.includes(flags.output)) {
    const choices = `${outputs.slice(0, -1).join(', ')} or ${outputs.at(-1)}`;
    throw new UsageError(`${name}: -o ${flags.output} does not apply; it takes ${choices}`);
  }
  // Either a configuration here or a server there: the other would be ignored without a word.
  if (flags.server !== undefined && flags.config !== undefined) {
    throw new UsageError(
      `${name}: --config and --server do not go together; a verb runs on one or the other`,
    );
  }
  if (flags.dir !== undefined) checkDirFlag(name, args, flags);
  if (flags.token !== undefined && flags.server === undefined) {
    throw new UsageError(`${name}: --token applies only with --server`);
  }
  const flag = spec.requiredFlags?.find((required) => flags[required] === undefined);
  if (flag) {
    throw new UsageError(
      `${name} needs --${flag}${flag === 'file' ? ' <file> (or -f - for stdin)' : ' <instance>'}`,
    );
  }
}

/** `dump --dir` reads one directory's files itself: no instance, configuration or server applies. */
function checkDirFlag(name: string, args: readonly string[], flags: Readonly<Record<string, unknown>>): void {
  if (flags.dir === '') throw new UsageError(`${name}: --dir needs a directory`);
  if (args.length > 0) {
    throw new UsageError(`${name} --dir reads the directory it names: give no <instance> as well`);
  }
  const other = ['config', 'server', 'token'].find((flag) => flags[flag] !== undefined);
  if (other)
    throw new UsageError(
      `${name}: --dir and --${other} do not go together; --dir reads the files themselves`,
    );
}
