import { stat } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { dumpObjects } from '../../backends/file/dump.js';
import { parseFormat, render, table, UsageError } from '../output.js';
import type { CommandContext } from './context.js';

/** `status [-o table|json|yaml]`: every instance, whether it is up, and its mean persist latency. Exit 1 if any is down. */
export async function statusCommand({ target, flags, out }: CommandContext): Promise<number> {
  const instances = await target.instances();
  const format = parseFormat(flags.output, 'table');
  if (format === 'table') {
    const rows = instances.map((i) => [
      i.name,
      i.up ? 'up' : 'down',
      `${(i.mean_persist_latency * 1000).toFixed(3)} ms`,
    ]);
    out.stdout.write(`${table(['instance', 'status', 'mean persist latency'], rows)}\n`);
  } else {
    out.stdout.write(`${render(instances, format)}\n`);
  }
  return instances.every((i) => i.up) ? 0 : 1;
}

/** `dump <instance>`: every object of every kind, as JSON lines on stdout. */
export async function dumpCommand({ target, positionals, out }: CommandContext): Promise<number> {
  const instance = positionals[0] ?? 'default';
  for (const gvk of await target.kinds(instance)) {
    for await (const object of target.list(instance, gvk)) {
      if (!out.stdout.write(`${JSON.stringify(object)}\n`))
        await new Promise((r) => out.stdout.once('drain', r));
    }
  }
  return 0;
}

/**
 * `dump --dir <directory>`: a file instance's objects read from its files (dumpObjects), with no
 * lock taken and nothing written, for a read-only mount (a snapshot, a filesystem gone read-only)
 * or a directory whose writer is still running. Bytes past the last whole batch are left as they
 * are and reported: a torn tail, or the batch a running writer is writing.
 */
export async function dumpDirectoryCommand(
  dir: string,
  out: { readonly stdout: Writable; readonly stderr: NodeJS.WritableStream },
): Promise<number> {
  await checkIsDirectory(dir);
  const report = await dumpObjects(dir, out.stdout);
  // Every instance has a log or a snapshot from its first open on: a directory with neither is a
  // wrong path (its parent, a typo), and an empty dump of it would pass for an empty instance.
  if (report.snapshot === null && report.logs.length === 0) {
    throw new UsageError(`--dir: ${dir} holds no file instance (no log-*.stow or snapshot-*.stow in it)`);
  }
  if (report.droppedBytes > 0) {
    out.stderr.write(
      `stowage: ${dir}: ${report.droppedBytes} bytes at the end of ${report.truncatedFile} (from offset ${report.truncatedAt}) were not read: a torn tail, or a batch its writer was still writing; they are left as they are\n`,
    );
  }
  return 0;
}

/**
 * A `--dir` that is not there, or no directory, is a wrong path like one that holds no instance.
 * Any other failure (no permission, a symbolic-link loop) is left to dumpObjects, which types it.
 */
async function checkIsDirectory(dir: string): Promise<void> {
  let isDirectory: boolean;
  try {
    isDirectory = (await stat(dir)).isDirectory();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // ENOTDIR: a file on the way (`notes.txt/sub`).
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new UsageError(`--dir: ${dir} does not exist`);
    return;
  }
  if (!isDirectory) throw new UsageError(`--dir: ${dir} is no directory`);
}

/** Why `restart` needs a server: opened in the CLI's process, the instances would start afresh. */
export const RESTART_NEEDS_SERVER = 'restart acts on a running stowage serve: give its --server <url>';

/** `restart <instance> --server <url>`: restartInstance() on the server; exit 0 once it is up. */
export async function restartCommand({ target, positionals, out }: CommandContext): Promise<number> {
  const instance = positionals[0] as string;
  if (!target.restart) throw new UsageError(RESTART_NEEDS_SERVER);
  const { status } = await target.restart(instance);
  out.stdout.write(`${instance} ${status ? 'up' : 'down'}\n`);
  return status ? 0 : 1;
}
