import assert from 'node:assert/strict';
import { test } from 'node:test';
import { jsonFaultPosition } from '../../src/objects/json-fault.js';

const parseError = (text: string): unknown => {
  try {
    JSON.parse(text);
  } catch (error) {
    return error;
  }
  throw new Error(`${text} parsed`);
};

test('where JSON.parse gave up is read from where V8 puts it, never from the text its message quotes', () => {
  assert.equal(jsonFaultPosition(parseError('{"a":1}x')), 7);
  assert.equal(jsonFaultPosition(parseError('{"a":"b')), 7);
  assert.equal(jsonFaultPosition(parseError('[1,\n2,\n3 4]')), 9);
  // V8 quotes a short text whole ("Unexpected token 'a', \"[at position 12345]\" is not valid
  // JSON"): read unanchored, the text chose the number a message would show.
  assert.equal(jsonFaultPosition(parseError('[at position 12345]')), undefined);
  assert.equal(jsonFaultPosition(parseError('{"k":at position 3 (line 1 column 4)}')), undefined);
  assert.equal(jsonFaultPosition(parseError('')), undefined);
  assert.equal(jsonFaultPosition(new Error('at position 5')), undefined);
  assert.equal(jsonFaultPosition('not an error'), undefined);
});
