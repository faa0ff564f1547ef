import { readFileSync } from 'node:fs';

/**
 * Descriptors kept for everything but HTTP connections: the process itself and its threads (stdio,
 * each thread's event loop), and per instance its thread and its files (lock, log, probe, a
 * compaction's snapshot) or, for S3, its sockets too. `stowage serve` under tsx with one file
 * instance held 39 descriptors with no connection open (2026-12-01: 13 pipes, 5 each of
 * eventpoll, eventfd and io_uring for its threads, 3 sockets, the log).
 */
const PROCESS_DESCRIPTORS = 64;
const INSTANCE_DESCRIPTORS = 16;

/** The descriptors to keep for the process and `instances` (S3 ones: their sockets and probe's). */
export function reservedDescriptors(
  instances: readonly { readonly kind: string; readonly maxSockets?: number }[],
): number {
  return instances.reduce(
    (sum, instance) =>
      sum + INSTANCE_DESCRIPTORS + (instance.kind === 's3' ? (instance.maxSockets ?? 0) + 1 : 0),
    PROCESS_DESCRIPTORS,
  );
}

/** The fewest connections a server is given, however low the limit (unless configured fewer). */
const MIN_CONNECTIONS = 8;

/**
 * The soft limit on open files of this process (`ulimit -n`, as Node raised it at start), or
 * undefined where it cannot be read (not Linux) or is unlimited.
 */
export function openFileLimit(
  readLimits: () => string = () => readFileSync('/proc/self/limits', 'utf8'),
): number | undefined {
  let text: string;
  try {
    text = readLimits();
  } catch {
    return undefined;
  }
  const soft = /^Max open files\s+(\d+)\s/m.exec(text)?.[1];
  return soft === undefined ? undefined : Number(soft);
}

/**
 * The connections a server may hold so that they cannot take the descriptors its instances need:
 * `configured`, or fewer where the open-file limit leaves less room beside `reserved`. Idle
 * connections up to a cap of 1,024 used up a process limited to 256 descriptors, and a file
 * instance went down (EMFILE) and stayed down.
 */
export function connectionBudget(
  configured: number,
  limit: number | undefined,
  reserved: number,
): { readonly maxConnections: number; readonly lowered: boolean } {
  if (limit === undefined || configured + reserved <= limit)
    return { maxConnections: configured, lowered: false };
  const maxConnections = Math.min(configured, Math.max(MIN_CONNECTIONS, limit - reserved));
  return { maxConnections, lowered: maxConnections < configured };
}
