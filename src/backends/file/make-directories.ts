import { chmod, lstat, mkdir, readlink, stat } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * `mkdir -p`: creates `dir` and its missing parents with `mode`, and returns the first directory
 * it created, or undefined when `dir` existed (as `mkdir(dir, { recursive: true })` does). It is
 * built from single mkdir calls because Node's recursive mkdir (26.10) never returns, at full CPU,
 * where mkdir fails with ENOENT under a parent that exists: any path under /proc. Each failure
 * here is the system's own, for the directory it concerns.
 */
export async function makeDirectories(dir: string, mode: number): Promise<string | undefined> {
  try {
    return (await makeOne(dir, mode)) ? dir : undefined;
  } catch (error) {
    const parent = dirname(dir);
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || parent === dir) throw error;
    const created = await makeDirectories(parent, mode);
    // Now that the parent exists, an ENOENT is the directory's own and final.
    await makeOne(dir, mode);
    return created ?? dir;
  }
}

/**
 * True when it created `dir`, false when a directory was there already. A directory it creates gets
 * `mode` whatever the umask: under umask 0277 a parent came out 0500, which its owner cannot add to.
 */
async function makeOne(dir: string, mode: number): Promise<boolean> {
  try {
    await mkdir(dir, { mode });
    await tightenMode(dir, mode);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const found = await stat(dir).catch(async (cause: NodeJS.ErrnoException) => {
      if (cause.code === 'ENOENT' && (await lstat(dir)).isSymbolicLink()) {
        throw errnoError(
          'ENOENT',
          `${dir} is a symbolic link to ${await readlink(dir)}, which does not exist`,
        );
      }
      throw cause;
    });
    if (!found.isDirectory()) throw errnoError('ENOTDIR', `${dir} exists and is not a directory`);
    return false;
  }
}

/**
 * Sets `dir`'s permission bits to `mode` unless they are already: a chmod that changes nothing
 * still fails on a read-only filesystem, or for a user who does not own the directory (EPERM).
 */
export async function tightenMode(dir: string, mode: number): Promise<void> {
  if (((await stat(dir)).mode & 0o777) !== mode) await chmod(dir, mode);
}

function errnoError(code: string, message: string): NodeJS.ErrnoException {
  return Object.assign(new Error(message), { code });
}
