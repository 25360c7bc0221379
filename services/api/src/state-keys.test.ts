import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deriveStateKeys } from './state-keys.ts';

describe('deriveStateKeys', () => {
  it('gives each use its own 32-byte key, none equal to the state key, the same on every instance', () => {
    const stateKey = Buffer.alloc(32, 7);
    const keys = deriveStateKeys(stateKey);
    assert.equal(keys.sealing.length, 32);
    assert.equal(keys.bucketing.length, 32);
    assert.notDeepEqual(keys.sealing, keys.bucketing);
    assert.notDeepEqual(keys.sealing, stateKey);
    assert.notDeepEqual(keys.bucketing, stateKey);
    assert.deepEqual(deriveStateKeys(Buffer.alloc(32, 7)), keys);
    assert.notDeepEqual(deriveStateKeys(Buffer.alloc(32, 8)).sealing, keys.sealing);
  });
});
