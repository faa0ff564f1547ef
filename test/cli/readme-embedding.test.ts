import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { REPO } from '../helpers/cli.js';

test('the README embedding example runs as written', () => {
  const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
  const block = /<!-- embedding-example:start -->\n```ts\n([\s\S]*?)```\n<!-- embedding-example:end -->/.exec(
    readme,
  );
  assert.ok(block, 'README has an embedding example');
  // The only change: the package name points at this checkout's source.
  const source = (block[1] as string).replace(
    "from 'stowage'",
    `from ${JSON.stringify(join(REPO, 'src/index.ts'))}`,
  );
  const dir = mkdtempSync(join(tmpdir(), 'stowage-readme-'));
  try {
    writeFileSync(join(dir, 'example.mts'), source);
    const out = execFileSync(process.execPath, ['--import', import.meta.resolve('tsx'), 'example.mts'], {
      cwd: dir,
      encoding: 'utf8',
    });
    assert.match(
      out,
      /^default\/demo \{ hello: 'world' \} \{\s+exists: true,\s+status: true,\s+mean_persist_latency: [0-9.e-]+\s+\}\n$/,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
