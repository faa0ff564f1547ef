import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fromWireError, InvalidObjectError, registeredErrorCodes, StowageError } from '../../src/index.js';

const DOC = new URL('../../docs/errors.md', import.meta.url);

function documentedCodes(): Map<string, string> {
  const rows = readFileSync(DOC, 'utf8').matchAll(/^\| `(STOWAGE_[A-Z0-9_]+)` \| `(\w+)` \|/gm);
  return new Map([...rows].map((row) => [row[1]!, row[2]!]));
}

test('docs/errors.md lists exactly the registered error codes, each with its class', () => {
  const documented = documentedCodes();
  assert.deepEqual([...documented.keys()].sort(), registeredErrorCodes());
  for (const [code, className] of documented) {
    const rebuilt = fromWireError({ code, message: 'm', details: {} });
    assert.equal(rebuilt.constructor.name, className, code);
    assert.equal(rebuilt.code, code);
  }
});

test('an error crosses a thread boundary as plain data and comes back as its class', () => {
  const original = new InvalidObjectError('metadata.name is required', { field: 'metadata.name' });
  const wire = structuredClone(original.toWire());
  const rebuilt = fromWireError(wire);
  assert.ok(rebuilt instanceof InvalidObjectError);
  assert.ok(rebuilt instanceof StowageError);
  assert.equal(rebuilt.message, original.message);
  assert.deepEqual(rebuilt.details, { field: 'metadata.name' });
});

test('an unknown wire code keeps its code on a base StowageError', () => {
  const rebuilt = fromWireError({ code: 'STOWAGE_FROM_THE_FUTURE', message: 'm', details: {} });
  assert.equal(rebuilt.code, 'STOWAGE_FROM_THE_FUTURE');
  assert.ok(rebuilt instanceof StowageError);
});
