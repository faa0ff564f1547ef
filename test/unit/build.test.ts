import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

const ROOT = new URL('../../', import.meta.url).pathname;

test('the build emits JavaScript with type declarations that plain JavaScript can import', () => {
  // Inside the repo, so the emitted modules resolve their dependencies from node_modules.
  const outDir = mkdtempSync(join(ROOT, '.build-test-'));
  try {
    execFileSync(
      process.execPath,
      [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--outDir', outDir],
      {
        cwd: ROOT,
        stdio: 'pipe',
      },
    );
    assert.ok(existsSync(join(outDir, 'src/index.d.ts')), 'declarations are emitted');
    const script = `
      const stowage = await import(${JSON.stringify(join(outDir, 'src/index.js'))});
      const provider = new stowage.LocalProvider([{ name: 'memory-a', backend: new stowage.MemoryBackend() }]);
      await provider.initialize(stowage.MachineId.generate());
      const key = await provider.putObject('memory-a', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'n' } });
      const back = await provider.getObject('memory-a', stowage.gvk('', 'v1', 'ConfigMap'), key);
      process.stdout.write(JSON.stringify({ key, name: back.metadata.name }));
    `;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    assert.deepEqual(JSON.parse(out), { key: 'n/c', name: 'c' });
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
});
