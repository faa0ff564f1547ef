import { requireArg } from '../gvk-arg.js';
import { parseFormat, render, table, UsageError } from '../output.js';
import type { CommandContext } from './context.js';

/**
 * `secret put <instance> <namespace> <name> [-f <file>]` (value from the file, or stdin),
 * `secret get <instance> <namespace> <name>` (raw value on stdout; exit 1 when absent),
 * `secret delete <instance> <namespace> <name>`, `secret list <instance> [namespace]`,
 * `secret rotate <instance>`. Listings show metadata only, never values.
 */
export async function secretCommand(context: CommandContext): Promise<number> {
  const { target, positionals, flags, out } = context;
  const [action, instanceArg, namespace, name] = positionals;
  const instance = requireArg(instanceArg, '<instance>');
  const secrets = target.secrets;
  switch (action) {
    case 'put': {
      // Checked before the value is read: a missing argument must not wait on a terminal's stdin.
      const secretNamespace = requireArg(namespace, '<namespace>');
      const secretName = requireArg(name, '<name>');
      const value = context.input as Buffer;
      const info = await secrets.putSecret(instance, secretNamespace, secretName, value);
      out.stdout.write(`stored secret ${info.namespace}/${info.name} under key ${info.keyId}\n`);
      return 0;
    }
    case 'get': {
      const value = await secrets.getSecret(
        instance,
        requireArg(namespace, '<namespace>'),
        requireArg(name, '<name>'),
      );
      if (value === undefined) {
        out.stderr.write(`stowage: secret ${namespace}/${name} not found in ${instance}\n`);
        return 1;
      }
      out.stdout.write(value);
      return 0;
    }
    case 'delete': {
      const existed = await secrets.deleteSecret(
        instance,
        requireArg(namespace, '<namespace>'),
        requireArg(name, '<name>'),
      );
      out.stdout.write(
        existed
          ? `deleted secret ${namespace}/${name}\n`
          : `secret ${namespace}/${name} was already absent\n`,
      );
      return 0;
    }
    case 'list': {
      const infos = await secrets.listSecrets(instance, namespace);
      const format = parseFormat(flags.output, 'table');
      const rows = infos.map((i) => [i.namespace, i.name, i.keyId, i.updatedAt]);
      out.stdout.write(
        `${format === 'table' ? table(['namespace', 'name', 'key id', 'updated'], rows) : render(infos, format)}\n`,
      );
      return 0;
    }
    case 'rotate': {
      const result = await secrets.rotate(instance);
      out.stdout.write(
        `re-encrypted ${result.rotated} secret(s) under the primary key; ${result.unchanged} already were\n`,
      );
      return 0;
    }
    default:
      throw new UsageError('expected secret put|get|delete|list|rotate');
  }
}
