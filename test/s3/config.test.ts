import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backendInstanceName } from '../../src/backends/factory.js';
import { nestedS3Prefixes, resolveS3Config } from '../../src/backends/s3/config.js';
import {
  ConfigError,
  InvalidRuntimeConfigError,
  LocalProvider,
  RuntimeProvider,
  S3Backend,
  S3ConfigError,
  s3InstanceName,
} from '../../src/index.js';

const SECRET = 'secret-value-never-shown-0123456789';
const base = { endpoint: 'http://127.0.0.1:7480', bucket: 'stowage-data', prefix: 'cp' };

test('defaults are explicit: timeouts, attempts, sockets, checksum mode, region', () => {
  const config = resolveS3Config({ bucket: 'b-1' });
  assert.deepEqual(config.timeouts, { connectMs: 3000, requestMs: 5000, operationMs: 8000 });
  assert.equal(config.maxAttempts, 3);
  assert.equal(config.retryMode, 'standard');
  assert.equal(config.maxSockets, 64);
  assert.equal(config.checksumMode, 'when_supported');
  assert.equal(config.region, 'us-east-1');
  assert.equal(config.endpoint, undefined);
});

test('the prefix is normalized, and one that could climb out of itself is refused', () => {
  assert.equal(resolveS3Config({ bucket: 'b-1', prefix: '/a/b/' }).prefix, 'a/b');
  for (const prefix of ['a//b', '../x', 'a/./b', 'a b', 'a/..']) {
    assert.throws(() => resolveS3Config({ bucket: 'b-1', prefix }), S3ConfigError, prefix);
  }
});

test('region names the SDK takes are accepted', () => {
  for (const region of ['us-east-1', 'default', 'eu-central-2', 'US', 'zg1']) {
    assert.equal(resolveS3Config({ bucket: 'b-1', region }).region, region);
  }
});

test('invalid fields are named in the error, and their values are never echoed', () => {
  const cases: [object, string][] = [
    [{ bucket: 'B' }, 'bucket'],
    [{ bucket: 'b-1', endpoint: SECRET }, 'endpoint'],
    [{ bucket: 'b-1', endpoint: `http://admin:${SECRET}@127.0.0.1:7480` }, 'endpoint'],
    [{ bucket: 'b-1', maxAttempts: 0 }, 'maxAttempts'],
    [{ bucket: 'b-1', timeouts: { requestMs: -1 } }, 'timeouts.requestMs'],
    [{ bucket: 'b-1', checksumMode: 'crc32' }, 'checksumMode'],
    [{ bucket: 'b-1', forcePathstyle: true }, 'forcePathstyle'],
    [{ bucket: 'b-1', prefix: 'p'.repeat(257) }, 'prefix'],
    [{ bucket: 'b-1', credentials: { accessKeyId: SECRET } }, 'credentials.secretAccessKey'],
    // S3 refuses each of these names, which was reported at open as a missing bucket.
    ...['a..b', 'a.-b', 'a-.b', '.ab', '192.168.5.4'].map((bucket): [object, string] => [
      { bucket },
      'bucket',
    ]),
    // Each of these reached the storage the bare endpoint does, under another instance name.
    [{ bucket: 'b-1', endpoint: 'http://127.0.0.1:7480/?x' }, 'endpoint'],
    [{ bucket: 'b-1', endpoint: 'http://127.0.0.1:7480/#a' }, 'endpoint'],
    [{ bucket: 'b-1', endpoint: 'http://127.0.0.1:7480/?' }, 'endpoint'],
    // The SDK puts the bucket after a path: writes went into bucket b0, under the folder b-1/.
    [{ bucket: 'b-1', endpoint: 'http://127.0.0.1:7480/b0' }, 'endpoint'],
    [{ bucket: 'b-1', endpoint: 'http://127.0.0.1:7480/base/' }, 'endpoint'],
    // The SDK refuses these at the first request, which reported them as an unreachable endpoint.
    [{ bucket: 'b-1', region: 'us east-1' }, 'region'],
    [{ bucket: 'b-1', region: 'a/b' }, 'region'],
    [{ bucket: 'b-1', region: 'us-east-1\n' }, 'region'],
    [{ bucket: 'b-1', region: 'r'.repeat(64) }, 'region'],
  ];
  for (const [config, field] of cases) {
    assert.throws(
      () => resolveS3Config(config as never),
      (error: unknown) => {
        assert.ok(error instanceof S3ConfigError);
        assert.equal(error.details.field, field);
        assert.ok(!error.message.includes(SECRET));
        return true;
      },
    );
  }
});

test('instance names hash endpoint, bucket and prefix, and ignore credentials', () => {
  const name = s3InstanceName(base);
  assert.match(name, /^s3-[0-9a-f]{12}$/);
  const withCredentials = { ...base, credentials: { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: SECRET } };
  assert.equal(s3InstanceName(withCredentials), name);
  assert.equal(backendInstanceName({ kind: 's3', ...withCredentials }), name);
  assert.equal(s3InstanceName({ ...base, prefix: '/cp/' }), name, 'same prefix, spelled differently');
  assert.notEqual(s3InstanceName({ ...base, prefix: 'other' }), name);
  assert.notEqual(s3InstanceName({ ...base, bucket: 'stowage-data-2' }), name);
  assert.notEqual(s3InstanceName({ ...base, endpoint: 'http://127.0.0.1:7481' }), name);
});

test('prefixes that nest in one bucket are found: the empty prefix holds all, a holds a/b but not ab', () => {
  const at = (prefix: string, more: object = {}) => ({ ...base, prefix, ...more });
  assert.deepEqual(nestedS3Prefixes([at('a'), at('a/b')]), { outer: 0, inner: 1 });
  assert.deepEqual(
    nestedS3Prefixes([at('a/b'), at('a')]),
    { outer: 1, inner: 0 },
    'the inner one listed first',
  );
  assert.deepEqual(
    nestedS3Prefixes([at('a/b'), at('/a/')]),
    { outer: 1, inner: 0 },
    'normalized before comparing',
  );
  assert.deepEqual(nestedS3Prefixes([at('x'), at('a/b'), at('')]), { outer: 2, inner: 0 });
  assert.deepEqual(
    nestedS3Prefixes([
      { bucket: 'b-1', prefix: 'p' },
      { bucket: 'b-1', prefix: 'p/q', region: 'us-east-1' },
    ]),
    { outer: 0, inner: 1 },
    'the same AWS region is the same store',
  );
  for (const [first, second] of [
    [at('a'), at('ab')],
    [at('a'), at('a')],
    [at('a'), at('a/b', { bucket: 'other-bucket' })],
    [at('a'), at('a/b', { endpoint: 'http://127.0.0.1:7481' })],
    [
      { bucket: 'b-1', prefix: 'p' },
      { bucket: 'b-1', prefix: 'p/q', region: 'eu-west-1' },
    ],
  ]) {
    assert.equal(nestedS3Prefixes([first!, second!]), undefined, JSON.stringify([first, second]));
  }
});

test('both providers refuse S3 instances whose prefixes nest in one bucket, naming the instances', () => {
  const outer = { ...base, prefix: 'cp' };
  const inner = { ...base, prefix: 'cp/eu' };
  const names = [s3InstanceName(outer), s3InstanceName(inner)];
  const refused = (build: () => unknown, type: typeof ConfigError | typeof InvalidRuntimeConfigError) =>
    assert.throws(build, (error: unknown) => {
      assert.ok(error instanceof type, String(error));
      assert.match(
        error.message,
        new RegExp(`^instance ${names[1]}: its prefix lies inside that of ${names[0]} in one bucket`),
      );
      return true;
    });
  refused(
    () =>
      new RuntimeProvider([
        { kind: 's3', ...outer },
        { kind: 's3', ...inner },
      ]),
    InvalidRuntimeConfigError,
  );
  refused(
    () =>
      new LocalProvider([
        { name: names[0]!, backend: new S3Backend(outer) },
        { name: names[1]!, backend: new S3Backend(inner) },
      ]),
    ConfigError,
  );
  // Side by side, not nested: accepted.
  new LocalProvider([
    { name: 'a', backend: new S3Backend(outer) },
    { name: 'b', backend: new S3Backend({ ...base, prefix: 'cp-eu' }) },
  ]);
});

test('RuntimeProvider refuses one S3 bucket and prefix reached through two spellings of its endpoint', () => {
  const spelled = { ...base, endpoint: 'HTTP://127.0.0.1:7480/' };
  assert.notEqual(s3InstanceName(base), s3InstanceName(spelled), 'names hash the endpoint as written');
  assert.throws(
    () =>
      new RuntimeProvider([
        { kind: 's3', ...base },
        { kind: 's3', ...spelled },
      ]),
    (error: unknown) => {
      assert.ok(error instanceof InvalidRuntimeConfigError, String(error));
      assert.match(
        error.message,
        new RegExp(`^instance ${s3InstanceName(spelled)} is ${s3InstanceName(base)} again`),
      );
      return true;
    },
  );
});

test('a credential holding a control character (a pasted newline) or a character past ASCII is refused, naming the field, never echoing it', () => {
  // Past ASCII the SDK's request failed before it was sent, reported as STOWAGE_S3_UNREACHABLE.
  for (const [bad, why] of [
    [`${SECRET}\n`, /control characters/],
    [`${SECRET}€`, /must be ASCII/],
  ] as const) {
    for (const field of ['accessKeyId', 'secretAccessKey', 'sessionToken'] as const) {
      const credentials = { accessKeyId: 'AKIA0123', secretAccessKey: SECRET, [field]: bad };
      assert.throws(
        () => resolveS3Config({ ...base, credentials }),
        (error: unknown) => {
          assert.ok(error instanceof S3ConfigError, String(error));
          assert.equal(error.details.field, `credentials.${field}`);
          assert.match(error.message, why);
          assert.ok(!error.message.includes(SECRET));
          return true;
        },
      );
    }
  }
});

test('credentials an AWS SDK client has used (it adds $source) or a provider resolved are accepted, and only the three fields are kept; a misspelt field is still refused', () => {
  const used = {
    accessKeyId: 'AKIA0123',
    secretAccessKey: SECRET,
    $source: { CREDENTIALS_CODE: 'e' },
    accountId: '123456789012',
    expiration: new Date(Date.now() + 3_600_000),
    credentialScope: 'us-east-1',
  };
  // Before, `$source` failed the whole configuration: "credentials.<a key that is no field name>".
  const resolved = resolveS3Config({ ...base, credentials: used });
  assert.deepEqual(resolved.credentials, { accessKeyId: 'AKIA0123', secretAccessKey: SECRET });
  assert.throws(
    () => resolveS3Config({ ...base, credentials: { accessKeyId: 'AKIA0123', secretKey: SECRET } as never }),
    (error: unknown) =>
      error instanceof S3ConfigError && /credentials\.secretAccessKey|secretKey/.test(error.message),
  );
});

test('a secret that became a key (a missing colon) is not shown, from code as from a file: zod quoted it in full', () => {
  const pasted = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
  const config = { bucket: 'b-1', credentials: { accessKeyId: 'A', secretAccessKey: 'B', [pasted]: 'x' } };
  assert.throws(
    () => resolveS3Config(config as never),
    (error: unknown) => {
      assert.ok(error instanceof S3ConfigError);
      assert.equal(error.details.field, 'credentials.<a key that is no field name, not shown>');
      assert.ok(!error.message.includes(pasted.slice(0, 8)), error.message);
      return true;
    },
  );
});
