import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { stringify } from 'yaml';
import { runCli } from '../helpers/cli.js';
import { fixtureFiles, loadFixtureObjects } from '../helpers/fixtures.js';
import { acquireRadosgw, type Radosgw, radosgwSkipReason } from '../helpers/radosgw.js';

const skip = radosgwSkipReason();

describe('copy and verify between a file instance and an s3 instance, over the 95 fixtures', { skip }, () => {
  let radosgw: Radosgw;
  const workdir = mkdtempSync(join(tmpdir(), 'stowage-copy-'));
  const config = join(workdir, 'stowage.yaml');
  const cli = (args: string[], input?: string) =>
    runCli([...args, '--config', config], { cwd: workdir, input });

  before(async () => {
    radosgw = await acquireRadosgw();
    const s3 = { kind: 's3', ...radosgw.config(await radosgw.createBucket(), { prefix: 'backup' }) };
    writeFileSync(config, stringify({ instances: [{ kind: 'file', dir: './data' }, s3] }), { mode: 0o600 });
  });
  after(async () => {
    await radosgw?.release();
    rmSync(workdir, { recursive: true, force: true });
  });

  test('every fixture object reaches s3 through copy, and verify agrees only afterwards', async () => {
    const files = fixtureFiles();
    assert.equal(files.length, 95);
    const manifests = files.map((file) => readFileSync(file, 'utf8')).join('\n---\n');
    const put = await cli(['put', 'default', '-f', '-'], manifests);
    assert.equal(put.code, 0, put.stderr);
    const expected = loadFixtureObjects().length;
    assert.equal(put.stdout.trim().split('\n').length, expected);

    const status = JSON.parse((await cli(['status', '-o', 'json'])).stdout) as { name: string }[];
    const [file, s3] = status.map((s) => s.name) as [string, string];
    assert.match(file, /^file-/);
    assert.match(s3, /^s3-/);

    const before = await cli(['verify', file, s3]);
    assert.equal(before.code, 1);
    assert.match(
      before.stdout,
      new RegExp(`${expected} objects in ${file}, 0 in ${s3}, ${expected} differences`),
    );

    const copy = await cli(['copy', '--from', file, '--to', s3]);
    assert.equal(copy.code, 0, copy.stderr);
    assert.match(copy.stderr, new RegExp(`${expected} objects copied`));

    const afterCopy = await cli(['verify', file, s3]);
    assert.equal(afterCopy.code, 0, afterCopy.stdout);
    assert.match(
      afterCopy.stdout,
      new RegExp(`${expected} objects in ${file}, ${expected} in ${s3}, 0 differences`),
    );

    const secretKey = radosgw.state.secretAccessKey;
    for (const output of [put, copy, afterCopy, before])
      assert.ok(!`${output.stdout}${output.stderr}`.includes(secretKey));
  });
});
