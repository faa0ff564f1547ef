import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  InvalidObjectError,
  MachineId,
  MemoryBackend,
  ObjectStore,
  type RuntimeObject,
  StowageError,
} from '../../src/index.js';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Names drawn to hit the edges: valid DNS names, Unicode, '/', '..', NUL, overlong, empty. */
const nameArb = fc.oneof(
  fc.stringMatching(/^[a-z0-9]([-a-z0-9]{0,20}[a-z0-9])?$/),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.constantFrom('..', '.', '/', 'a/b', '../etc/passwd', 'a\u0000b', '', 'ünïcødé', 'a..b', '-a', 'a-'),
  fc.constant('a'.repeat(254)),
  fc.constant('a'.repeat(253)),
  fc.constant('a'.repeat(64)),
);

/** Values: anything JSON carries, plus what it cannot, now and then. */
const valueArb: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 8, arbitrary: fc.jsonValue() },
  { weight: 1, arbitrary: fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, 10n, undefined, () => 1) },
  {
    weight: 1,
    arbitrary: fc.dictionary(fc.string(), fc.constantFrom<unknown>(Symbol('x'), new Date(0), -Infinity)),
  },
);

const objectArb = fc.record({
  name: nameArb,
  namespace: fc.option(nameArb, { nil: undefined }),
  spec: valueArb,
});

function expectedValid(name: string, namespace: string | undefined, spec: unknown): boolean {
  const nameOk = name.length <= 253 && DNS_SUBDOMAIN.test(name);
  const namespaceOk =
    namespace === undefined || namespace === '' || (namespace.length <= 63 && DNS_LABEL.test(namespace));
  return nameOk && namespaceOk && carriesAsJson(spec);
}

function carriesAsJson(value: unknown): boolean {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value);
  if (Array.isArray(value)) return value.every(carriesAsJson);
  if (typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value);
  return (proto === Object.prototype || proto === null) && Object.values(value).every(carriesAsJson);
}

test('10,000 random objects: invalid ones get a typed error, valid ones round-trip exactly', async () => {
  const store = new ObjectStore(new MemoryBackend());
  await store.backend.open(MachineId.generate());
  let valid = 0;
  let invalid = 0;
  await fc.assert(
    fc.asyncProperty(objectArb, async ({ name, namespace, spec }) => {
      const object: RuntimeObject = {
        apiVersion: 'example.com/v1',
        kind: 'Fuzz',
        metadata: namespace === undefined ? { name } : { name, namespace },
        spec,
      };
      const shouldPass = expectedValid(name, namespace, spec);
      let key: string;
      try {
        key = await store.put(object);
      } catch (error) {
        assert.ok(error instanceof InvalidObjectError, `typed error, got ${error}`);
        assert.ok(error instanceof StowageError);
        assert.equal(typeof error.details.field, 'string');
        assert.equal(shouldPass, false, `rejected a valid object: ${error.message}`);
        invalid++;
        return;
      }
      assert.equal(shouldPass, true, `accepted an invalid object ${JSON.stringify(name)}`);
      const stored = await store.get({ group: 'example.com', version: 'v1', kind: 'Fuzz' }, key);
      // JSON has one zero; canonical encoding writes -0 as 0, so compare against that.
      assert.deepEqual(stored, JSON.parse(JSON.stringify(object)));
      valid++;
    }),
    { numRuns: 10_000 },
  );
  assert.ok(valid > 1000 && invalid > 1000, `both outcomes exercised: ${valid} valid, ${invalid} invalid`);
});
