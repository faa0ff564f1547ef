import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { REPO } from '../helpers/cli.js';

test('the README embedding example runs as written, importing the package by its name', () => {
  const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
  const block = /<!-- embedding-example:start -->\n```ts\n([\s\S]*?)```\n<!-- embedding-example:end -->/.exec(
    readme,
  );
  assert.ok(block, 'README has an embedding example');
  // Inside the checkout, so `stowage` resolves to this package (its exports, the built dist/) as it
  // does for a user after `npm ci`, whose prepare script builds it.
  const dir = mkdtempSync(join(REPO, '.readme-test-'));
  try {
    writeFileSync(join(dir, 'example.mts'), block[1] as string);
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

test('a packed package carries the built dist/ its exports and binary point at', () => {
  const manifest = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8'));
  // npm runs prepare before it packs, and after `npm ci` in a checkout.
  assert.equal(manifest.scripts.prepare, 'npm run build');
  const [packed] = JSON.parse(
    execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: REPO, encoding: 'utf8' }),
  );
  const files = new Set((packed.files as { path: string }[]).map((file) => file.path));
  for (const path of ['dist/src/index.js', 'dist/src/index.d.ts', 'dist/src/cli/bin.js', 'bin/stowage.js']) {
    assert.ok(files.has(path), `${path} is packed`);
  }
});
