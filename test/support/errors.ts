// Assertion helper for tests that expect a MaskLoopError with a given code and message.
import assert from 'node:assert/strict';
import { MaskLoopError } from '../../src-main/errors.js';

/** A validator for assert.rejects/assert.throws: the error is a MaskLoopError with this code and a message matching pattern. */
export function rejectsWith(code: string, pattern: RegExp): (error: unknown) => boolean {
  return (error) => {
    assert.ok(error instanceof MaskLoopError, `expected a MaskLoopError, got ${String(error)}`);
    assert.equal(error.code, code);
    assert.match(error.message, pattern);
    return true;
  };
}
