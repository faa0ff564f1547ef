import assert from 'node:assert/strict';
import { test } from 'node:test';
import { toS3Error } from '../../src/backends/s3/map-error.js';
import { S3TimeoutError, S3UnreachableError } from '../../src/index.js';

const context = { operation: 'get', bucket: 'b' };

test('a reset connection is unreachable even when the SDK names it a TimeoutError; real timeouts stay timeouts', () => {
  // @smithy/node-http-handler renames ECONNRESET and EPIPE errors to TimeoutError.
  for (const code of ['ECONNRESET', 'EPIPE']) {
    const error = toS3Error(
      Object.assign(new Error('socket hang up'), { name: 'TimeoutError', code }),
      context,
    );
    assert.ok(error instanceof S3UnreachableError, `${code}: ${error}`);
  }
  assert.ok(
    toS3Error(Object.assign(new Error('x'), { name: 'TimeoutError' }), context) instanceof S3TimeoutError,
  );
  assert.ok(
    toS3Error(Object.assign(new Error('x'), { code: 'ETIMEDOUT' }), context) instanceof S3TimeoutError,
  );
  assert.ok(
    toS3Error(Object.assign(new Error('aborted'), { name: 'AbortError' }), context) instanceof S3TimeoutError,
  );
});

test("a reset while the operation's deadline had passed is a timeout: the deadline's abort destroyed the socket", () => {
  const reset = Object.assign(new Error('aborted'), { code: 'ECONNRESET' });
  assert.ok(toS3Error(reset, context) instanceof S3UnreachableError);
  assert.ok(toS3Error(reset, { ...context, deadlineExpired: true }) instanceof S3TimeoutError);
});

test('a bare Error carries its code as awsCode (TLS spoken to a plain HTTP port: EPROTO)', () => {
  const error = toS3Error(Object.assign(new Error('wrong version number'), { code: 'EPROTO' }), context);
  assert.ok(error instanceof S3UnreachableError);
  assert.equal(error.details.awsCode, 'EPROTO');
  assert.match(error.message, /EPROTO/);
});
