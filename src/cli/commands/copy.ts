import { isDeepStrictEqual } from 'node:util';
import { gvkString } from '../../contract/gvk.js';
import type { RuntimeObject } from '../../contract/types.js';
import { StowageError } from '../../errors/index.js';
import { identify } from '../../objects/identity.js';
import { COPY_DISTINCT, VERIFY_DISTINCT } from '../arguments.js';
import { requireArg } from '../gvk-arg.js';
import { Progress } from '../progress.js';
import { type CliTarget, refuseOneInstance } from '../target.js';
import type { CommandContext } from './context.js';

/** Puts in flight at once while copying; the target's mailbox bounds it too. */
const COPY_CONCURRENCY = 32;

/** `copy --from <instance> --to <instance>`: every object of every kind; overwrites what the target has. */
export async function copyCommand({ target, flags, out }: CommandContext): Promise<number> {
  const from = requireArg(flags.from, '--from <instance>');
  const to = requireArg(flags.to, '--to <instance>');
  // It reported every object copied, having only written each over itself.
  refuseOneInstance(await instanceNames(target), from, to, COPY_DISTINCT);
  // Both must exist before anything is read: a mistyped target was found only by its first put
  // (every one of thousands failing), or not at all when the source was empty (exit 0).
  const [kinds] = await Promise.all([target.kinds(from), target.kinds(to)]);
  const progress = new Progress(`copy ${from} → ${to}`, out.stderr);
  let copied = 0;
  const failures: string[] = [];
  const inFlight = new Set<Promise<void>>();
  for (const gvk of kinds) {
    for await (const object of target.list(from, gvk)) {
      // Each put settles its own outcome, so no failure can slip between the awaits below.
      const put: Promise<void> = target.put(to, object).then(
        () => {
          copied++;
          progress.tick();
        },
        (error: unknown) => {
          // In the CLI's `<message> (<code>)` form.
          const code = error instanceof StowageError ? ` (${error.code})` : '';
          failures.push(`${gvkString(gvk)} ${identify(object).key}: ${(error as Error).message}${code}`);
        },
      );
      inFlight.add(put);
      void put.finally(() => inFlight.delete(put));
      if (inFlight.size >= COPY_CONCURRENCY) await Promise.race(inFlight);
    }
  }
  await Promise.all(inFlight);
  progress.done(`${copied} objects copied`);
  await noteSecretsLeftOut(target, [from], 'copied', out.stderr);
  if (failures.length === 0) return 0;
  for (const failure of failures.slice(0, 20)) out.stderr.write(`stowage: not copied: ${failure}\n`);
  if (failures.length > 20) out.stderr.write(`stowage: … and ${failures.length - 20} more\n`);
  out.stderr.write(`stowage: ${failures.length} objects could not be copied\n`);
  return 1;
}

interface Difference {
  readonly kind: string;
  readonly key: string;
  readonly problem: 'missing in target' | 'missing in source' | 'different';
}

async function snapshot(target: CliTarget, instance: string): Promise<Map<string, RuntimeObject>> {
  const objects = new Map<string, RuntimeObject>();
  for (const gvk of await target.kinds(instance)) {
    for await (const object of target.list(instance, gvk))
      objects.set(`${gvkString(gvk)} ${identify(object).key}`, object);
  }
  return objects;
}

/**
 * Says on stderr how many secrets the instances hold, which copy and verify leave out (they are
 * bound to their instance's name: docs/operations.md, "Backup and restore"): a migration that
 * copied and verified its objects was told nothing of the secrets left behind. Only where the
 * secrets can be listed (a keyring here, or a server with one and the token); otherwise nothing.
 */
async function noteSecretsLeftOut(
  target: CliTarget,
  instances: readonly string[],
  what: 'copied' | 'compared',
  stderr: NodeJS.WritableStream,
): Promise<void> {
  for (const instance of instances) {
    const count = await target.secrets.listSecrets(instance).then(
      (secrets) => secrets.length,
      () => 0,
    );
    if (count > 0) {
      stderr.write(
        `stowage: ${count} secret(s) in ${instance} not ${what}: secrets are not part of copy or verify (docs/operations.md, "Backup and restore")\n`,
      );
    }
  }
}

/** The target's instance names; a `--server` is asked for them, so both targets refuse alike. */
async function instanceNames(target: CliTarget): Promise<string[]> {
  return (await target.instances()).map((instance) => instance.name);
}

/** `verify <a> <b>`: reports every object missing on either side or different; exit 1 when any. */
export async function verifyCommand({ target, positionals, out }: CommandContext): Promise<number> {
  const a = requireArg(positionals[0], '<instance>');
  const b = requireArg(positionals[1], '<other instance>');
  // An instance agrees with itself: a backup never made passed the check ("0 differences", exit 0).
  refuseOneInstance(await instanceNames(target), a, b, VERIFY_DISTINCT);
  const [left, right] = await Promise.all([snapshot(target, a), snapshot(target, b)]);
  const differences: Difference[] = [];
  for (const [id, object] of left) {
    const [kind, key] = id.split(' ') as [string, string];
    const other = right.get(id);
    if (other === undefined) differences.push({ kind, key, problem: 'missing in target' });
    else if (!isDeepStrictEqual(object, other)) differences.push({ kind, key, problem: 'different' });
  }
  for (const id of right.keys()) {
    const [kind, key] = id.split(' ') as [string, string];
    if (!left.has(id)) differences.push({ kind, key, problem: 'missing in source' });
  }
  for (const d of differences) out.stdout.write(`${d.problem}: ${d.kind} ${d.key}\n`);
  out.stdout.write(
    `${left.size} objects in ${a}, ${right.size} in ${b}, ${differences.length} ${differences.length === 1 ? 'difference' : 'differences'}\n`,
  );
  await noteSecretsLeftOut(target, [a, b], 'compared', out.stderr);
  return differences.length === 0 ? 0 : 1;
}
