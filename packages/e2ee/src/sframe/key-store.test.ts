import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { randomBytes } from '../bytes.ts';
import { isE2eeError } from '../errors.ts';
import { decodeHeader } from './header.ts';
import { SFrameKeyStore } from './key-store.ts';
import { MediaContext, mlsKid } from './mls-kid.ts';
import { CipherSuite } from './suites.ts';

function clock(start = 1_000_000) {
  const c = { t: start, now: () => c.t };
  return c;
}

const META = Uint8Array.of(0x9d);
const PAYLOAD = Uint8Array.of(1, 2, 3, 4, 5);

function pair(groupSize = 3) {
  const time = clock();
  const alice = new SFrameKeyStore({ now: time.now, gracePeriodMs: 3000 });
  const bob = new SFrameKeyStore({ now: time.now, gracePeriodMs: 3000 });
  const install = (epoch: bigint, baseKey = randomBytes(16), sendAfterMs = 0) => {
    alice.installEpoch({ epoch, baseKey, groupSize, selfLeafIndex: 0, sendAfterMs });
    bob.installEpoch({ epoch, baseKey, groupSize, selfLeafIndex: 2 });
  };
  return { time, alice, bob, install };
}

describe('SFrame key store', () => {
  it('refuses, before decrypting, a frame whose KID names another leaf or source than expected', async () => {
    const { alice, bob, install } = pair();
    install(7n);
    const ct = await alice.encrypt(MediaContext.camera, META, PAYLOAD);
    for (const from of [
      { leafIndex: 1, context: MediaContext.camera },
      { leafIndex: 0, context: MediaContext.screen },
    ]) {
      await assert.rejects(bob.decrypt(META, ct, from), (e) => isE2eeError(e, 'SFRAME_WRONG_SENDER'));
    }
    const out = await bob.decrypt(META, ct, { leafIndex: 0, context: MediaContext.camera });
    assert.deepEqual(out.plaintext, PAYLOAD, 'the refusals used up no counter');
  });

  it('a member decrypts what another member encrypted, learning sender leaf, context and epoch', async () => {
    const { alice, bob, install } = pair();
    install(7n);
    const ct = await alice.encrypt(MediaContext.camera, META, PAYLOAD);
    const out = await bob.decrypt(META, ct);
    assert.deepEqual(out.plaintext, PAYLOAD);
    assert.equal(out.leafIndex, 0);
    assert.equal(out.context, MediaContext.camera);
    assert.equal(out.epoch, 7n);
    assert.equal(out.kid, mlsKid({ context: 1, leafIndex: 0, epoch: 7n, groupSize: 3 }));
  });

  it('counts CTR from 0 separately per KID', async () => {
    const { alice, install } = pair();
    install(1n);
    const a0 = decodeHeader(await alice.encrypt(MediaContext.mic, META, PAYLOAD));
    const a1 = decodeHeader(await alice.encrypt(MediaContext.mic, META, PAYLOAD));
    const v0 = decodeHeader(await alice.encrypt(MediaContext.camera, META, PAYLOAD));
    assert.deepEqual([a0.ctr, a1.ctr, v0.ctr], [0n, 1n, 0n]);
    assert.notEqual(a0.kid, v0.kid);
  });

  it('refuses a replayed frame but accepts reordered ones', async () => {
    const { alice, bob, install } = pair();
    install(1n);
    const f0 = await alice.encrypt(MediaContext.mic, META, PAYLOAD);
    const f1 = await alice.encrypt(MediaContext.mic, META, PAYLOAD);
    await bob.decrypt(META, f1);
    await bob.decrypt(META, f0);
    await assert.rejects(bob.decrypt(META, f1), (e) => isE2eeError(e, 'SFRAME_REPLAY'));
  });

  it('a forged frame does not advance the replay window', async () => {
    const { alice, bob, install } = pair();
    install(1n);
    const f0 = await alice.encrypt(MediaContext.mic, META, PAYLOAD);
    const forged = Uint8Array.from(f0);
    forged[forged.length - 1]! ^= 1;
    await assert.rejects(bob.decrypt(META, forged), (e) => isE2eeError(e, 'SFRAME_AUTH_FAILED'));
    assert.deepEqual((await bob.decrypt(META, f0)).plaintext, PAYLOAD);
  });

  it('detects tampered metadata', async () => {
    const { alice, bob, install } = pair();
    install(1n);
    const f0 = await alice.encrypt(MediaContext.mic, META, PAYLOAD);
    await assert.rejects(bob.decrypt(Uint8Array.of(0x9c), f0), (e) => isE2eeError(e, 'SFRAME_AUTH_FAILED'));
  });

  it('keeps decrypting the previous epoch during the grace period only', async () => {
    const { time, alice, bob, install } = pair();
    install(1n);
    const old = await alice.encrypt(MediaContext.mic, META, PAYLOAD);
    const old2 = await alice.encrypt(MediaContext.mic, META, PAYLOAD);
    install(2n);
    time.t += 2999;
    assert.equal((await bob.decrypt(META, old)).epoch, 1n);
    time.t += 1;
    await assert.rejects(bob.decrypt(META, old2), (e) => isE2eeError(e, 'SFRAME_UNKNOWN_KEY'));
    const fresh = await alice.encrypt(MediaContext.mic, META, PAYLOAD);
    assert.equal((await bob.decrypt(META, fresh)).epoch, 2n);
  });

  it('drops the epoch before the previous one at once', async () => {
    const { alice, bob, install } = pair();
    install(1n);
    const e1 = await alice.encrypt(MediaContext.mic, META, PAYLOAD);
    install(2n);
    install(3n);
    await assert.rejects(bob.decrypt(META, e1), (e) => isE2eeError(e, 'SFRAME_UNKNOWN_KEY'));
  });

  it('delays the send switch when asked, then sends with the new epoch', async () => {
    const { time, alice, bob, install } = pair();
    install(1n);
    install(2n, randomBytes(16), 1000);
    assert.equal(alice.sendEpoch, 1n);
    assert.equal((await bob.decrypt(META, await alice.encrypt(0, META, PAYLOAD))).epoch, 1n);
    time.t += 1000;
    assert.equal(alice.sendEpoch, 2n);
    assert.equal((await bob.decrypt(META, await alice.encrypt(0, META, PAYLOAD))).epoch, 2n);
  });

  it('fails closed without keys: no send key, unknown epoch, cleared store', async () => {
    const { alice, bob, install } = pair();
    await assert.rejects(alice.encrypt(0, META, PAYLOAD), (e) => isE2eeError(e, 'SFRAME_NO_SEND_KEY'));
    install(1n);
    const f = await alice.encrypt(0, META, PAYLOAD);
    bob.clear();
    await assert.rejects(bob.decrypt(META, f), (e) => isE2eeError(e, 'SFRAME_UNKNOWN_KEY'));
  });

  it('a receive-only store cannot encrypt', async () => {
    const store = new SFrameKeyStore();
    store.installEpoch({ epoch: 0n, baseKey: randomBytes(16), groupSize: 2 });
    await assert.rejects(store.encrypt(0, META, PAYLOAD), (e) => isE2eeError(e, 'SFRAME_NO_SEND_KEY'));
  });

  it('refuses frames encrypted under a different base key', async () => {
    const time = clock();
    const a = new SFrameKeyStore({ now: time.now });
    const b = new SFrameKeyStore({ now: time.now });
    a.installEpoch({ epoch: 1n, baseKey: randomBytes(16), groupSize: 2, selfLeafIndex: 0 });
    b.installEpoch({ epoch: 1n, baseKey: randomBytes(16), groupSize: 2, selfLeafIndex: 1 });
    await assert.rejects(b.decrypt(META, await a.encrypt(0, META, PAYLOAD)), (e) =>
      isE2eeError(e, 'SFRAME_AUTH_FAILED'),
    );
  });

  it('refuses to reinstall an epoch after clear, which would restart its counters', () => {
    const store = new SFrameKeyStore();
    store.installEpoch({ epoch: 5n, baseKey: randomBytes(16), groupSize: 2, selfLeafIndex: 0 });
    store.clear();
    assert.throws(
      () => store.installEpoch({ epoch: 5n, baseKey: randomBytes(16), groupSize: 2, selfLeafIndex: 0 }),
      (e) => isE2eeError(e, 'INVALID_ARGUMENT'),
    );
    store.installEpoch({ epoch: 6n, baseKey: randomBytes(16), groupSize: 2, selfLeafIndex: 0 });
    assert.equal(store.currentEpoch, 6n);
  });

  it('counts epochs per group: a new group starts again at 0, an old group never goes back', async () => {
    const time = clock();
    const alice = new SFrameKeyStore({ now: time.now });
    const bob = new SFrameKeyStore({ now: time.now });
    const key = (s: SFrameKeyStore, group: string, epoch: bigint, baseKey: Uint8Array, leaf: number) =>
      s.installEpoch({ group, epoch, baseKey, groupSize: 2, selfLeafIndex: leaf });
    key(alice, 'aa', 7n, randomBytes(16), 0);
    // The group was lost; the members meet again in a new one, whose epochs start at 0.
    const fresh = randomBytes(16);
    key(alice, 'bb', 0n, fresh, 0);
    key(bob, 'bb', 0n, fresh, 1);
    assert.equal(alice.sendEpoch, 0n);
    const ct = await alice.encrypt(MediaContext.camera, META, PAYLOAD);
    assert.deepEqual((await bob.decrypt(META, ct)).plaintext, PAYLOAD);
    // Each group's own count still holds, even across clear().
    alice.clear();
    for (const [group, epoch] of [
      ['aa', 7n],
      ['bb', 0n],
    ] as const) {
      assert.throws(
        () => key(alice, group, epoch, randomBytes(16), 0),
        (e) => isE2eeError(e, 'INVALID_ARGUMENT'),
      );
    }
    assert.throws(
      () => alice.installEpoch({ group: 'x'.repeat(511), epoch: 1n, baseKey: randomBytes(16), groupSize: 2 }),
      (e) => isE2eeError(e, 'INVALID_ARGUMENT'),
    );
  });

  it('refuses epochs that do not increase and malformed keys', () => {
    const store = new SFrameKeyStore();
    store.installEpoch({ epoch: 5n, baseKey: randomBytes(16), groupSize: 2, selfLeafIndex: 0 });
    assert.throws(
      () => store.installEpoch({ epoch: 5n, baseKey: randomBytes(16), groupSize: 2 }),
      (e) => isE2eeError(e, 'INVALID_ARGUMENT'),
    );
    assert.throws(
      () => store.installEpoch({ epoch: 6n, baseKey: new Uint8Array(0), groupSize: 2 }),
      (e) => isE2eeError(e, 'SFRAME_BAD_KEY'),
    );
    assert.throws(
      () => store.installEpoch({ epoch: 6n, baseKey: randomBytes(16), groupSize: 2, selfLeafIndex: 2 }),
      (e) => isE2eeError(e, 'INVALID_ARGUMENT'),
    );
  });

  it('refuses truncated frames and headers with typed errors', async () => {
    const { alice, bob, install } = pair();
    install(1n);
    const f = await alice.encrypt(0, META, PAYLOAD);
    await assert.rejects(bob.decrypt(META, f.subarray(0, 10)), (e) => isE2eeError(e, 'SFRAME_TRUNCATED'));
    await assert.rejects(bob.decrypt(META, new Uint8Array(0)), (e) => isE2eeError(e, 'SFRAME_BAD_HEADER'));
    await assert.rejects(bob.decrypt(META, Uint8Array.of(0xf8)), (e) => isE2eeError(e, 'SFRAME_BAD_HEADER'));
  });

  it('works with every cipher suite', async () => {
    for (const suite of Object.values(CipherSuite)) {
      const a = new SFrameKeyStore({ suite });
      const b = new SFrameKeyStore({ suite });
      const baseKey = randomBytes(16);
      a.installEpoch({ epoch: 1n, baseKey, groupSize: 2, selfLeafIndex: 0 });
      b.installEpoch({ epoch: 1n, baseKey, groupSize: 2, selfLeafIndex: 1 });
      assert.deepEqual(
        (await b.decrypt(META, await a.encrypt(2, META, PAYLOAD))).plaintext,
        PAYLOAD,
        `suite ${suite}`,
      );
    }
  });
});
