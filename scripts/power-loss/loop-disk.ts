import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';

const run = (command: string, ...args: string[]) =>
  execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();

/**
 * An ext4 filesystem on a loop device over an image file. A copy of the image stands for the disk
 * after a power cut: it holds what the loop device was sent, and nothing of what the kernel still
 * holds in its page cache for the filesystem, which is where a write that was never synced is.
 * The kernel sends the device what is synced, and, on its own, data dirty for longer than
 * `vm.dirty_expire_centisecs` (main.ts cuts well before that). The mount keeps the rest from it:
 * the journal commits every 300 s instead of 5 (`commit=300`), ext4 does not flush renamed or
 * truncated files (`noauto_da_alloc`), and a journal commit, which any file's fsync makes, does not
 * write every other file's dirty data with it (`data=writeback`; the default `data=ordered` did, so
 * one file's sync carried another's unsynced appends onto the device).
 */
export class LoopDisk {
  private constructor(
    private readonly image: string,
    private readonly device: string,
    readonly mountPoint: string,
  ) {}

  /** A new, empty filesystem of `sizeMiB` in `image`, mounted at `mountPoint`. */
  static format(image: string, sizeMiB: number, mountPoint: string): LoopDisk {
    run('truncate', '-s', `${sizeMiB}M`, image);
    return LoopDisk.attached(image, mountPoint, (device) =>
      run('mkfs.ext4', '-q', '-F', '-E', 'lazy_itable_init=0,lazy_journal_init=0', device),
    );
  }

  /** The disk as a power cut now would leave it, mounted at `mountPoint` (ext4 replays its journal). */
  cut(image: string, mountPoint: string): LoopDisk {
    run('cp', '--sparse=always', this.image, image);
    return LoopDisk.attached(image, mountPoint, () => undefined);
  }

  /**
   * Unmounts, detaches and removes the image. Lazily: after an interrupt a writer may still hold a
   * file open, and the device then goes once the last one closes.
   */
  dispose(): void {
    run('umount', '--lazy', this.mountPoint);
    run('losetup', '--detach', this.device);
    rmSync(this.image, { force: true });
  }

  /** `image` on a loop device, `prepare`d, then mounted; detached again if either fails. */
  private static attached(image: string, mountPoint: string, prepare: (device: string) => void): LoopDisk {
    const device = run('losetup', '--find', '--show', image);
    try {
      prepare(device);
      mkdirSync(mountPoint, { recursive: true });
      run('mount', '-t', 'ext4', '-o', 'commit=300,noauto_da_alloc,data=writeback', device, mountPoint);
      return new LoopDisk(image, device, mountPoint);
    } catch (error) {
      run('losetup', '--detach', device);
      throw error;
    }
  }
}

/** Makes everything written so far durable, so that a trial's cut holds no earlier trial's writes in flight. */
export function syncAll(): void {
  run('sync');
}
