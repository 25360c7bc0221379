import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deriveStateKeys } from './state-keys.ts';

describe('deriveStateKeys', () => {
  it('gives each use its own 32-byte key, none equal to the state key, the same on every instance', () => {
    const stateKey = Buffer.alloc(32, 7);
    const keys = deriveStateKeys(stateKey);
    const all = [keys.sealing, keys.bucketing, keys.naming];
    for (const key of all) {
      assert.equal(key.length, 32);
      assert.notDeepEqual(key, stateKey);
    }
    assert.equal(new Set(all.map((k) => k.toString('hex'))).size, all.length, 'every use has its own key');
    assert.deepEqual(deriveStateKeys(Buffer.alloc(32, 7)), keys);
    assert.notDeepEqual(deriveStateKeys(Buffer.alloc(32, 8)).sealing, keys.sealing);
  });
});
