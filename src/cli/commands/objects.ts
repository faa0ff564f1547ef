import { isUtf8 } from 'node:buffer';
import type { RuntimeObject } from '../../contract/types.js';
import { fromWireError, InvalidObjectError, ObjectTooLargeError, StowageError } from '../../errors/index.js';
import { canonicalJson } from '../../objects/canonical-json.js';
import { encodeObject } from '../../objects/codec.js';
import { identify } from '../../objects/identity.js';
import { parseManifestEntries } from '../../objects/manifests.js';
import { gvkArgs, requireArg } from '../gvk-arg.js';
import { kindHint } from '../kind-hint.js';
import { parseFormat, render, table, UsageError } from '../output.js';
import type { CommandContext } from './context.js';

/**
 * Whether `error` is about the object put, not the target: invalid, over the store's limit, or a
 * request body over a `--server`'s limit (which the CLI cannot check first, not knowing it).
 */
function refusesTheObject(error: unknown): boolean {
  return (
    error instanceof InvalidObjectError ||
    error instanceof ObjectTooLargeError ||
    (error instanceof StowageError && error.code === 'STOWAGE_BODY_TOO_LARGE')
  );
}

/** `get <instance> <apiVersion> <kind> <key> [-o json|yaml]`: exit 1 when absent. */
export async function getCommand({ target, positionals, flags, out }: CommandContext): Promise<number> {
  const [instanceArg, apiVersion, kind, key] = positionals;
  const instance = requireArg(instanceArg, '<instance>');
  const gvk = gvkArgs(apiVersion, kind);
  const object = await target.get(instance, gvk, requireArg(key, '<key>'));
  if (object === undefined) {
    const hint = await kindHint(target, instance, gvk);
    out.stderr.write(`stowage: ${kind} ${key} not found in ${instance}${hint ? `; ${hint}` : ''}\n`);
    return 1;
  }
  // checkArguments refuses -o table for get: one object is shown whole.
  const format = parseFormat(flags.output, 'yaml');
  out.stdout.write(`${render(object, format === 'table' ? 'yaml' : format)}\n`);
  return 0;
}

/** `list <instance> <apiVersion> <kind> [-o table|json|yaml]`. */
export async function listCommand({ target, positionals, flags, out }: CommandContext): Promise<number> {
  const [instanceArg, apiVersion, kind] = positionals;
  const instance = requireArg(instanceArg, '<instance>');
  const gvk = gvkArgs(apiVersion, kind);
  const objects: RuntimeObject[] = [];
  for await (const object of target.list(instance, gvk)) objects.push(object);
  if (objects.length === 0) {
    const hint = await kindHint(target, instance, gvk);
    if (hint) out.stderr.write(`stowage: no ${apiVersion} ${kind} in ${instance}; ${hint}\n`);
  }
  objects.sort((a, b) => keyOf(a).localeCompare(keyOf(b)));
  const format = parseFormat(flags.output, 'table');
  if (format === 'table') {
    const rows = objects.map((o) => [
      o.metadata.namespace ?? '',
      o.metadata.name,
      // As stored: canonical JSON, counted in UTF-8 bytes.
      String(Buffer.byteLength(canonicalJson(o))),
    ]);
    out.stdout.write(`${table(['namespace', 'name', 'bytes'], rows)}\n`);
  } else {
    out.stdout.write(`${render(objects, format)}\n`);
  }
  return 0;
}

/** `put <instance> -f <file|->`: every document and List item in the file; prints one key per object. */
export async function putCommand({
  target,
  positionals,
  flags,
  out,
  input,
}: CommandContext): Promise<number> {
  const instance = requireArg(positionals[0], '<instance>');
  const file = flags.file;
  if (file === undefined || input === undefined)
    throw new UsageError('put needs -f <file> (or -f - for stdin)');
  const source = file === '-' ? 'stdin' : file;
  const manifest = parseManifestEntries(manifestText(input, source), source);
  // Nothing to store is a mistake upstream (an empty file, a filter that matched nothing), not success.
  if (manifest.length === 0) throw new InvalidObjectError(`${source} holds no objects`, { field: '' });
  // Every object is checked before any is stored, so a bad one in the middle stores nothing: its
  // shape, and its size where the limit is known here. Only what the store itself decides (a
  // server's size limit, a full mailbox, a disk) can stop a put part way, and that error says
  // which object it stopped at and how far the put got.
  const limit = target.maxObjectBytes ?? Number.POSITIVE_INFINITY;
  for (const { object, where } of manifest) {
    try {
      encodeObject(object, limit);
    } catch (error) {
      throw placed(error, `${where}: `, '');
    }
  }
  for (const [index, { object, where }] of manifest.entries()) {
    let key: string;
    try {
      key = await target.put(instance, object);
    } catch (error) {
      // Refused before anything was stored for a reason not the object's (an unknown instance, a
      // server not reached): the error alone says it, without a place that is not its cause.
      if (index === 0 && !refusesTheObject(error)) throw error;
      const left = manifest.length - index - 1;
      throw placed(
        error,
        `${where} (${object.apiVersion} ${object.kind} ${identify(object).key}): `,
        ` (${index} of ${manifest.length} objects were stored before it; ${left} after it were not attempted)`,
      );
    }
    out.stdout.write(`${object.apiVersion} ${object.kind} ${key}\n`);
    if (object.apiVersion === 'v1' && object.kind === 'Secret') {
      out.stderr.write(
        `warning: v1 Secret ${key} was stored as an object, unencrypted; use \`stowage secret put\` for values that must be encrypted\n`,
      );
    }
  }
  return 0;
}

/** `delete <instance> <apiVersion> <kind> <key>`: deleting an absent object succeeds and says so. */
export async function deleteCommand({ target, positionals, out }: CommandContext): Promise<number> {
  const [instance, apiVersion, kind, key] = positionals;
  const existed = await target.delete(
    requireArg(instance, '<instance>'),
    gvkArgs(apiVersion, kind),
    requireArg(key, '<key>'),
  );
  out.stdout.write(existed ? `deleted ${kind} ${key}\n` : `${kind} ${key} was already absent\n`);
  return 0;
}

/** The same typed error, its message saying which object of the input it is about. */
function placed(error: unknown, before: string, after: string): unknown {
  if (!(error instanceof StowageError)) return error;
  const wire = error.toWire();
  return fromWireError({ ...wire, message: `${before}${wire.message}${after}` });
}

/**
 * The input as text. JSON and YAML are UTF-8 here: decoding other bytes put U+FFFD in place of
 * each bad one, and the objects were stored changed without a word.
 */
function manifestText(input: Buffer, source: string): string {
  if (isUtf8(input)) return input.toString('utf8');
  const utf16 =
    input.length >= 2 &&
    ((input[0] === 0xff && input[1] === 0xfe) || (input[0] === 0xfe && input[1] === 0xff));
  throw new InvalidObjectError(
    `${source} is not valid UTF-8${utf16 ? ' (it is UTF-16: convert it, e.g. with iconv -f UTF-16 -t UTF-8)' : ''}`,
    { field: '' },
  );
}

function keyOf(object: RuntimeObject): string {
  return `${object.metadata.namespace ?? ''}/${object.metadata.name}`;
}
