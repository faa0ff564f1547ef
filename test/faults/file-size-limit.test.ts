import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { FileBackend, gvk, MachineId, type ObjectKey } from '../../src/index.js';

const WRITER = fileURLToPath(new URL('./file-size-limit-writer.ts', import.meta.url));
/** `ulimit -f` counts 1 KiB blocks in bash: the log can grow to 100 KiB, about 33 puts. */
const LIMIT_BLOCKS = 100;

interface WriterReport {
  open?: { code: string; details: { op: string; errno: string } };
  failed?: { index: number; code: string; details: { op: string; file: string; errno: string } };
}

function runLimited(dir: string, options: object, blocks = LIMIT_BLOCKS): Promise<WriterReport> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      'bash',
      ['-c', `ulimit -f ${blocks} && exec "$0" --import tsx "$1" "$2"`, process.execPath, WRITER, dir],
      {
        env: { ...process.env, STOWAGE_LIMIT_OPTIONS: JSON.stringify(options) },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
    });
    child.once('error', reject);
    child.once('close', (code) => {
      if (code !== 0) reject(new Error(`writer exited ${code}: ${out}`));
      else resolve(JSON.parse(out) as WriterReport);
    });
  });
}

for (const options of [
  { blockingIo: false, logSync: 'fdatasync' },
  { blockingIo: true, logSync: 'fdatasync' },
  ...(process.platform === 'linux'
    ? [
        { blockingIo: false, logSync: 'o_dsync' },
        { blockingIo: true, logSync: 'o_dsync' },
      ]
    : []),
]) {
  test(`a write the file system cuts short fails with the errno of the write that failed, and loses nothing acknowledged (${JSON.stringify(options)})`, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'stowage-fsize-'));
    try {
      const report = await runLimited(dir, options);
      // The kernel first wrote part of the batch; the write of the rest failed with EFBIG. Before,
      // the short write was reported as errno UNKNOWN.
      assert.ok(report.failed, 'a put failed at the size limit');
      assert.equal(report.failed.code, 'STOWAGE_FILE_IO');
      assert.deepEqual(report.failed.details, { op: 'append', file: 'log-0000000000.stow', errno: 'EFBIG' });

      const backend = new FileBackend(dir);
      await backend.open(MachineId.generate());
      try {
        const kind = gvk('', 'v1', 'ConfigMap');
        for (let i = 0; i < report.failed.index; i++) {
          const value = await backend.get(kind, `default/k${i}` as ObjectKey);
          assert.equal(Buffer.from(value ?? []).toString('utf8'), `${i}:`.padEnd(3000, 'x'), `k${i}`);
        }
        assert.equal(await backend.get(kind, `default/k${report.failed.index}` as ObjectKey), undefined);
        assert.equal(
          backend.recovery().droppedBytes,
          0,
          'the failed batch was rolled back, not left as a torn tail',
        );
      } finally {
        await backend.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
}

test('an open whose lock cannot be written fails typed and leaves no lock file or temporary behind', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'stowage-fsize-'));
  try {
    // No file may grow at all: writing the lock's owner fails.
    const report = await runLimited(dir, {}, 0);
    assert.equal(report.open?.code, 'STOWAGE_FILE_IO');
    assert.deepEqual(report.open?.details, { op: 'lock', file: dir, errno: 'EFBIG' });
    assert.deepEqual(await readdir(dir), []);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
