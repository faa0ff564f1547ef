import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { backendInstanceName } from '../../src/backends/factory.js';
import { runCli, spawnCli, startServe } from '../helpers/cli.js';
import { FIXTURE_DIR } from '../helpers/fixtures.js';

const workdir = mkdtempSync(join(tmpdir(), 'stowage-cli-'));
const keyring = join(workdir, 'keyring.yaml');
const config = join(workdir, 'stowage.yaml');
after(() => rmSync(workdir, { recursive: true, force: true }));

before(() => {
  writeFileSync(keyring, `keys:\n  - name: key1\n    secret: ${randomBytes(32).toString('base64')}\n`, {
    mode: 0o600,
  });
  writeFileSync(
    config,
    `instances:\n  - kind: file\n    dir: ./primary\n  - kind: file\n    dir: ./backup\nsecrets:\n  keyringFile: ${keyring}\n`,
  );
});

const cli = (...args: string[]) => runCli([...args, '--config', config], { cwd: workdir });
/** `put default -f -` with `input` on stdin. */
const putInput = (input: string) =>
  runCli(['put', 'default', '-f', '-', '--config', config], { cwd: workdir, input });

async function instanceNames(): Promise<[string, string]> {
  const status = await cli('status', '-o', 'json');
  assert.equal(status.code, 0, status.stderr);
  const names = (JSON.parse(status.stdout) as { name: string }[]).map((i) => i.name);
  assert.equal(names.length, 2);
  return names as [string, string];
}

describe('CLI verbs against a configuration', () => {
  test('status of instances never created fails, naming each, and creates none; a verb that writes creates only its own instance', async () => {
    const fresh = await cli('status');
    assert.equal(fresh.code, 1);
    for (const dir of ['primary', 'backup'])
      assert.match(
        fresh.stderr,
        new RegExp(`${dir} cannot be opened \\(ENOENT\\): it is opened with create: false`),
      );
    assert.ok(!existsSync(join(workdir, 'primary')) && !existsSync(join(workdir, 'backup')));
    // A verb that reads one instance creates no other either: before, list created backup.
    const list = await cli('list', 'default', 'v1', 'Namespace');
    assert.equal(list.code, 1);
    assert.ok(!existsSync(join(workdir, 'primary')) && !existsSync(join(workdir, 'backup')));
    // A copy onto itself is refused before its --to is opened: before, it created primary first.
    const primary = backendInstanceName({ kind: 'file', dir: join(workdir, 'primary') });
    const ontoItself = await cli('copy', '--from', 'default', '--to', primary);
    assert.equal(ontoItself.code, 2);
    assert.match(ontoItself.stderr, new RegExp(`copy: --from and --to are one instance, ${primary}`));
    assert.ok(!existsSync(join(workdir, 'primary')));
    // A put opens and creates the one instance it writes: before, it created every one.
    const put = await putInput(
      '{"apiVersion":"scheduling.k8s.io/v1","kind":"PriorityClass","metadata":{"name":"first"},"value":1}',
    );
    assert.equal(put.code, 0, put.stderr);
    assert.ok(existsSync(join(workdir, 'primary')) && !existsSync(join(workdir, 'backup')));
    const backup = backendInstanceName({ kind: 'file', dir: join(workdir, 'backup') });
    // A delete has nothing to do in an instance not there: before, it created an empty one, exit 0.
    const deleted = await cli('delete', backup, 'v1', 'ConfigMap', 'default/none');
    assert.equal(deleted.code, 1);
    assert.match(deleted.stderr, /backup cannot be opened \(ENOENT\): it is opened with create: false/);
    assert.ok(!existsSync(join(workdir, 'backup')));
    const second = await runCli(['put', backup, '-f', '-', '--config', config], {
      cwd: workdir,
      // The object primary holds too, so the two instances differ only by what later tests put.
      input:
        '{"apiVersion":"scheduling.k8s.io/v1","kind":"PriorityClass","metadata":{"name":"first"},"value":1}',
    });
    assert.equal(second.code, 0, second.stderr);
    const result = await cli('status');
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^INSTANCE\s+STATUS\s+MEAN PERSIST LATENCY\nfile-[0-9a-f]{12}\s+up\s/);
  });

  test('put -f takes multi-document files and List kinds; get, list and delete work on what it stored', async () => {
    const put = await cli('put', 'default', '-f', join(FIXTURE_DIR, 'grafana-dashboardDefinitions.yaml'));
    assert.equal(put.code, 0, put.stderr);
    const keys = put.stdout.trim().split('\n');
    assert.ok(keys.length > 10, 'the ConfigMapList was expanded');
    assert.match(keys[0] as string, /^v1 ConfigMap monitoring\/grafana-dashboard-/);
    const multi = await putInput(
      'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: b\n',
    );
    assert.deepEqual(multi.stdout.trim().split('\n'), ['v1 Namespace a', 'v1 Namespace b']);

    const key = (keys[0] as string).split(' ')[2] as string;
    const got = await cli('get', 'default', 'v1', 'ConfigMap', key, '-o', 'json');
    assert.equal(got.code, 0, got.stderr);
    assert.equal(JSON.parse(got.stdout).metadata.name, key.split('/')[1]);
    assert.equal(parseYaml((await cli('get', 'default', 'v1', 'ConfigMap', key)).stdout).kind, 'ConfigMap');

    const table = await cli('list', 'default', 'v1', 'Namespace');
    assert.match(table.stdout, /^NAMESPACE\s+NAME\s+BYTES\n\s+a\s+\d+\n\s+b\s+\d+\n$/);
    const asJson = JSON.parse((await cli('list', 'default', 'v1', 'Namespace', '-o', 'json')).stdout);
    assert.deepEqual(
      asJson.map((o: { metadata: { name: string } }) => o.metadata.name),
      ['a', 'b'],
    );
    assert.equal(parseYaml((await cli('list', 'default', 'v1', 'Namespace', '-o', 'yaml')).stdout).length, 2);

    assert.match((await cli('delete', 'default', 'v1', 'Namespace', 'a')).stdout, /deleted Namespace a/);
    assert.match((await cli('delete', 'default', 'v1', 'Namespace', 'a')).stdout, /already absent/);
    const gone = await cli('get', 'default', 'v1', 'Namespace', 'a');
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /not found/);
    assert.doesNotMatch(gone.stderr, /holds/, 'no hint when the kind was spelt as stored');
  });

  test('a get or list that finds nothing under a kubectl spelling of a stored kind names the stored one', async () => {
    await putInput('apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: hint\n');
    const plural = await cli('list', 'default', 'apps/v1', 'deployments');
    assert.equal(plural.code, 0, plural.stderr);
    assert.match(
      plural.stderr,
      /no apps\/v1 deployments in default; .* default holds apps\/v1 Deployment\n$/,
    );
    const otherVersion = await cli('get', 'default', 'v1', 'Deployment', 'hint/web');
    assert.equal(otherVersion.code, 1);
    assert.match(
      otherVersion.stderr,
      /Deployment hint\/web not found in default; .* holds apps\/v1 Deployment/,
    );
    const unrelated = await cli('list', 'default', 'v1', 'Pod');
    assert.equal(unrelated.stderr, '', 'no hint when no stored kind is near');
  });

  test('dump writes every object as JSON lines', async () => {
    const dump = await cli('dump', 'default');
    assert.equal(dump.code, 0, dump.stderr);
    const objects = dump.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    assert.ok(objects.some((o) => o.kind === 'Namespace' && o.metadata.name === 'b'));
    assert.ok(objects.some((o) => o.kind === 'ConfigMap'));
  });

  test('a dump restores with put -f as it is, and verify then agrees; input that holds no object fails', async () => {
    const dump = await cli('dump', 'default');
    assert.equal(dump.code, 0, dump.stderr);
    const backup = join(workdir, 'backup.jsonl');
    writeFileSync(backup, dump.stdout);
    const restoreConfig = join(workdir, 'restore.yaml');
    writeFileSync(
      restoreConfig,
      'instances:\n  - kind: file\n    dir: ./primary\n  - kind: file\n    dir: ./restored\n',
    );
    const restore = (...args: string[]) => runCli([...args, '--config', restoreConfig], { cwd: workdir });
    // Named from its directory: a status would not create it (it only reads), so it would fail.
    const restored = backendInstanceName({ kind: 'file', dir: join(workdir, 'restored') });
    const put = await restore('put', restored, '-f', backup);
    const status = await restore('status', '-o', 'json');
    const [primary] = (JSON.parse(status.stdout) as { name: string }[]).map((i) => i.name);
    assert.equal(put.code, 0, put.stderr);
    const lines = dump.stdout.trim().split('\n');
    assert.ok(lines.length > 1);
    assert.equal(put.stdout.trim().split('\n').length, lines.length, 'every line of the dump was put');
    const verify = await restore('verify', primary!, restored);
    assert.equal(verify.code, 0, verify.stdout);
    for (const [input, problem] of [
      ['[null]', /stdin: line 1: item 1 is null, not an object/],
      ['null\nnull\n', /stdin: line 1 is null, not an object/],
      [
        '{"kind":"List","items":[{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"n"}},null]}',
        /stdin: line 1: items\[1\] is null, not an object/,
      ],
      [
        '{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"n"},"metadata":{"name":"m"}}\n{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"o"}}\n',
        /stdin: document 1: .*[Mm]ap keys must be unique/,
      ],
      ['', /stdin holds no objects/],
      ['---\n---\n', /stdin holds no objects/],
      [
        '{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"n"}}\n\nnull\n',
        /stdin: line 3 is null, not an object/,
      ],
    ] as const) {
      const refused = await putInput(input);
      assert.equal(refused.code, 1, `${JSON.stringify(input)}: ${refused.stderr}`);
      assert.match(refused.stderr, problem);
    }
  });

  test('verify finds the differences; copy removes them; verify then agrees', async () => {
    const [primary, backup] = await instanceNames();
    const before = await cli('verify', primary, backup);
    assert.equal(before.code, 1);
    assert.match(before.stdout, /missing in target: core\/v1\/Namespace b/);
    const found = before.stdout.split('\n').filter((line) => line.startsWith('missing in target')).length;
    // "1 differences" before.
    assert.match(before.stdout, new RegExp(`, ${found} ${found === 1 ? 'difference' : 'differences'}\n$`));
    const copy = await cli('copy', '--from', primary, '--to', backup);
    assert.equal(copy.code, 0, copy.stderr);
    assert.match(copy.stderr, /objects copied in/);
    const afterCopy = await cli('verify', primary, backup);
    assert.equal(afterCopy.code, 0, afterCopy.stdout);
    // An instance agrees with itself: before, `verify default <its name>` passed a backup never made.
    const itself = await cli('verify', 'default', primary);
    assert.equal(itself.code, 2);
    assert.match(itself.stderr, new RegExp(`verify: both arguments are one instance, ${primary}`));
    assert.match(afterCopy.stdout, / 0 differences/);
  });

  test('copy and verify say how many secrets they leave out, where the secrets can be listed', async () => {
    const [primary, backup] = await instanceNames();
    const put = await runCli(['secret', 'put', 'default', 'kube-system', 'left-out', '--config', config], {
      cwd: workdir,
      input: 'value',
    });
    assert.equal(put.code, 0, put.stderr);
    try {
      const copy = await cli('copy', '--from', primary, '--to', backup);
      assert.equal(copy.code, 0, copy.stderr);
      assert.match(
        copy.stderr,
        new RegExp(`stowage: 1 secret\\(s\\) in ${primary} not copied: secrets are not part`),
      );
      const verify = await cli('verify', primary, backup);
      assert.match(verify.stderr, new RegExp(`stowage: 1 secret\\(s\\) in ${primary} not compared`));
      assert.doesNotMatch(verify.stderr, new RegExp(backup), 'the backup holds none');
    } finally {
      assert.equal((await cli('secret', 'delete', 'default', 'kube-system', 'left-out')).code, 0);
    }
    assert.doesNotMatch((await cli('copy', '--from', primary, '--to', backup)).stderr, /secret/);
  });

  test('secret put, get, list, rotate and delete; the list never shows the value', async () => {
    const put = await runCli(['secret', 'put', 'default', 'kube-system', 'token', '--config', config], {
      cwd: workdir,
      input: 's3cr3t-value',
    });
    assert.equal(put.code, 0, put.stderr);
    assert.equal((await cli('secret', 'get', 'default', 'kube-system', 'token')).stdout, 's3cr3t-value');
    const list = await cli('secret', 'list', 'default');
    assert.match(list.stdout, /kube-system\s+token\s+key1/);
    assert.doesNotMatch(list.stdout, /s3cr3t/);
    assert.match(
      (await cli('secret', 'rotate', 'default')).stdout,
      /re-encrypted 0 secret\(s\) under the primary key; 1 already were/,
    );
    assert.match((await cli('secret', 'delete', 'default', 'kube-system', 'token')).stdout, /deleted/);
    assert.equal((await cli('secret', 'get', 'default', 'kube-system', 'token')).code, 1);
  });

  test('secret put with an argument missing says so at once, without waiting for stdin', async () => {
    const started = performance.now();
    const put = await runCli(['secret', 'put', 'default', 'kube-system', '--config', config], {
      cwd: workdir,
      input: null,
      openStdinMs: 20_000,
    });
    assert.equal(put.code, 2, put.stderr);
    assert.match(put.stderr, /<name>/);
    assert.ok(performance.now() - started < 15_000, 'it did not wait for stdin to end');
  });

  test('a secret namespace or name that is not valid is a usage error (exit 2) before stdin is read or anything opened', async () => {
    for (const args of [
      ['put', 'default', 'Prod!', 'token'],
      ['put', 'default', 'kube-system', 'Bad_Name'],
      ['get', 'default', 'Prod!', 'token'],
      ['delete', 'default', 'kube-system', 'x'.repeat(254)],
      ['list', 'default', 'Prod!'],
    ]) {
      const started = performance.now();
      const run = await runCli(['secret', ...args, '--config', config], {
        cwd: workdir,
        input: null,
        openStdinMs: 20_000,
      });
      const what = args.join(' ').slice(0, 60);
      // Before: exit 1 with STOWAGE_INVALID_SECRET, after creating the instance and reading stdin.
      assert.equal(run.code, 2, `${what}: ${run.stderr}`);
      assert.match(run.stderr, /^stowage: secret (namespace|name) /, what);
      assert.ok(performance.now() - started < 15_000, `${what}: it did not wait for stdin to end`);
    }
  });

  test('put -f - and secret put with a configuration that cannot be read say so at once, without waiting for stdin', async () => {
    for (const args of [
      ['put', 'default', '-f', '-'],
      ['secret', 'put', 'default', 'kube-system', 'token'],
    ]) {
      const started = performance.now();
      const put = await runCli([...args, '--config', join(workdir, 'no-such-config.yaml')], {
        cwd: workdir,
        input: null,
        openStdinMs: 20_000,
      });
      assert.equal(put.code, 2, put.stderr);
      assert.match(put.stderr, /no-such-config\.yaml/);
      assert.ok(performance.now() - started < 15_000, `${args.join(' ')}: it did not wait for stdin to end`);
    }
  });

  test('put -f takes a JSON array of objects, as jq makes of a dump', async () => {
    const objects = ['x', 'y'].map((name) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } }));
    const put = await putInput(JSON.stringify(objects));
    assert.equal(put.code, 0, put.stderr);
    assert.deepEqual(put.stdout.trim().split('\n'), ['v1 Namespace x', 'v1 Namespace y']);
    assert.equal(put.stderr, '');
  });

  test('put -f warns that a v1 Secret is stored as an object, unencrypted', async () => {
    const secret = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 's', namespace: 'ns' },
      data: { a: 'Yg==' },
    };
    const put = await putInput(JSON.stringify(secret));
    assert.equal(put.code, 0, put.stderr);
    assert.match(put.stderr, /warning: v1 Secret ns\/s was stored as an object, unencrypted/);
  });

  test('secret put from stdin keeps bytes that are not UTF-8', async () => {
    const value = Buffer.from([0xff, 0x00, 0x80, 0xc3, 0x28, 0xa0]);
    const put = await runCli(['secret', 'put', 'default', 'kube-system', 'binary', '--config', config], {
      cwd: workdir,
      input: value,
    });
    assert.equal(put.code, 0, put.stderr);
    const got = await cli('secret', 'get', 'default', 'kube-system', 'binary');
    assert.deepEqual(got.stdoutBytes, value);
  });
});

describe('CLI verbs against a running server', () => {
  test('status, put, get, list and dump go through the HTTP API', async () => {
    const serverDir = mkdtempSync(join(workdir, 'server-'));
    const server = await startServe(serverDir);
    try {
      const remote = (...args: string[]) => runCli([...args, '--server', server.url], { cwd: serverDir });
      assert.equal((await remote('status')).code, 0);
      const put = await remote('put', 'default', '-f', join(FIXTURE_DIR, 'alertmanager-service.yaml'));
      assert.equal(put.stdout.trim(), 'v1 Service monitoring/alertmanager-main');
      const got = await remote(
        'get',
        'default',
        'v1',
        'Service',
        'monitoring/alertmanager-main',
        '-o',
        'json',
      );
      assert.equal(JSON.parse(got.stdout).metadata.name, 'alertmanager-main');
      assert.match(
        (await remote('list', 'default', 'v1', 'Service')).stdout,
        /monitoring\s+alertmanager-main/,
      );
      assert.equal((await remote('dump', 'default')).stdout.trim().split('\n').length, 1);
      const invalid = await remote('get', 'default', 'v1', 'Service', 'Bad/Key');
      assert.equal(invalid.code, 2);
      assert.match(invalid.stderr, /^stowage: .*key/);
      // No keyring on this server: a configuration error, exit 2, as without --server.
      const noKeyring = await remote('secret', 'list', 'default');
      assert.equal(noKeyring.code, 2);
      assert.match(noKeyring.stderr, /^stowage: no keyring is configured .*\(STOWAGE_SECRETS_DISABLED\)\n$/);
      // The same configuration opened here says so before it opens anything: before, it met the
      // server's lock (exit 1), and a secret put made an instance where none was, then refused.
      const noKeyringHere = await runCli(['secret', 'list', 'default'], { cwd: serverDir });
      assert.equal(noKeyringHere.code, 2, noKeyringHere.stderr);
      assert.match(
        noKeyringHere.stderr,
        /^stowage: no keyring is configured: .*\(STOWAGE_CONFIG_INVALID\)\n$/,
      );
      const elsewhere = mkdtempSync(join(workdir, 'no-keyring-'));
      const secretPut = await runCli(['secret', 'put', 'default', 'ns', 'token'], {
        cwd: elsewhere,
        input: 'value',
      });
      assert.equal(secretPut.code, 2, secretPut.stderr);
      assert.ok(!existsSync(join(elsewhere, 'data')), 'no instance was created');
      // An unknown name is unknown first, as it is without --server (before: "one instance", exit 2).
      const unknown = await remote('verify', 'nosuch', 'nosuch');
      assert.equal(unknown.code, 1);
      assert.match(unknown.stderr, /STOWAGE_UNKNOWN_INSTANCE/);
      // fetch resolves `..` before sending: a key holding it would reach another object, or another
      // instance's. It is refused as it is without --server, and the Service is still there.
      for (const key of ['../../../v1/Service/monitoring/alertmanager-main', 'monitoring/..']) {
        const escaped = await remote('delete', 'default', 'v1', 'ConfigMap', key);
        assert.equal(escaped.code, 2, key);
        assert.match(escaped.stderr, /^stowage: invalid key/, key);
      }
      // A secret namespace `..` is no DNS-1123 label, refused before any request; an instance
      // named `..` reaches the request path check.
      const dotted = await remote('secret', 'get', 'default', '..', 'kinds');
      assert.equal(dotted.code, 2);
      assert.match(dotted.stderr, /secret namespace "\.\." is not a DNS-1123 label/);
      const dottedInstance = await remote('secret', 'get', '..', 'ns', 'kinds');
      assert.equal(dottedInstance.code, 2);
      assert.match(dottedInstance.stderr, /cannot be part of a request path/);
      assert.equal((await remote('get', 'default', 'v1', 'Service', 'monitoring/alertmanager-main')).code, 0);
      // Directly, the same configuration is refused by the lock the server holds, code and all.
      const direct = await runCli(['status'], { cwd: serverDir });
      assert.equal(direct.code, 1);
      assert.match(
        direct.stderr,
        /^stowage: initialize failed for file-[0-9a-f]{12}: STOWAGE_LOCKED: .*LOCK is held by machine /,
      );
    } finally {
      server.child.kill('SIGTERM');
    }
    assert.equal((await server.stopped).code, 0);
  });
});

describe('bad configuration: one clear line and a non-zero exit', () => {
  /** An S3 instance on a port nothing answers, tried once: its initialize fails at once. */
  const UNREACHABLE_S3 = [
    '  - kind: s3',
    '    endpoint: http://127.0.0.1:9',
    '    bucket: nothing-here',
    '    forcePathStyle: true',
    '    credentials: { accessKeyId: AKIAEXAMPLE, secretAccessKey: example-secret-key }',
    '    maxAttempts: 1',
  ];
  const bad = async (name: string, text: string) => {
    const path = join(workdir, name);
    writeFileSync(path, text);
    return runCli(['status', '--config', path], { cwd: workdir });
  };

  test('a misspelled field', async () => {
    const result = await bad('typo.yaml', 'instances:\n  - kind: file\n    dri: ./x\n');
    assert.equal(result.code, 2);
    assert.equal(
      result.stderr,
      `stowage: ${join(workdir, 'typo.yaml')}:3: instances.0.dri: unknown field dri (STOWAGE_CONFIG_INVALID)\n`,
    );
  });

  test('a wrong type', async () => {
    const result = await bad('type.yaml', 'server:\n  port: "high"\n');
    assert.equal(result.code, 2);
    assert.match(result.stderr, /^stowage: .*type\.yaml:2: server\.port: .*expected number.*\n$/);
  });

  test('a keyring file that does not exist or is readable by others is a configuration error, exit 2', async () => {
    const missing = join(workdir, 'no-such-keyring.yaml');
    const exposed = join(workdir, 'exposed-keyring.yaml');
    writeFileSync(exposed, `keys:\n  - name: key1\n    secret: ${randomBytes(32).toString('base64')}\n`, {
      mode: 0o644,
    });
    for (const [name, path, code] of [
      ['missing', missing, 'cannot be opened'],
      ['exposed', exposed, 'has mode 0644'],
    ] as const) {
      const configPath = join(workdir, `keyring-${name}.yaml`);
      writeFileSync(
        configPath,
        `instances:\n  - kind: memory\n    name: k\nsecrets:\n  keyringFile: ${path}\n`,
      );
      const result = await runCli(['secret', 'list', 'default', '--config', configPath], { cwd: workdir });
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr, new RegExp(code));
    }
  });

  test('an unreachable endpoint', async () => {
    const result = await bad(
      'unreachable.yaml',
      ['instances:', ...UNREACHABLE_S3, 'supervisor:', '  initializeAttempts: 1', ''].join('\n'),
    );
    assert.equal(result.code, 1);
    assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
    assert.match(
      result.stderr,
      /^stowage: initialize failed for s3-[0-9a-f]{12}: .*(unreachable|connect|ECONNREFUSED)/i,
    );
    assert.doesNotMatch(result.stderr, /example-secret-key/);
  });

  test('a verb on one instance works while another configured one cannot be reached; status names that one', async () => {
    const path = join(workdir, 'mixed.yaml');
    writeFileSync(
      path,
      [
        'instances:',
        '  - kind: file',
        '    dir: ./mixed-file',
        ...UNREACHABLE_S3,
        'supervisor:',
        '  initializeAttempts: 1',
        '',
      ].join('\n'),
    );
    // Before, every verb opened every instance, and this put failed on the S3 store.
    const put = await runCli(['put', 'default', '-f', '-', '--config', path], {
      cwd: workdir,
      input: '{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"mixed"}}',
    });
    assert.equal(put.code, 0, put.stderr);
    const got = await runCli(['get', 'default', 'v1', 'Namespace', 'mixed', '--config', path], {
      cwd: workdir,
    });
    assert.equal(got.code, 0, got.stderr);
    const status = await runCli(['status', '--config', path], { cwd: workdir });
    assert.equal(status.code, 1);
    assert.match(status.stderr, /initialize failed for s3-[0-9a-f]{12}/);
  });
});

describe('CLI against something that is not a stowage server', () => {
  test("a --server whose 2xx answers are not stowage's (an HTML page, other JSON) is a typed STOWAGE_REMOTE_SERVER error for every verb", async () => {
    for (const [type, body] of [
      ['text/html', '<!DOCTYPE html><html></html>'],
      ['application/json', '{"ok":true,"items":[]}'],
    ]) {
      const web = createServer((_req, res) => {
        res.writeHead(200, { 'content-type': type as string });
        res.end(body);
      });
      await new Promise<void>((resolve) => web.listen(0, '127.0.0.1', resolve));
      try {
        const url = `http://127.0.0.1:${(web.address() as AddressInfo).port}`;
        // Before, with JSON, put printed "v1 ConfigMap undefined" and exit 0, storing nothing, and
        // secret get printed the page as the secret.
        for (const args of [
          ['status'],
          ['put', 'default', '-f', '-'],
          ['secret', 'get', 'default', 'ns', 'name'],
          ['delete', 'default', 'v1', 'ConfigMap', 'ns/name'],
        ]) {
          const result = await runCli([...args, '--server', url], {
            cwd: workdir,
            input: '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a","namespace":"n"}}',
          });
          assert.equal(result.code, 1, `${args.join(' ')}: ${result.stderr}`);
          assert.match(
            result.stderr,
            /HTTP 200 without the stowage-api: v1 header every answer of stowage's API carries; is http:\/\/127\.0\.0\.1:\d+ a stowage server\? \(STOWAGE_REMOTE_SERVER\)/,
            args.join(' '),
          );
          assert.equal(result.stdout, '', args.join(' '));
        }
      } finally {
        await new Promise((resolve) => web.close(resolve));
      }
    }
  });
});

describe('CLI input and output edges', () => {
  test('put -f checks every object before storing any: a bad one in the middle stores nothing and is named by its document', async () => {
    const input =
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: first, namespace: edges}\n---\n' +
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {namespace: edges}\n---\n' +
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: third, namespace: edges}\n';
    const put = await putInput(input);
    assert.equal(put.code, 1);
    assert.match(put.stderr, /^stowage: stdin: document 2: metadata\.name is required/);
    assert.equal(
      (await cli('get', 'default', 'v1', 'ConfigMap', 'edges/first')).code,
      1,
      'nothing was stored',
    );
  });

  test('put -f refuses input that is not UTF-8 instead of storing U+FFFD in place of its bytes, and names a UTF-16 file as such', async () => {
    const latin1 = Buffer.from(
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: latin1, namespace: edges}\ndata: {city: "Montr\xe9al"}\n',
      'latin1',
    );
    const put = await runCli(['put', 'default', '-f', '-', '--config', config], {
      cwd: workdir,
      input: latin1,
    });
    assert.equal(put.code, 1, put.stderr);
    assert.match(put.stderr, /^stowage: stdin is not valid UTF-8 \(STOWAGE_INVALID_OBJECT\)/);
    assert.equal((await cli('get', 'default', 'v1', 'ConfigMap', 'edges/latin1')).code, 1, 'nothing stored');
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('apiVersion: v1\n', 'utf16le')]);
    const wide = await runCli(['put', 'default', '-f', '-', '--config', config], {
      cwd: workdir,
      input: utf16,
    });
    assert.match(wide.stderr, /it is UTF-16/);
  });

  test('put -f with a file that cannot be read, or too much input, is a usage error (exit 2) before anything is opened', async () => {
    const fresh = mkdtempSync(join(workdir, 'unopened-'));
    const freshConfig = join(fresh, 'stowage.yaml');
    writeFileSync(freshConfig, 'instances:\n  - kind: file\n    dir: ./data\n');
    for (const [file, message] of [
      [join(fresh, 'missing.yaml'), /cannot read .*missing\.yaml: ENOENT/],
      [fresh, /cannot read .*: EISDIR/],
      // Read up to the limit, then refused: before, it grew without end (8 GB in 20 s).
      ['/dev/zero', /over 256 MiB, the most -f reads/],
    ] as const) {
      const put = await runCli(['put', 'default', '-f', file, '--config', freshConfig], { cwd: fresh });
      assert.equal(put.code, 2, `${file}: ${put.stderr}`);
      assert.match(put.stderr, message);
      assert.equal(existsSync(join(fresh, 'data')), false, `${file}: the data directory was not made`);
    }
  });

  test('put -f refuses an object over the size limit before storing any when the limit is known here; a server that refuses one part way is named with the object and how far the put got', async () => {
    const big = (name: string) =>
      `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ${name}, namespace: sized}\ndata: {v: "${'x'.repeat(3000)}"}\n`;
    const small = (name: string) =>
      `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ${name}, namespace: sized}\n`;
    const input = [small('s1'), small('s2'), big('b3'), small('s4'), small('s5')].join('---\n');
    const dir = mkdtempSync(join(workdir, 'sized-'));
    const sizedConfig = join(dir, 'stowage.yaml');
    writeFileSync(
      sizedConfig,
      'instances:\n  - kind: file\n    dir: ./data\nlimits:\n  maxObjectBytes: 2048\n',
    );
    const local = await runCli(['put', 'default', '-f', '-', '--config', sizedConfig], { cwd: dir, input });
    assert.equal(local.code, 1, local.stderr);
    assert.match(
      local.stderr,
      /^stowage: stdin: document 3: .*over the limit of 2048 bytes \(STOWAGE_OBJECT_TOO_LARGE\)/,
    );
    assert.equal(local.stdout, '', 'nothing stored');

    const server = await startServe(dir, { STOWAGE__limits__maxObjectBytes: '2048' });
    try {
      const remote = await runCli(['put', 'default', '-f', '-', '--server', server.url], { cwd: dir, input });
      assert.equal(remote.code, 1, remote.stderr);
      assert.equal(remote.stdout.trim().split('\n').length, 2);
      assert.match(
        remote.stderr,
        /^stowage: stdin: document 3 \(v1 ConfigMap sized\/b3\): .* \(2 of 5 objects were stored before it; 2 after it were not attempted\) \(STOWAGE_/,
      );
      // Over the server's body limit (8 MiB) as the first object: named too (before, only the error).
      const huge = `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: huge, namespace: sized}\ndata: {v: "${'x'.repeat(9_000_000)}"}\n`;
      const first = await runCli(['put', 'default', '-f', '-', '--server', server.url], {
        cwd: dir,
        input: huge,
      });
      assert.equal(first.code, 1, first.stderr);
      assert.match(
        first.stderr,
        /^stowage: stdin: document 1 \(v1 ConfigMap sized\/huge\): request body over \d+ bytes \(0 of 1 objects were stored before it; 0 after it were not attempted\) \(STOWAGE_BODY_TOO_LARGE\)/,
      );
    } finally {
      server.child.kill('SIGTERM');
      await server.stopped;
    }
  });

  test('JSON lines with CRLF endings are read; a bad line is named by its number', async () => {
    const line = (name: string) =>
      `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"${name}","namespace":"crlf"}}`;
    const crlf = await putInput(`${line('a')}\r\n${line('b')}\r\n`);
    assert.equal(crlf.code, 0, crlf.stderr);
    assert.deepEqual(crlf.stdout.trim().split('\n'), ['v1 ConfigMap crlf/a', 'v1 ConfigMap crlf/b']);
    const bad = await putInput(`${line('c')}\n${line('d')}\n{"apiVersion":\n${line('e')}\n`);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^stowage: stdin: line 3: /);
  });

  test('YAML output quotes strings a YAML 1.1 reader (kubectl) would take for booleans', async () => {
    const object = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'flags', namespace: 'yaml' },
      data: { a: 'yes', b: 'on', c: 'no' },
    };
    const put = await putInput(JSON.stringify(object));
    assert.equal(put.code, 0, put.stderr);
    const got = await cli('get', 'default', 'v1', 'ConfigMap', 'yaml/flags');
    assert.match(got.stdout, /a: "yes"\n\s*b: "on"\n\s*c: "no"/);
    assert.deepEqual(parseYaml(got.stdout).data, object.data);
  });

  test('the list table counts stored bytes: canonical JSON in UTF-8, not UTF-16 units', async () => {
    const object = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'utf8', namespace: 'bytes' },
      data: { v: 'ééééé' },
    };
    const put = await putInput(JSON.stringify(object));
    assert.equal(put.code, 0, put.stderr);
    const listed = await cli('list', 'default', 'v1', 'ConfigMap');
    const row = listed.stdout.split('\n').find((r) => /\butf8\b/.test(r)) ?? '';
    const stored = Buffer.byteLength(
      JSON.stringify({
        apiVersion: 'v1',
        data: { v: 'ééééé' },
        kind: 'ConfigMap',
        metadata: { name: 'utf8', namespace: 'bytes' },
      }),
    );
    assert.match(row, new RegExp(`\\s${stored}\\s*$`), row);
  });

  test('command-line mistakes exit 2 before anything is opened: a bad GVK, an unknown verb with --help, a --server that is no URL, missing arguments', async () => {
    const empty = mkdtempSync(join(workdir, 'args-'));
    const run = (...args: string[]) => runCli(args, { cwd: empty });
    for (const args of [
      ['list', 'default', 'V1', 'ConfigMap'],
      ['list', 'default', 'a/b/c', 'ConfigMap'],
      ['bogus', '--help'],
      ['toString'],
      ['constructor', 'x'],
      ['status', '--server', 'notaurl'],
      ['get'],
      ['put', 'default'],
      // Arguments and flags a verb would not use are refused, not ignored.
      ['delete', 'default', 'v1', 'ConfigMap', 'a/b', 'a/c'],
      ['get', 'default', 'v1', 'ConfigMap', 'a/b', '--from', 'x'],
      ['serve', '--server', 'http://127.0.0.1:1'],
      ['secret', 'list', 'default', 'ns', 'extra'],
      ['secret'],
      ['dump', 'default', 'extra'],
      ['status', '--server', 'http://user:s3cretpw@127.0.0.1:1'],
      ['status', '--server', 'http://127.0.0.1:1/?x=1'],
      ['status', '--server', 'http://127.0.0.1:1#frag'],
      // Each of these was ignored without a word.
      ['status', '--server', 'http://127.0.0.1:1', '--config', 'elsewhere.yaml'],
      ['status', '--token', 'abcdefghijklmnopqrst'],
      ['get', 'default', 'v1', 'ConfigMap', 'a/b', '-o', 'table'],
      // Caught before the server is asked (nothing listens there): a usage error, not "cannot reach".
      ['status', '-o', 'xml', '--server', 'http://127.0.0.1:1'],
      ['list', 'default', 'v1', 'ConfigMap', '-o', 'wide', '--server', 'http://127.0.0.1:1'],
      ['secret', 'list', 'default', '-o', 'xml', '--server', 'http://127.0.0.1:1'],
    ]) {
      const result = await run(...args);
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, /^stowage: /, args.join(' '));
    }
    const extra = await run('delete', 'default', 'v1', 'ConfigMap', 'a/b', 'a/c');
    assert.match(extra.stderr, /unexpected argument "a\/c"; it takes <instance> <apiVersion> <kind> <key>/);
    const optional = await run('secret', 'list', 'default', 'ns', 'extra');
    assert.match(optional.stderr, /it takes <instance> \[<namespace>\]/);
    assert.match(
      (await run('get', 'default', 'v1', 'ConfigMap', 'a/b', '-f', 'x')).stderr,
      /get: --file does not apply/,
    );
    const version = await run('--version');
    assert.equal(version.code, 0, version.stderr);
    assert.match(version.stdout, /^stowage \d+\.\d+\.\d+ \(Node\.js \d+\.\d+\.\d+\)\n$/);
    assert.equal((await run('status', '--version')).code, 2);
    // An invalid key is a usage mistake too, found before the instance is opened.
    for (const verb of ['get', 'delete']) {
      const badKey = await run(verb, 'default', 'v1', 'ConfigMap', 'ns/Bad_Name');
      assert.equal(badKey.code, 2, badKey.stderr);
      assert.match(
        badKey.stderr,
        /^stowage: invalid key: name "Bad_Name" is not a valid name for ConfigMap\n$/,
      );
    }
    assert.doesNotMatch(
      (await run('status', '--server', 'http://user:s3cretpw@127.0.0.1:1')).stderr,
      /s3cretpw/,
    );
    // Nor whatever the scheme, or with none: the first check quoted the whole text.
    for (const url of ['127.0.0.1:9464/?token=s3cretpw', 'ftp://admin:s3cretpw@127.0.0.1/', 'x#s3cretpw']) {
      const refused = await run('status', '--server', url);
      assert.equal(refused.code, 2, refused.stderr);
      assert.doesNotMatch(refused.stderr, /s3cretpw/, url);
    }
    // A token appended as a query was quoted back whole.
    const query = (await run('status', '--server', 'http://127.0.0.1:1/?token=s3cretpw')).stderr;
    assert.doesNotMatch(query, /s3cretpw/);
    assert.match(query, /"http:\/\/127\.0\.0\.1:1\/" was followed by one \(not shown\)/);
    // Nothing listens there: a typed, documented code, where it was the bare STOWAGE_ERROR.
    const unreachable = await run('status', '--server', 'http://127.0.0.1:1');
    assert.equal(unreachable.code, 1, unreachable.stderr);
    assert.match(unreachable.stderr, /cannot reach http:\/\/127\.0\.0\.1:1: .*\(STOWAGE_REMOTE_SERVER\)$/m);
    // fetch refuses some ports before it connects, and said only "bad port".
    const badPort = await run('status', '--server', 'http://127.0.0.1:6000');
    assert.equal(badPort.code, 1, badPort.stderr);
    assert.match(
      badPort.stderr,
      /refuses to connect to port 6000 .*serve on another port \(STOWAGE_REMOTE_SERVER\)$/m,
    );
    assert.ok(!existsSync(join(empty, 'data')), 'no instance directory was created for a usage error');
  });

  test('output piped into a reader that stops ends the CLI quietly with 141, as SIGPIPE ends other tools', async () => {
    const child = spawnCli(['dump', 'default', '--config', config], workdir);
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    // The first chunk read, the reader goes away, as `head -1` does.
    await new Promise((resolve) => child.stdout?.once('data', resolve));
    child.stdout?.destroy();
    const code = await new Promise((resolve) => child.once('close', resolve));
    assert.equal(code, 141, stderr);
    assert.doesNotMatch(stderr, /Error|at /);
  });
});
