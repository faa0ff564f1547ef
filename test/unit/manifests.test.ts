import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseManifestEntries } from '../../src/objects/manifests.js';

const item = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'inner', namespace: 'ns' } };

test('a List without a name is unpacked into its items; a named object whose kind ends in List is itself', () => {
  const list = JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMapList', items: [item] });
  assert.deepEqual(
    parseManifestEntries(list, 'stdin').map((entry) => entry.object),
    [item],
  );
  // Stored as itself, dumped as itself: restored as its items instead before, the object gone.
  const allowList = {
    apiVersion: 'example.com/v1',
    kind: 'AllowList',
    metadata: { name: 'w2', namespace: 'ns' },
    items: [item],
  };
  assert.deepEqual(
    parseManifestEntries(JSON.stringify(allowList), 'stdin').map((entry) => entry.object),
    [allowList],
  );
});

test('a JSON line that does not parse is named by its line and column, never quoted: a manifest may hold a Secret', () => {
  const good = JSON.stringify(item);
  for (const [bad, column] of [
    ['{"kind":"Secret","data":{"password":"hunter2"}x', 'column 47'],
    // V8 places this one nowhere, and its message quotes the line.
    ['{"kind":"Secret","stringData":{"password":hunter2}}', undefined],
    ['{"kind":"Secret","data":{"password":"hunter2', 'column 45'],
  ] as const) {
    assert.throws(
      () => parseManifestEntries(`${good}\n${good}\n${bad}\n`, 'stdin'),
      (error: Error) => {
        assert.equal(error.name, 'InvalidObjectError');
        assert.match(error.message, /^stdin: line 3: not valid JSON/);
        if (column) assert.ok(error.message.endsWith(`(${column})`), error.message);
        assert.doesNotMatch(error.message, /hunter|password|Secret/);
        return true;
      },
    );
  }
});

test("an alias bomb is refused as an invalid object naming its document, not with the parser's own ReferenceError", () => {
  const lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
  for (let level = 1; level < 9; level++) {
    const prev = String.fromCharCode(96 + level);
    const next = String.fromCharCode(97 + level);
    lines.push(`${next}: &${next} [${Array(9).fill(`*${prev}`).join(',')}]`);
  }
  assert.throws(
    () => parseManifestEntries(`${lines.join('\n')}\n`, 'bomb.yaml'),
    (error: Error) => {
      assert.equal(error.name, 'InvalidObjectError');
      assert.match(error.message, /^bomb\.yaml: document 1: /);
      return true;
    },
  );
});

test('a YAML syntax error is named by its document and place, its message not ending in the colon that introduced a quote of the source', () => {
  assert.throws(
    () => parseManifestEntries('apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a\n', 'bad.yaml'),
    (error: Error) => {
      assert.equal(error.name, 'InvalidObjectError');
      assert.match(error.message, /^bad\.yaml: document 1: /);
      assert.doesNotMatch(error.message, /:$/);
      return true;
    },
  );
});

test('an integer a JavaScript number cannot hold exactly is refused, in JSON lines and in YAML, where it was stored rounded', () => {
  const object = (value: string) =>
    `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"big","namespace":"ns"},"spec":{"n":${value}}}`;
  const fine = `${object('1')}\n`;
  assert.throws(
    () => parseManifestEntries(`${fine}${object('12345678901234567890')}\n`, 'big.jsonl'),
    /^InvalidObjectError: big\.jsonl: line 2: the integer 12345678901234567890 cannot be held by a JavaScript number \(it would be stored as 12345678901234567000\); write it as a string$/,
  );
  assert.throws(
    () =>
      parseManifestEntries(
        `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: big}\nn: [1, 0x20000000000001]\n`,
        'big.yaml',
      ),
    /big\.yaml: document 1: the integer 0x20000000000001 cannot be held by a JavaScript number/,
  );
  // Exact ones pass, however large (2^54, 1e20), and so do the same digits written as a string,
  // and the digits stowage itself prints for 2^60, which its dumps and `get -o json` hold.
  for (const value of [
    '18014398509481984',
    '1e20',
    '"12345678901234567890"',
    '9007199254740991',
    String(2 ** 60),
  ]) {
    const [entry] = parseManifestEntries(object(value), 'ok.json');
    assert.ok(entry);
    assert.equal(
      JSON.stringify((entry.object as unknown as { spec: { n: unknown } }).spec.n),
      value === '1e20' ? '100000000000000000000' : value,
    );
  }
});
