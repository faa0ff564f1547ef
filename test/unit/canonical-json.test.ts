import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import { canonicalJson, InvalidObjectError } from '../../src/index.js';
import { canonicalJsonUpTo } from '../../src/objects/canonical-json.js';
import { loadFixtureObjects } from '../helpers/fixtures.js';

test('canonical JSON sorts keys at every level and has no whitespace', () => {
  assert.equal(
    canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: null } }),
    '{"a":{"c":null,"d":[3,{"y":2,"z":1}]},"b":1}',
  );
  assert.equal(canonicalJson({ b: 1, a: 2 }), canonicalJson({ a: 2, b: 1 }));
  assert.equal(canonicalJson(-0), '0');
});

test('values JSON cannot carry are rejected with the field path', () => {
  const cyclic: Record<string, unknown> = { a: 1 };
  cyclic.self = cyclic;
  const cases: [unknown, string][] = [
    [{ spec: { f: () => 1 } }, 'spec.f'],
    [{ spec: { n: 10n } }, 'spec.n'],
    [{ spec: { list: [1, Number.NaN] } }, 'spec.list[1]'],
    [{ spec: { x: Number.POSITIVE_INFINITY } }, 'spec.x'],
    [{ spec: { u: undefined } }, 'spec.u'],
    [{ spec: { s: Symbol('s') } }, 'spec.s'],
    [{ spec: { d: new Date(0) } }, 'spec.d'],
    [{ spec: { m: new Map() } }, 'spec.m'],
    [{ 'odd key': { 'a.b': [0, [1, undefined]] } }, '["odd key"]["a.b"][1][1]'],
    [cyclic, 'self'],
    // biome-ignore lint/suspicious/noSparseArray: a sparse array is the case under test
    [{ sparse: [1, , 3] }, 'sparse[1]'],
  ];
  for (const [value, field] of cases) {
    assert.throws(
      () => canonicalJson(value),
      (error: unknown) => error instanceof InvalidObjectError && error.details.field === field,
      field,
    );
  }
});

test('refusals name what they refuse in plain words', () => {
  const cases: [unknown, RegExp][] = [
    [{ u: undefined }, /^u: undefined cannot be represented in JSON$/],
    [{ n: 10n }, /^n: a bigint cannot be represented/],
    [{ d: new Date(0) }, /^d: a Date cannot be represented/],
    // Inherits Object as its constructor's name: it was refused as "a Object".
    [{ o: Object.create({ inherited: 1 }) }, /^o: an object that inherits from another object cannot/],
  ];
  for (const [value, message] of cases) {
    assert.throws(
      () => canonicalJson(value),
      (error: unknown) => error instanceof InvalidObjectError && message.test(error.message),
      String(message),
    );
  }
});

test('plain objects and arrays of another realm (a vm context) are plain data, as JSON.stringify takes them', () => {
  const foreign = runInNewContext('({ b: [1, { c: "x" }], a: null })') as object;
  assert.equal(canonicalJson(foreign), '{"a":null,"b":[1,{"c":"x"}]}');
  // Its class instances are not: a Date of that realm is refused as one of this realm is.
  assert.throws(() => canonicalJson({ d: runInNewContext('new Date(0)') }), InvalidObjectError);
});

test('shared (non-cyclic) references are fine', () => {
  const shared = { x: 1 };
  assert.equal(canonicalJson({ a: shared, b: [shared, shared] }), '{"a":{"x":1},"b":[{"x":1},{"x":1}]}');
});

test('nesting is bounded instead of overflowing the stack', () => {
  let deep: unknown = 1;
  for (let i = 0; i < 10_000; i++) deep = [deep];
  assert.throws(() => canonicalJson(deep), InvalidObjectError);
});

test('a length budget: the same output within it, undefined past it, and the walk stops there', () => {
  const value = { b: [1, 'two', { d: null, c: true }], a: 'x'.repeat(50) };
  const full = canonicalJson(value);
  assert.equal(canonicalJsonUpTo(value, full.length), full);
  assert.equal(canonicalJsonUpTo(value, full.length - 1), undefined);
  assert.equal(canonicalJsonUpTo('y'.repeat(100), 99), undefined);

  // Keys are written in sorted order; the budget runs out in "a", so "z" is never read.
  let reads = 0;
  const watched = Object.defineProperty({ a: 'x'.repeat(100) }, 'z', {
    enumerable: true,
    get: () => {
      reads++;
      return 1;
    },
  });
  assert.equal(canonicalJsonUpTo(watched, 50), undefined);
  assert.equal(reads, 0);
  assert.equal(canonicalJsonUpTo({ list: Array.from({ length: 1000 }, (_, i) => i) }, 100), undefined);
});

test('with a budget, what is unrepresentable before it still throws; what lies past it is unchecked', () => {
  assert.throws(
    () => canonicalJsonUpTo({ a: () => 1, b: 'x'.repeat(100) }, 10),
    (error: unknown) => error instanceof InvalidObjectError && error.details.field === 'a',
  );
  assert.equal(canonicalJsonUpTo({ a: 'x'.repeat(100), b: () => 1 }, 10), undefined);
});

/** The definition, written the plain way: sorted keys, JSON.stringify for every key and leaf. */
function reference(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(reference).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${reference((value as Record<string, unknown>)[key])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(Object.is(value, -0) ? 0 : value);
}

test('the output equals the plain definition for any JSON value, any UTF-16 text, any key order', () => {
  // Every code unit, lone surrogates included, weighted toward the ones JSON escapes; lengths
  // reach past the 64 characters up to which strings are checked by hand.
  const unit = fc.oneof(
    fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code)),
    fc.constantFrom('"', '\\', '\n', '\u0000', '\u001f', '\u007f', '\ud800', '\udfff', 'é', 'a', '0'),
  );
  const text = fc.string({ unit, maxLength: 90 });
  const value = fc.letrec((tie) => ({
    node: fc.oneof(
      { depthSize: 'small' },
      text,
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.boolean(),
      fc.constant(null),
      fc.array(tie('node'), { maxLength: 5 }),
      fc.dictionary(fc.oneof(text, fc.constantFrom('10', '9', 'apiVersion', 'kind')), tie('node'), {
        maxKeys: 6,
      }),
    ),
  })).node;
  fc.assert(
    fc.property(value, (v) => {
      const expected = reference(v);
      assert.equal(canonicalJson(v), expected);
      // Again, now that its keys are cached.
      assert.equal(canonicalJson(v), expected);
    }),
    { numRuns: 3000 },
  );
});

test('long strings equal JSON.stringify whatever they hold and wherever it sits', () => {
  // From 500 to 3,000 characters: below and above the long-string check's threshold and its
  // 1,024-character chunks. Plain ASCII, or with one unit that JSON escapes or that is not ASCII. The
  // lone surrogates U+D841 and U+DC41 end in the byte of 'A', and their UTF-8 replacement bytes pass
  // the word tests, so only the ASCII check (UTF-8 bytes against characters) refuses them.
  const special = fc.constantFrom(
    '"',
    '\\',
    '\n',
    '\u0000',
    '\u001f',
    '\u007f',
    '\u0080',
    'é',
    'Ł',
    '\ud800',
    '\ud841',
    '\udc41',
    '\u2028',
  );
  const long = fc
    .tuple(
      fc.integer({ min: 500, max: 3000 }),
      fc.constantFrom('x', 'A', '~', ' ', '0'),
      fc.option(fc.tuple(special, fc.nat())),
    )
    .map(([length, fill, inserted]) => {
      const plain = fill.repeat(length);
      if (!inserted) return plain;
      const at = inserted[1] % length;
      return plain.slice(0, at) + inserted[0] + plain.slice(at + 1);
    });
  fc.assert(
    fc.property(long, (text) => {
      assert.equal(canonicalJson({ data: text }), `{"data":${JSON.stringify(text)}}`);
    }),
    { numRuns: 2000 },
  );
});

test('the kube-prometheus fixtures encode to the plain definition', () => {
  const fixtures = loadFixtureObjects();
  assert.ok(fixtures.length > 100);
  for (const { file, object } of fixtures) assert.equal(canonicalJson(object), reference(object), file);
});
