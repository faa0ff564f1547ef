import { type FileHandle, open, readdir, unlink } from 'node:fs/promises';
import { CorruptLogError, FileIoError, StowageError } from '../../errors/index.js';
import { ChunkReader } from './chunk-reader.js';
import { type ScanResult, scanFile } from './file-scan.js';
import { FileType, HEADER_BYTES, RecordOp, type RecordSink } from './format.js';
import { classify, FILE_FLAGS, ioError, logName, pathIn, snapshotName, syncDirectory } from './layout.js';
import type { RecordIndex } from './record-index.js';

/** What opening an instance found and did; it names files and counts bytes, never contents. */
export interface RecoveryReport {
  /** The snapshot loaded, if any. */
  readonly snapshot: string | null;
  /** Logs replayed on top of it, oldest first. */
  readonly logs: readonly string[];
  readonly records: number;
  /** Bytes of a torn tail dropped from the active log (when only reading, ignored instead). */
  readonly droppedBytes: number;
  readonly truncatedFile: string | null;
  readonly truncatedAt: number | null;
  /** Leftovers of finished or interrupted compactions that were deleted. */
  readonly removedFiles: readonly string[];
}

export interface RecoveredState {
  readonly report: RecoveryReport;
  /** The log to keep appending to and where its good data ends; null when a new one must be made. */
  readonly active: { readonly generation: number; readonly size: number } | null;
  /** The generation a new log gets when there is no active one. */
  readonly baseGeneration: number;
  /** Bytes of snapshot and logs that a reopen would read: compaction weighs garbage against it. */
  readonly diskBytes: number;
}

/** What is wrong with a snapshot that is not whole, in an operator's words. */
function snapshotFault(scan: ScanResult): string {
  if (scan.kind !== 'read') return 'its header is short or blank';
  if (scan.droppedBytes > 0)
    return `the ${scan.droppedBytes} bytes after it are no whole batch, or fail their checksum`;
  return `it holds ${scan.records} records where its header says ${scan.header.records}`;
}

/**
 * Loads an instance directory into `index`: the newest snapshot, then every log from its
 * generation on. With `repair`, a torn tail is truncated and obsolete files are deleted; without,
 * nothing on disk changes (dump reads a live instance this way).
 */
export async function recover(dir: string, index: RecordIndex, repair: boolean): Promise<RecoveredState> {
  const listing = classify(await readdir(dir));
  const sink: RecordSink = (op, gvk, key, value) => {
    // The index copies the value out of the file's buffer (RecordIndex.put), so that buffer can go.
    if (op === RecordOp.Put) index.put(gvk, key, value);
    else index.delete(gvk, key);
  };
  const base = listing.snapshots.at(-1);
  let records = 0;
  let diskBytes = 0;
  if (base !== undefined) {
    const name = snapshotName(base);
    const { scan, size } = await scanNamed(dir, name, FileType.Snapshot, sink);
    if (scan.kind !== 'read' || scan.droppedBytes > 0 || scan.records !== scan.header.records) {
      const offset = scan.kind === 'read' ? scan.goodEnd : 0;
      // A snapshot is renamed into place only once whole and synced, so short or damaged are one
      // thing to an operator: it cannot be trusted. "Incomplete" alone read as an interrupted write.
      throw new CorruptLogError(
        `snapshot ${name} is damaged or incomplete at offset ${offset} (${snapshotFault(scan)})`,
        { file: name, offset },
      );
    }
    checkGeneration(scan, name, base);
    records += scan.records;
    diskBytes += size;
  }
  const first = base ?? 0;
  const logs = listing.logs.filter((generation) => generation >= first);
  if (base === undefined && logs[0] !== undefined && logs[0] > 0) {
    // Only compaction makes a log past 0, and it leaves that log's snapshot behind it.
    const missing = snapshotName(logs[0]);
    throw new CorruptLogError(
      `${missing} is missing: ${logName(logs[0])} is there, and only a compaction starts a log past 0, writing that snapshot with it`,
      { file: missing, offset: 0 },
    );
  }
  logs.forEach((generation, i) => {
    if (generation !== first + i) {
      const missing = logName(first + i);
      throw new CorruptLogError(
        `${missing} is missing: ${logName(generation)} is there, and every log from ${logName(first)} up to it must be`,
        { file: missing, offset: 0 },
      );
    }
  });
  if (base !== undefined && logs[0] !== base) {
    throw new CorruptLogError(`${logName(base)} is missing`, { file: logName(base), offset: 0 });
  }

  const scans: { generation: number; name: string; scan: ScanResult }[] = [];
  for (const generation of logs) {
    const name = logName(generation);
    const { scan } = await scanNamed(dir, name, FileType.Log, sink);
    if (scan.kind === 'read') checkGeneration(scan, name, generation);
    scans.push({ generation, name, scan });
  }
  // A log whose creation a crash cut short holds at most its header, and only the newest can be
  // one: createLog syncs the header before any batch and before a newer log exists. Nor can the
  // snapshot's own log be one: compaction writes snapshot-g only once log-g's header is durable.
  // A blank header anywhere else hides acknowledged batches behind it (an emptied log-g would
  // silently drop every write since the snapshot), so it is corruption, never removed.
  scans.forEach(({ generation, name, scan }, i) => {
    if (scan.kind !== 'unborn') return;
    const why =
      i < scans.length - 1
        ? 'and a newer log follows it'
        : scan.bytes > HEADER_BYTES
          ? `but holds ${scan.bytes} bytes`
          : generation === base
            ? `but ${snapshotName(generation)} exists, which is written only after that header is durable`
            : undefined;
    if (why !== undefined) {
      throw new CorruptLogError(`${name} has a blank header ${why}`, { file: name, offset: 0 });
    }
  });
  const born = scans.filter((s) => s.scan.kind === 'read');
  const last = born.at(-1);
  let droppedBytes = 0;
  let truncated: { file: string; at: number } | null = null;
  for (const { name, scan } of born) {
    if (scan.kind !== 'read') continue;
    records += scan.records;
    diskBytes += scan.goodEnd;
    if (scan.droppedBytes === 0) continue;
    if (name !== last?.name) {
      throw new CorruptLogError(
        `${name} is damaged at offset ${scan.goodEnd}, and it is not the newest log`,
        {
          file: name,
          offset: scan.goodEnd,
        },
      );
    }
    droppedBytes = scan.droppedBytes;
    truncated = { file: name, at: scan.goodEnd };
  }

  const obsolete = [
    ...listing.temporaries,
    ...listing.snapshots.filter((g) => g !== base).map(snapshotName),
    ...listing.logs.filter((g) => g < first).map(logName),
    ...scans.filter((s) => s.scan.kind === 'unborn').map((s) => s.name),
  ];
  if (repair) {
    if (truncated) {
      await truncateFile(dir, truncated.file, truncated.at);
      // Reported the moment the bytes are gone: an open that fails after this point, and the next
      // open, which finds a clean log, would otherwise leave no trace of them.
      warnTornTailDropped(dir, droppedBytes, truncated);
    }
    for (const name of obsolete) await unlink(pathIn(dir, name));
    if (truncated || obsolete.length > 0) await syncDirectory(dir);
  }
  return {
    report: {
      snapshot: base === undefined ? null : snapshotName(base),
      logs: born.map((s) => s.name),
      records,
      droppedBytes,
      truncatedFile: truncated?.file ?? null,
      truncatedAt: truncated?.at ?? null,
      removedFiles: repair ? obsolete : [],
    },
    active: last?.scan.kind === 'read' ? { generation: last.generation, size: last.scan.goodEnd } : null,
    baseGeneration: first,
    diskBytes,
  };
}

function checkGeneration(scan: ScanResult, name: string, generation: number): void {
  if (scan.kind === 'read' && scan.header.generation !== generation) {
    throw new CorruptLogError(`${name} claims generation ${scan.header.generation}`, {
      file: name,
      offset: 0,
    });
  }
}

async function scanNamed(
  dir: string,
  name: string,
  type: FileType,
  sink: RecordSink,
): Promise<{ scan: ScanResult; size: number }> {
  let handle: FileHandle;
  try {
    handle = await open(pathIn(dir, name), FILE_FLAGS.read);
  } catch (error) {
    throw ioError('read', name, error);
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) {
      throw new FileIoError(
        `read ${name} failed: it is not a regular file (a FIFO, a device or a directory), and stowage writes only regular files there: move it away`,
        { op: 'read', file: name, errno: 'EINVAL' },
      );
    }
    const { size } = stats;
    return { scan: await scanFile(new ChunkReader(handle, size), name, type, sink), size };
  } catch (error) {
    throw error instanceof StowageError ? error : ioError('read', name, error);
  } finally {
    await handle.close();
  }
}

async function truncateFile(dir: string, name: string, length: number): Promise<void> {
  try {
    const handle = await open(pathIn(dir, name), FILE_FLAGS.update);
    try {
      await handle.truncate(length);
      await handle.datasync();
    } finally {
      await handle.close();
    }
  } catch (error) {
    throw ioError('truncate', name, error);
  }
}

/**
 * A torn tail cut at open is reported where an operator sees it, not only in the recovery report:
 * as a process warning (stderr unless the host handles 'warning' events; a worker's stderr reaches
 * the main process's). The bytes were never acknowledged, but their loss should not be silent.
 */
function warnTornTailDropped(
  dir: string,
  bytes: number,
  at: { readonly file: string; readonly at: number },
): void {
  process.emitWarning(
    `file instance ${dir}: open dropped ${bytes} bytes of a torn tail at ${at.file}:${at.at}`,
    { type: 'StowageWarning', code: 'STOWAGE_TORN_TAIL_DROPPED' },
  );
}
