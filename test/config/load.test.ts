import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { createBackend } from '../../src/backends/create-backend.js';
import type { BackendConfig } from '../../src/backends/factory.js';
import { loadConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/errors/config-errors.js';
import {
  FileBackend,
  InvalidRuntimeConfigError,
  LocalProvider,
  MachineId,
  MemoryBackend,
  RuntimeProvider,
} from '../../src/index.js';
import { type RuntimeOptions, resolveOptions } from '../../src/runtime/options.js';

const dir = mkdtempSync(join(tmpdir(), 'stowage-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

function failure(options: Parameters<typeof loadConfig>[0]): ConfigError {
  try {
    loadConfig(options);
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return error;
  }
  assert.fail('expected a ConfigError');
}

test('no file and no environment give the embedded default: one file instance under ./data on loopback', () => {
  const config = loadConfig({ env: {} });
  assert.deepEqual(config.instances, [{ kind: 'file', dir: './data' }]);
  assert.equal(config.server.host, '127.0.0.1');
  assert.equal(config.server.port, 9464);
  assert.equal(config.mailbox.policy, undefined, 'runtime defaults apply');
});

test('YAML and JSON files are both accepted', () => {
  const yaml = loadConfig({
    path: file('a.yaml', 'instances:\n  - kind: file\n    dir: /var/lib/stowage\n'),
    env: {},
  });
  const json = loadConfig({
    path: file('a.json', '{"instances":[{"kind":"file","dir":"/var/lib/stowage"}]}'),
    env: {},
  });
  assert.deepEqual(yaml, json);
});

test('a misspelled field names the field and its line', () => {
  const error = failure({
    path: file('typo.yaml', 'server:\n  port: 9464\nmailbox:\n  capasity: 10\n'),
    env: {},
  });
  assert.equal(error.details.field, 'mailbox.capasity');
  assert.equal(error.details.line, 4);
  assert.match(error.message, /typo\.yaml:4: mailbox\.capasity: unknown field capasity/);
});

test('a wrong type names the field and its line', () => {
  const error = failure({ path: file('type.yaml', 'instances:\n  - kind: file\n    dir: 7\n'), env: {} });
  assert.equal(error.details.field, 'instances.0.dir');
  assert.equal(error.details.line, 3);
});

test('a YAML syntax error gives its line', () => {
  const error = failure({ path: file('syntax.yaml', 'server:\n  port: [1, 2\n'), env: {} });
  assert.equal(typeof error.details.line, 'number');
});

test('environment variables override the file, and a bad one is named', () => {
  const path = file('env.yaml', 'server:\n  port: 9464\n');
  assert.equal(loadConfig({ path, env: { STOWAGE__server__port: '9999' } }).server.port, 9999);
  const config = loadConfig({
    path,
    env: { STOWAGE__instances__0__kind: 'file', STOWAGE__instances__0__dir: '/srv' },
  });
  assert.deepEqual(config.instances, [{ kind: 'file', dir: '/srv' }]);
  const error = failure({ path, env: { STOWAGE__server__port: 'abc' } });
  assert.match(error.message, /^environment variable STOWAGE__server__port: server\.port:/);
  assert.throws(() => loadConfig({ env: { STOWAGE____proto____x: '1' } }), ConfigError);
});

test('a non-loopback host without a token is a valid config; the server refuses it at start', () => {
  assert.equal(loadConfig({ env: { STOWAGE__server__host: '0.0.0.0' } }).server.host, '0.0.0.0');
});

test('pool.idleSpinMicros accepts 0, which turns the spin off, and refuses a negative number', () => {
  assert.equal(loadConfig({ env: { STOWAGE__pool__idleSpinMicros: '0' } }).pool.idleSpinMicros, 0);
  assert.equal(loadConfig({ env: {} }).pool.idleSpinMicros, undefined, 'unset: the backend kind decides');
  const error = failure({ env: { STOWAGE__pool__idleSpinMicros: '-5' } });
  assert.equal(error.details.field, 'pool.idleSpinMicros');
});

test('supervisor.openTimeoutMs is read as a positive number of milliseconds and reaches the runtime options', () => {
  assert.equal(
    loadConfig({ env: { STOWAGE__supervisor__openTimeoutMs: '5000' } }).supervisor.openTimeoutMs,
    5000,
  );
  assert.equal(
    failure({ env: { STOWAGE__supervisor__openTimeoutMs: '0' } }).details.field,
    'supervisor.openTimeoutMs',
  );
  assert.equal(resolveOptions({ supervisor: { openTimeoutMs: 5000 } }).supervisor.openTimeoutMs, 5000);
  assert.equal(resolveOptions({}).supervisor.openTimeoutMs, 120_000);
});

test('STOWAGE__instances__0__dir alone overrides the embedded default instance, as docs/configuration.md shows', () => {
  const config = loadConfig({ env: { STOWAGE__instances__0__dir: '/var/lib/stowage' } });
  assert.deepEqual(config.instances, [{ kind: 'file', dir: '/var/lib/stowage' }]);
});

test('machineId must be a UUID, refused at load (exit 2) naming the field', () => {
  const error = failure({ env: { STOWAGE__machineId: 'nope' } });
  assert.equal(error.details.field, 'machineId');
  assert.match(error.message, /STOWAGE__machineId/);
  const id = '0b7e0a52-3f0c-4c6e-9d8a-2f6c1b9e4a10';
  assert.equal(loadConfig({ env: { STOWAGE__machineId: id } }).machineId, id);
});

test('secrets.keyringFile and secrets.keyringEnv together are refused: one would be ignored', () => {
  const error = failure({
    env: {
      STOWAGE__secrets__keyringFile: '/etc/stowage/keyring.yaml',
      STOWAGE__secrets__keyringEnv: 'KEYRING',
    },
  });
  assert.equal(error.details.field, 'secrets.keyringEnv');
  assert.match(error.message, /not both/);
});

test("a keyring's own text put in keyringEnv or keyringFile is refused without being quoted", () => {
  const secret = 'lGRT0ByCtSsyIGaboSTBU4hg1r4emE01nIMnAs2S2Yg=';
  const keyring = `keys:\n  - name: key1\n    secret: ${secret}\n`;
  const oneLine = JSON.stringify({ keys: [{ name: 'k1', secret }] });
  for (const [field, value] of [
    ['keyringEnv', keyring],
    ['keyringFile', keyring],
    ['keyringEnv', oneLine],
    // One line of JSON passed the line-break check and was quoted whole when it could not be opened.
    ['keyringFile', oneLine],
    ['keyringFile', `{keys: [{name: k1, secret: ${secret}}]}`],
  ]) {
    const error = failure({ env: { [`STOWAGE__secrets__${field}`]: value } });
    assert.equal(error.details.field, `secrets.${field}`);
    assert.match(error.message, /not hold it/);
    assert.ok(!JSON.stringify(error.toWire()).includes(secret), `${field}: ${value}`);
  }
  assert.equal(
    loadConfig({ env: { STOWAGE__secrets__keyringEnv: 'MY_KEYRING_2' } }).secrets.keyringEnv,
    'MY_KEYRING_2',
  );
});

test('server.token refuses a newline, spaces at its ends or a character past ASCII, which no client sends back', () => {
  for (const token of [
    'abcdefghijklmnopqrst\n',
    ' abcdefghijklmnopqrst',
    ' '.repeat(16),
    'abcdefgh\tijklmnop',
    // fetch refuses to send it; curl sends it as UTF-8, which never matched.
    '€uro-token-1234567890',
    'abcdefghijklmnöpqrst',
  ]) {
    const error = failure({
      path: file('token.yaml', `server:\n  token: ${JSON.stringify(token)}\n`),
      env: {},
    });
    assert.equal(error.details.field, 'server.token');
    assert.ok(!error.message.includes('abcdefgh'), error.message);
  }
});

test('a file the YAML reader cannot resolve, or that is no regular file, is one ConfigError line', () => {
  const cases: [string, RegExp][] = [
    ['instances:\n  - *nope\n', /alias/],
    ['a: 1\n---\nb: 2\n', /more than one YAML document/],
    ['mailbox:\n  capacity: 1\n  capacity: 2\n', /same key twice/],
  ];
  for (const [yaml, why] of cases) {
    const error = failure({ path: file('resolve.yaml', yaml), env: {} });
    assert.match(error.message, why);
    assert.equal(error.message.split('\n').length, 1);
  }
  // An alias before its anchor names the alias's line, which it did not.
  const early = failure({ path: file('early.yaml', 'mailbox:\n  capacity: *size\nx: &size 8\n'), env: {} });
  assert.match(early.message, /early\.yaml:2: Unresolved alias.*: size$/);
  assert.equal(early.details.line, 2);
  // A merge key was "<a key that is no field name, not shown>".
  const merge = failure({ path: file('merge.yaml', 'mailbox:\n  <<: {capacity: 8}\n'), env: {} });
  assert.match(
    merge.message,
    /merge\.yaml:2: mailbox\.<<: unknown field << \(a YAML merge key, which is not supported: write the fields out\)$/,
  );
  const fifo = join(dir, 'config.fifo');
  execFileSync('mkfifo', [fifo]);
  // Before, reading it waited for a writer for ever.
  assert.match(failure({ path: fifo, env: {} }).message, /not a regular file/);
});

test('a .json file that is not JSON says so, at its line, and never quotes its text', () => {
  const cases: [string, string, number][] = [
    // Read as YAML, the comment became part of the next key: "unknown field <not shown>".
    [
      '{\n  // the data\n  "instances": [{"kind": "memory", "name": "a"}]\n}\n',
      "Expected property name or '}' (column 3)",
      2,
    ],
    [
      '{"instances": [{"kind": "memory", "name": "a"}],}',
      'Expected double-quoted property name (column 49)',
      1,
    ],
  ];
  for (const [json, why, line] of cases) {
    const error = failure({ path: file('bad.json', json), env: {} });
    assert.ok(error.message.endsWith(`bad.json:${line}: not valid JSON: ${why}`), error.message);
    assert.equal(error.details.line, line);
  }
  // A trailing comma in an array: JSON.parse places it nowhere, and the YAML reader accepted it.
  const trailing = failure({
    path: file('trailing.json', '{"note": "a,]",\n "instances": [{"kind": "memory", "name": "a"},\n]}'),
    env: {},
  });
  assert.ok(trailing.message.endsWith('trailing.json:2: not valid JSON: a trailing comma'), trailing.message);
  const spaced = failure({
    path: file('spaced.json', `{"instances": [{"kind": "memory", "name": "a"},${' '.repeat(300)}]}`),
    env: {},
  });
  assert.ok(spaced.message.endsWith('spaced.json:1: not valid JSON: a trailing comma'), spaced.message);
  // What JSON.parse cannot place is read as YAML, as before: its message would quote the text.
  const quoted = failure({
    path: file('quoted.json', `{"server": {"token": 'secret-abcdefghijklmnop', "port": 'x'}}`),
    env: {},
  });
  assert.match(quoted.message, /quoted\.json:1: server\.port: /);
  assert.ok(!quoted.message.includes('secret-abc'), quoted.message);
  const literal = failure({ path: file('literal.json', '{\n  "metrics": {"enabled": tru}\n}'), env: {} });
  assert.match(literal.message, /literal\.json:2: metrics\.enabled: .*expected boolean/);
  // A byte-order mark (Windows editors, PowerShell) and an empty file load, as before.
  const instances = [{ kind: 'memory', name: 'a' }];
  assert.deepEqual(
    loadConfig({ path: file('bom.json', `\uFEFF${JSON.stringify({ instances })}`), env: {} }).instances,
    instances,
  );
  assert.deepEqual(loadConfig({ path: file('empty.json', ''), env: {} }).instances, [
    { kind: 'file', dir: './data' },
  ]);
  assert.deepEqual(
    loadConfig({ path: file('good.json', JSON.stringify({ instances })), env: {} }).instances,
    instances,
  );
});

test('an unknown key that is no field name (a value that became a key) is not shown', () => {
  const secret = 'wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY';
  const error = failure({
    path: file(
      'flow.yaml',
      `instances:\n  - kind: s3\n    bucket: b-1\n    endpoint: http://127.0.0.1:7480\n    credentials: {accessKeyId: AKIAEXAMPLE, secretAccessKey ${secret}}\n`,
    ),
    env: {},
  });
  assert.match(error.message, /unknown field/);
  assert.ok(!JSON.stringify(error.toWire()).includes(secret), error.message);
  assert.match(
    failure({ path: file('typo.yaml', 'mailbox:\n  capasity: 1\n'), env: {} }).message,
    /unknown field capasity/,
  );
});

test("an S3 instance's own fields are checked at load, with their line; two entries that are one instance are refused", () => {
  const s3 = failure({
    path: file(
      's3.yaml',
      'instances:\n  - kind: s3\n    bucket: control-plane\n    checksumMode: sometimes\n',
    ),
    env: {},
  });
  assert.equal(s3.details.field, 'instances.0.checksumMode');
  assert.equal(s3.details.line, 4);
  assert.match(s3.message, /s3\.yaml:4: instances\.0\.checksumMode: /);
  const twice = failure({
    path: file('twice.yaml', 'instances:\n  - kind: file\n    dir: ./d3\n  - kind: file\n    dir: d3\n'),
    env: {},
  });
  assert.equal(twice.details.field, 'instances.1.dir');
  assert.match(
    twice.message,
    /twice\.yaml:5: instances\.1\.dir: the same instance as instances\.0 \(file-[0-9a-f]{12}\)/,
  );
  const unrelated = failure({
    path: join(dir, 'twice.yaml'),
    env: { STOWAGE__instances__1__compactMinBytes: '100' },
  });
  assert.match(unrelated.message, /twice\.yaml:5: /, 'a variable that set another field of it is not blamed');
});

test('S3 instances whose prefixes nest in one bucket are refused at the inner prefix, with its line', () => {
  const s3 = (prefix: string) =>
    `  - kind: s3\n    endpoint: http://127.0.0.1:7480\n    bucket: stowage-data\n    prefix: ${prefix}\n`;
  const nested = failure({ path: file('nested.yaml', `instances:\n${s3('prod')}${s3('prod/eu')}`), env: {} });
  assert.equal(nested.details.field, 'instances.1.prefix');
  assert.match(
    nested.message,
    /nested\.yaml:9: instances\.1\.prefix: its prefix lies inside that of instances\.0 in one bucket/,
  );
  const innerFirst = failure({
    path: file('inner-first.yaml', `instances:\n${s3('prod/eu')}${s3('prod')}`),
    env: {},
  });
  assert.equal(innerFirst.details.field, 'instances.0.prefix', 'the inner one is named, listed first or not');
  assert.match(innerFirst.message, /inner-first\.yaml:5: instances\.0\.prefix: .*that of instances\.1 /);
  const byVariable = failure({
    path: file('apart.yaml', `instances:\n${s3('prod')}${s3('prod-eu')}`),
    env: { STOWAGE__instances__1__prefix: 'prod/eu' },
  });
  assert.match(
    byVariable.message,
    /STOWAGE__instances__1__prefix/,
    'the variable that made them nest is named',
  );
  assert.equal(loadConfig({ path: join(dir, 'apart.yaml'), env: {} }).instances.length, 2);
});

test('a misspelled variable is blamed on itself, not on the file', () => {
  const error = failure({
    path: file('plain.yaml', 'mailbox:\n  capacity: 10\n'),
    env: { STOWAGE__limit__maxObjectBytes: '100' },
  });
  assert.match(
    error.message,
    /^environment variable STOWAGE__limit__maxObjectBytes: limit: unknown field limit/,
  );
});

test('variables that set the first instance kind describe an instance of their own', () => {
  const config = loadConfig({
    env: { STOWAGE__instances__0__kind: 'memory', STOWAGE__instances__0__name: 'a' },
  });
  assert.deepEqual(config.instances, [{ kind: 'memory', name: 'a' }]);
});

test('an instance that only variables describe is blamed on them; one that sets the default kind keeps the default', () => {
  const error = failure({
    path: file('empty.yaml', 'mailbox:\n  capacity: 10\n'),
    env: { STOWAGE__instances__0__kind: 's3' },
  });
  assert.match(error.message, /^environment variable STOWAGE__instances__0__kind: instances\.0\.bucket: /);
  assert.deepEqual(loadConfig({ env: { STOWAGE__instances__0__kind: 'file' } }).instances, [
    { kind: 'file', dir: './data' },
  ]);
});

test("a file instance's field made unknown by a variable that changed its kind names that variable beside the file's line", () => {
  const error = failure({
    path: file('kind.yaml', 'instances:\n  - kind: file\n    dir: /srv/stowage\n'),
    env: { STOWAGE__instances__0__kind: 's3' },
  });
  assert.ok(
    error.message.endsWith(
      'kind.yaml:3: instances.0.dir: unknown field dir (environment variable STOWAGE__instances__0__kind made instances.0 a "s3" instance)',
    ),
    error.message,
  );
  const own = failure({ path: file('own.yaml', 'instances:\n  - kind: file\n    dir: ""\n'), env: {} });
  assert.doesNotMatch(own.message, /environment variable/, 'no variable, no note');
  const same = failure({
    path: file('same.yaml', 'instances:\n  - kind: file\n    dir: /srv/x\n    compactMinBytes: -1\n'),
    env: { STOWAGE__instances__0__kind: 'file' },
  });
  assert.doesNotMatch(same.message, /made instances\.0/, 'a variable that kept the kind changed nothing');
});

test('a variable whose text parses as JSON is kept as written where the field is a string', () => {
  const config = loadConfig({
    env: { STOWAGE__server__token: '1234567890123456789', STOWAGE__instances__0__dir: '2024' },
  });
  assert.equal(config.server.token, '1234567890123456789');
  assert.deepEqual(config.instances, [{ kind: 'file', dir: '2024' }]);
  assert.equal(
    loadConfig({ env: { STOWAGE__server__port: '9465' } }).server.port,
    9465,
    'numbers stay numbers',
  );
  const s3 = loadConfig({
    env: {
      STOWAGE__instances__0__kind: 's3',
      STOWAGE__instances__0__bucket: 'control-plane',
      STOWAGE__instances__0__prefix: '2024',
      STOWAGE__instances__0__credentials__accessKeyId: '12345678',
      STOWAGE__instances__0__credentials__secretAccessKey: '87654321',
    },
  }).instances[0] as { prefix: string; credentials: { accessKeyId: string; secretAccessKey: string } };
  assert.equal(s3.prefix, '2024');
  assert.deepEqual(s3.credentials, { accessKeyId: '12345678', secretAccessKey: '87654321' });
});

test('of several variables, the one nearest the bad field is blamed; a duplicate a variable made is blamed on it', () => {
  const nofile = failure({
    env: { STOWAGE__instances__0__dir: '/tmp/x', STOWAGE__instances__1__kind: 'memory' },
  });
  assert.match(nofile.message, /^environment variable STOWAGE__instances__1__kind: instances\.1\.name: /);
  const twoBuckets = file(
    'two-buckets.yaml',
    'instances:\n  - kind: s3\n    bucket: control-plane\n    prefix: p\n  - kind: s3\n    bucket: control-plane\n    prefix: q\n',
  );
  const made = failure({ path: twoBuckets, env: { STOWAGE__instances__1__prefix: 'p' } });
  assert.match(
    made.message,
    /^environment variable STOWAGE__instances__1__prefix: instances\.1\.prefix: the same instance as instances\.0/,
  );
});

test('blame goes to the variable whose value is at fault, never to a bystander, and a list with a hole is refused', () => {
  const whole = failure({
    env: {
      STOWAGE__instances: JSON.stringify([
        { kind: 'file', dir: 'a' },
        { kind: 'file', dir: 'a' },
      ]),
      STOWAGE__instances__1__compactMinBytes: '5',
    },
  });
  assert.match(
    whole.message,
    /^environment variable STOWAGE__instances: instances\.1\.dir: the same instance/,
  );
  const fileDuplicate = file(
    'dup-s3.yaml',
    'instances:\n  - kind: s3\n    endpoint: http://127.0.0.1:7480\n    bucket: control-plane\n  - kind: s3\n    endpoint: http://127.0.0.1:7480\n    bucket: control-plane\n',
  );
  const region = failure({ path: fileDuplicate, env: { STOWAGE__instances__1__region: 'eu-west-1' } });
  assert.match(region.message, /^.*dup-s3\.yaml:7: instances\.1\.bucket: the same instance as instances\.0/);
  const twoDirs = file(
    'two-dirs.yaml',
    'instances:\n  - kind: file\n    dir: a\n  - kind: file\n    dir: b\n',
  );
  const moved = failure({ path: twoDirs, env: { STOWAGE__instances__0__dir: 'b' } });
  assert.match(
    moved.message,
    /^environment variable STOWAGE__instances__0__dir: instances\.0\.dir: the same instance as instances\.1/,
  );
  const hole = failure({ env: { STOWAGE__instances__2__kind: 'memory', STOWAGE__instances__2__name: 'm' } });
  assert.match(
    hole.message,
    /^environment variable STOWAGE__instances__2__kind sets item 2 of a list of 1: items are numbered from 0 without gaps, so the next is 1/,
  );
  const eleven = Object.fromEntries(
    Array.from({ length: 11 }, (_, i) => [`STOWAGE__instances__${i}__kind`, 'memory']).concat(
      Array.from({ length: 11 }, (_, i) => [`STOWAGE__instances__${i}__name`, `m${i}`]),
    ),
  );
  assert.equal(loadConfig({ env: eleven }).instances.length, 11, 'items 10 and up are applied after 2 to 9');
});

test('a file instance takes logSync o_dsync or fdatasync, reaches its backend, and refuses anything else', async () => {
  const path = file(
    'sync.yaml',
    `instances:\n  - kind: file\n    dir: ${join(dir, 'synced')}\n    logSync: fdatasync\n`,
  );
  const config = loadConfig({ path, env: {} });
  const backend = await createBackend(config.instances[0] as BackendConfig);
  assert.ok(backend instanceof FileBackend);
  await backend.open(MachineId.generate());
  try {
    assert.equal(backend.stats().logSync, 'fdatasync');
    assert.equal(backend.stats().io, 'blocking');
  } finally {
    await backend.close();
  }
  const platform = Object.getOwnPropertyDescriptor(process, 'platform')!;
  Object.defineProperty(process, 'platform', { ...platform, value: 'darwin' });
  try {
    const offLinux = failure({
      path: file('dsync.yaml', 'instances:\n  - kind: file\n    dir: d\n    logSync: o_dsync\n'),
      env: {},
    });
    assert.equal(offLinux.details.field, 'instances.0.logSync');
    assert.match(
      offLinux.message,
      /dsync\.yaml:4: instances\.0\.logSync: o_dsync is offered on Linux only, not on darwin/,
    );
  } finally {
    Object.defineProperty(process, 'platform', platform);
  }
  const bad = failure({
    path: file('badsync.yaml', 'instances:\n  - kind: file\n    dir: d\n    logSync: never\n'),
    env: {},
  });
  assert.equal(bad.details.field, 'instances.0.logSync');
  assert.equal(bad.details.line, 4);
});

test('one storage spelled two ways is refused: a directory and a symbolic link or a bind mount of it, an endpoint with and without its slash', () => {
  const real = join(dir, 'real-dir');
  mkdirSync(real);
  symlinkSync(real, join(dir, 'link-dir'));
  const linked = failure({
    path: file(
      'linked.yaml',
      `instances:\n  - kind: file\n    dir: ${real}\n  - kind: file\n    dir: ${join(dir, 'link-dir')}\n`,
    ),
    env: {},
  });
  assert.equal(linked.details.field, 'instances.1.dir');
  assert.match(linked.message, /the same instance as instances\.0/);
  // A directory that does not exist yet, under a linked parent, is the same directory too.
  const below = failure({
    path: file(
      'below.yaml',
      `instances:\n  - kind: file\n    dir: ${real}/x\n  - kind: file\n    dir: ${join(dir, 'link-dir', 'x')}\n`,
    ),
    env: {},
  });
  assert.equal(below.details.field, 'instances.1.dir');
  bindMounted(real, join(dir, 'bind-dir'), (bound) => {
    // Both paths are real: only the device and inode say they are one directory.
    const bind = failure({
      path: file(
        'bind.yaml',
        `instances:\n  - kind: file\n    dir: ${real}\n  - kind: file\n    dir: ${bound}\n`,
      ),
      env: {},
    });
    assert.equal(bind.details.field, 'instances.1.dir');
    assert.throws(
      () =>
        new RuntimeProvider([
          { kind: 'file', dir: real },
          { kind: 'file', dir: bound },
        ]),
      /instance file-[0-9a-f]{12} is file-[0-9a-f]{12} again/,
    );
  });
  // One S3 store spelled two ways: an endpoint's scheme case and slash; an AWS region's case,
  // which the SDK takes in any case (accepted twice before).
  for (const [name, first, second] of [
    ['slash', 'endpoint: http://127.0.0.1:7480', 'endpoint: HTTP://127.0.0.1:7480/'],
    ['region', 'region: us-east-1', 'region: US-EAST-1'],
  ]) {
    const twice = failure({
      path: file(
        `${name}.yaml`,
        `instances:\n  - kind: s3\n    ${first}\n    bucket: control-plane\n  - kind: s3\n    ${second}\n    bucket: control-plane\n`,
      ),
      env: {},
    });
    assert.match(twice.message, /instances\.1\.\w+: the same instance as instances\.0/, name);
  }
  const nested = failure({
    path: file(
      'nested-spelling.yaml',
      'instances:\n  - kind: s3\n    endpoint: http://127.0.0.1:80\n    bucket: control-plane\n    prefix: a\n  - kind: s3\n    endpoint: http://127.0.0.1/\n    bucket: control-plane\n    prefix: a/b\n',
    ),
    env: {},
  });
  assert.equal(nested.details.field, 'instances.1.prefix');
});

test('an environment variable that names a list item by anything but its number is refused, not ignored', () => {
  for (const segment of ['x', '01', 'kind']) {
    const error = failure({ env: { [`STOWAGE__instances__${segment}__dir`]: '/tmp/elsewhere' } });
    assert.match(error.message, /where a list wants an item number/, segment);
    assert.equal(error.details.field, `instances.${segment}`, 'the field the variable names');
  }
  assert.equal(failure({ env: { STOWAGE__: '1' } }).details.field, '');
  assert.equal(failure({ env: { STOWAGE__server____port: '1' } }).details.field, 'server..port');
  const hole = failure({ env: { STOWAGE__instances__2__kind: 'memory', STOWAGE__instances__2__name: 'm' } });
  assert.equal(hole.details.field, 'instances.2');
});

test('milliseconds past what a Node timer can wait, a worker heap too small to start in, and an empty keyring source are refused at load', () => {
  for (const [field, yaml] of [
    ['supervisor.openTimeoutMs', 'supervisor:\n  openTimeoutMs: 2147483648\n'],
    ['supervisor.probeIntervalMs', 'supervisor:\n  probeIntervalMs: 2147483648\n'],
    ['mailbox.waitMs', 'mailbox:\n  waitMs: 2147483648\n'],
    ['shutdown.drainDeadlineMs', 'shutdown:\n  drainDeadlineMs: 2147483648\n'],
    [
      'instances.0.timeouts.requestMs',
      'instances:\n  - kind: s3\n    bucket: control-plane\n    timeouts:\n      requestMs: 3000000000\n',
    ],
    ['pool.workerHeapMb', 'pool:\n  workerHeapMb: 2\n'],
    ['pool.idleSpinMicros', 'pool:\n  idleSpinMicros: 1000001\n'],
    ['supervisor.backoffBaseMs', 'supervisor:\n  backoffBaseMs: 6000\n'],
    ['secrets.keyringFile', 'secrets:\n  keyringFile: ""\n'],
    ['secrets.keyringEnv', 'secrets:\n  keyringEnv: ""\n'],
  ] as const) {
    assert.equal(failure({ path: file('bounds.yaml', yaml), env: {} }).details.field, field);
  }
  assert.equal(
    loadConfig({ path: file('max.yaml', 'supervisor:\n  openTimeoutMs: 2147483647\n'), env: {} }).supervisor
      .openTimeoutMs,
    2147483647,
  );
  assert.throws(() => resolveOptions({ supervisor: { probeIntervalMs: 2 ** 31 } }), /at most 2147483647/);
  assert.throws(() => resolveOptions({ idleSpinMicros: 1_000_001 }), /at most 1000000/);
});

test('RuntimeOptions: worker resource limits and counts that would fail late, or abort the process, are refused at once', () => {
  const fieldOf = (options: RuntimeOptions): unknown => {
    try {
      resolveOptions(options);
    } catch (error) {
      assert.ok(error instanceof InvalidRuntimeConfigError, String(error));
      return error.details.field;
    }
    return 'accepted';
  };
  for (const [options, field] of [
    [{ resourceLimits: { maxOldGenerationSizeMb: 2 } }, 'resourceLimits.maxOldGenerationSizeMb'],
    // 0.1 MiB of stack killed the whole embedding process when the worker loaded.
    [{ resourceLimits: { stackSizeMb: 0.1 } }, 'resourceLimits.stackSizeMb'],
    [{ resourceLimits: { codeRangeSizeMb: Number.NaN } }, 'resourceLimits.codeRangeSizeMb'],
    [{ resourceLimits: { maxYoungGenerationSizeMb: -1 } }, 'resourceLimits.maxYoungGenerationSizeMb'],
    [{ resourceLimits: { maxYoungGenerationSizeMb: '8' } }, 'resourceLimits.maxYoungGenerationSizeMb'],
    [{ resourceLimits: { maxOldGenerationSizeMB: 64 } }, 'resourceLimits.maxOldGenerationSizeMB'],
    [{ resourceLimits: 5 }, 'resourceLimits'],
    // Past 2^53 an integer is not exact; the stores refused it in every open, retried for ever.
    [{ maxObjectBytes: 2 ** 53 }, 'maxObjectBytes'],
    [{ mailbox: { capacity: 1e300 } }, 'mailbox.capacity'],
    // The base was capped by the most without a word.
    [{ supervisor: { backoffBaseMs: 5000, backoffMaxMs: 10 } }, 'supervisor.backoffBaseMs'],
    [{ supervisor: { backoffBaseMs: 6000 } }, 'supervisor.backoffBaseMs'],
    // Typos were ignored: the capacity stayed 1024.
    [{ mailbox: { capcity: 1 } }, 'mailbox.capcity'],
    [{ supervisor: { hangTimeout: 1 } }, 'supervisor.hangTimeout'],
    [{ maxObjectByte: 1 }, 'maxObjectByte'],
    // A section that is no object was ignored (5), or read as a string's characters ('wait').
    [{ supervisor: 5 }, 'supervisor'],
    [{ mailbox: 'wait' }, 'mailbox'],
    [{ mailbox: [] }, 'mailbox'],
    [5, 'options'],
  ] as const) {
    assert.equal(fieldOf(options as unknown as RuntimeOptions), field, JSON.stringify(options));
  }
  assert.equal(fieldOf({ resourceLimits: { stackSizeMb: 1, maxYoungGenerationSizeMb: 0.5 } }), 'accepted');
});

test('options of null from a JavaScript caller are the defaults for both providers; a maxObjectBytes given as text is shown as text', async () => {
  assert.equal(resolveOptions(null).mailbox.capacity, 1024);
  const local = new LocalProvider([{ name: 'm', backend: new MemoryBackend() }], null);
  await local.close();
  const runtime = new RuntimeProvider([{ kind: 'memory', name: 'm' }], null);
  await runtime.close();
  assert.throws(
    () => new LocalProvider([{ name: 'm', backend: new MemoryBackend() }], { maxObjectBytes: '5' as never }),
    (error: unknown) => error instanceof ConfigError && /got "5"$/.test(error.message),
  );
});

test('RuntimeProvider refuses a code-built instance with a field its kind does not take, or a logSync that is none, naming the field', () => {
  const fieldOf = (config: unknown): unknown => {
    try {
      new RuntimeProvider([config as never]);
    } catch (error) {
      assert.ok(error instanceof InvalidRuntimeConfigError || error instanceof ConfigError, String(error));
      return error.details.field;
    }
    return 'accepted';
  };
  // Each was accepted and ignored: the limit was not applied, the typo not seen.
  assert.equal(fieldOf({ kind: 'file', dir: '/tmp/x', maxObjectsPerKind: 1 }), 'maxObjectsPerKind');
  assert.equal(fieldOf({ kind: 'file', dir: '/tmp/x', compactMinByte: 10 }), 'compactMinByte');
  assert.equal(fieldOf({ kind: 'memory', name: 'm', dri: 'x' }), 'dri');
  // At construction, not in the worker after it started (an InitializeFailedError, retried).
  assert.equal(fieldOf({ kind: 'file', dir: '/tmp/x', logSync: 'bogus' }), 'logSync');
  assert.equal(fieldOf({ kind: 'file', dir: '/tmp/x', compactGarbageRatio: 2 }), 'compactGarbageRatio');
  assert.throws(
    () => new FileBackend('/tmp/x', { logSync: 'bogus' as never }),
    /"bogus" is none of o_dsync, fdatasync/,
  );
});

test('a backoff base over the most names both values, and which is the default, at the line that set one', () => {
  const error = failure({ path: file('backoff.yaml', 'supervisor:\n  backoffMaxMs: 50\n'), env: {} });
  assert.ok(
    error.message.endsWith(
      'backoff.yaml:2: supervisor.backoffBaseMs: must be at most backoffMaxMs (backoffBaseMs 100, its default; backoffMaxMs 50)',
    ),
    error.message,
  );
});

/**
 * Runs `body` with `source` bind-mounted at `target` (root only; CI runs as root, and there a
 * failed mount fails the test rather than leaving the case out).
 */
function bindMounted(source: string, target: string, body: (target: string) => void): void {
  mkdirSync(target);
  try {
    execFileSync('mount', ['--bind', source, target], { stdio: 'pipe' });
  } catch (error) {
    if (process.env.CI === 'true') throw error;
    return;
  }
  try {
    body(target);
  } finally {
    execFileSync('umount', [target]);
  }
}
