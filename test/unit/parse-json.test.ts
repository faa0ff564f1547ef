import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hasEscapedKey, parseJson } from '../../src/objects/parse-json.js';

/** A key of one backslash, which sets V8's JSON.parse up to misread escaped keys after it. */
const POISON = String.raw`{"k":1,"\\":true}`;

test('escaped keys come back as written after a key of one backslash (nodejs/node#63785)', () => {
  // On Node 24 and 26, JSON.parse gave ['k', '\\'] for the second text after the first.
  parseJson(POISON);
  for (const [text, key] of [
    [String.raw`{"k":1,"\n":true}`, '\n'],
    [String.raw`{"k":1,"\"":true}`, '"'],
    [String.raw`{"k":1,"\t":true}`, '\t'],
    [String.raw`{"k":1,"\u0000":true}`, '\u0000'],
  ] as const) {
    assert.deepEqual(Object.keys(parseJson(text) as object), ['k', key], text);
  }
});

test('parseJson gives what JSON.parse gives: duplicates, __proto__, integer-like keys, numbers, errors', () => {
  assert.deepEqual(parseJson(String.raw`{"a":1,"\u0061":2,"b":[1.5e3,-0,null,true,false,"x\/y"]}`), {
    a: 2,
    b: [1500, -0, null, true, false, 'x/y'],
  });
  const proto = parseJson(String.raw`{"__proto__":{"polluted":1},"\n":0}`) as Record<string, unknown>;
  assert.equal(Object.getPrototypeOf(proto), Object.prototype);
  assert.deepEqual(Object.keys(proto), ['__proto__', '\n']);
  assert.equal(({} as { polluted?: number }).polluted, undefined);
  assert.deepEqual(Object.keys(parseJson(String.raw`{"z":0,"10":1,"\t":2,"2":3}`) as object), [
    '2',
    '10',
    'z',
    '\t',
  ]);
  assert.equal(parseJson(String.raw`"\ud800\"\\"`), '\ud800"\\');
  assert.throws(() => parseJson(String.raw`{"\n":}`), SyntaxError);
  // Nesting as deep as JSON.parse takes does not overflow the call stack.
  const depth = 50_000;
  const deep = `${'['.repeat(depth)}{"\\n":1}${']'.repeat(depth)}`;
  let value = parseJson(deep);
  for (let i = 0; i < depth; i++) value = (value as unknown[])[0];
  assert.deepEqual(value, { '\n': 1 });
});

test('hasEscapedKey tells keys from values, whatever the whitespace', () => {
  assert.equal(hasEscapedKey(String.raw`{"a":"\n","b":["\"", {"c":"\\"}]}`), false);
  assert.equal(hasEscapedKey(String.raw`{"a":"\n", "b\n" :1}`), true);
  assert.equal(hasEscapedKey(String.raw`{"a\\" :1}`), true);
  assert.equal(hasEscapedKey('{"a":1}'), false);
});

/** A seeded generator, so a failure names the seed that reproduces it. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

const KEY_PARTS = [
  '\\',
  '"',
  '\n',
  '\t',
  '\u0000',
  '\u001f',
  'a',
  'k',
  '10',
  '__proto__',
  'é',
  '\ud83d\ude00',
  '/',
];

function randomValue(next: () => number, depth: number): unknown {
  const pick = next();
  if (depth > 3 || pick < 0.3) return [1, -2.5e-7, 'v\\"\n', null, true][Math.floor(next() * 5)];
  if (pick < 0.45) return Array.from({ length: Math.floor(next() * 4) }, () => randomValue(next, depth + 1));
  const object: Record<string, unknown> = {};
  for (let i = Math.floor(next() * 5); i > 0; i--) {
    const key = Array.from(
      { length: 1 + Math.floor(next() * 2) },
      () => KEY_PARTS[Math.floor(next() * KEY_PARTS.length)],
    ).join('');
    Object.defineProperty(object, key, {
      value: randomValue(next, depth + 1),
      writable: true,
      enumerable: true,
      configurable: true,
    });
  }
  return object;
}

test('random objects with escaped keys round-trip through JSON.stringify and parseJson, after the poison', () => {
  for (let seed = 1; seed <= 2000; seed++) {
    const next = random(seed);
    parseJson(POISON);
    const text = JSON.stringify(randomValue(next, 0));
    assert.equal(JSON.stringify(parseJson(text)), text, `seed ${seed}`);
  }
});
