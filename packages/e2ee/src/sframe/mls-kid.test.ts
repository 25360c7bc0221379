import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isE2eeError } from '../errors.ts';
import { MediaContext, mlsKid, parseMlsKid, senderIndexBits } from './mls-kid.ts';

describe('MLS KID layout', () => {
  it('S is the smallest number of bits with groupSize <= 2^S', () => {
    assert.deepEqual([1, 2, 3, 4, 5, 8, 9, 100, 2 ** 32].map(senderIndexBits), [0, 1, 2, 2, 3, 3, 4, 7, 32]);
  });

  it('packs context, leaf index and epoch mod 16 as (context << (S+E)) + (leaf << E) + epoch', () => {
    // groupSize 5 -> S = 3; camera = 1; leaf 4; epoch 35 -> 3
    assert.equal(
      mlsKid({ context: MediaContext.camera, leafIndex: 4, epoch: 35n, groupSize: 5 }),
      (1n << 7n) + (4n << 4n) + 3n,
    );
    assert.equal(mlsKid({ context: MediaContext.mic, leafIndex: 0, epoch: 16n, groupSize: 1 }), 0n);
  });

  it('round-trips through parseMlsKid for every context and leaf', () => {
    for (const context of [0, 1, 2] as const) {
      for (let leaf = 0; leaf < 9; leaf++) {
        const kid = mlsKid({ context, leafIndex: leaf, epoch: 0xffff_ffff_ffff_fff7n, groupSize: 9 });
        assert.deepEqual(parseMlsKid(kid, 9), { context, leafIndex: leaf, epochBits: 7 });
      }
    }
  });

  it('keeps epochs above 2^53 exact', () => {
    const epoch = (1n << 60n) + 5n;
    assert.equal(mlsKid({ context: 0, leafIndex: 0, epoch, groupSize: 2 }) & 15n, 5n);
  });

  it('refuses leaves outside the group size, unknown contexts and bad sizes', () => {
    assert.throws(
      () => mlsKid({ context: 0, leafIndex: 8, epoch: 0n, groupSize: 8 }),
      (e) => isE2eeError(e, 'INVALID_ARGUMENT'),
    );
    assert.throws(
      () => mlsKid({ context: 3 as 0, leafIndex: 0, epoch: 0n, groupSize: 8 }),
      (e) => isE2eeError(e, 'INVALID_ARGUMENT'),
    );
    assert.throws(
      () => senderIndexBits(0),
      (e) => isE2eeError(e, 'INVALID_ARGUMENT'),
    );
    assert.throws(
      () => parseMlsKid(3n << 7n, 8),
      (e) => isE2eeError(e, 'SFRAME_BAD_KID'),
    );
    assert.throws(
      () => parseMlsKid(1n << 63n, 8),
      (e) => isE2eeError(e, 'SFRAME_BAD_KID'),
    );
  });
});
