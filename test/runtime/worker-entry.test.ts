import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { resolveWorkerEntry } from '../../src/runtime/worker-entry.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ROUNDTRIP = fileURLToPath(new URL('../fixtures/workers/roundtrip.mjs', import.meta.url));

/** A child node with nothing inherited: no tsx unless asked for. */
async function node(args: string[]): Promise<string> {
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  const { stdout } = await run(process.execPath, args, { cwd: ROOT, env, timeout: 60_000 });
  return stdout.trim();
}

test('from source, the worker entry is workers/actor-host.ts and runs under tsx', async () => {
  const entry = resolveWorkerEntry();
  assert.ok(entry.filename.endsWith('/workers/actor-host.ts'), entry.filename);
  assert.ok(existsSync(new URL(entry.filename)));
  const out = await node(['--import', 'tsx', ROUNDTRIP, new URL('../../src/index.ts', import.meta.url).href]);
  assert.deepEqual(JSON.parse(out), { key: 'x/rt', same: true });
});

test('from a build, plain node loads dist/workers/actor-host.js', { timeout: 120_000 }, async () => {
  // Built inside the repository, so the build resolves node_modules like dist/ does.
  const outDir = `${ROOT}tmp/dist-test-${process.pid}`;
  await mkdir(outDir, { recursive: true });
  try {
    // Other work in progress may not typecheck; tsc still emits, and the files are what is tested.
    await run(
      process.execPath,
      [`${ROOT}node_modules/typescript/bin/tsc`, '-p', 'tsconfig.build.json', '--outDir', outDir],
      {
        cwd: ROOT,
        timeout: 120_000,
      },
    ).catch(() => undefined);
    const worker = `${outDir}/workers/actor-host.js`;
    assert.ok(existsSync(worker), 'the build emitted the worker entry');
    const out = await node([ROUNDTRIP, `file://${outDir}/src/index.js`]);
    assert.deepEqual(JSON.parse(out), { key: 'x/rt', same: true });
  } finally {
    await rm(outDir, { recursive: true, force: true });
  }
});
