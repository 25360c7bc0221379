import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ed25519 } from '@noble/curves/ed25519.js';
import {
  type CiphersuiteImpl,
  createCommit,
  createGroup,
  defaultCapabilities,
  defaultCryptoProvider,
  defaultLifetime,
  generateKeyPackage,
  getCiphersuiteFromName,
  getCiphersuiteImpl,
  joinGroup,
  mlsExporter,
  processPrivateMessage,
  emptyPskIndex,
} from 'ts-mls';
import { getSuite, SUITE_NAME } from './ciphersuite.ts';
import { makeEd25519 } from './ed25519.ts';
import { nobleX25519Backend } from './x25519.ts';
import { makeHpke } from './hpke.ts';

const reference = (): Promise<CiphersuiteImpl> =>
  getCiphersuiteImpl(getCiphersuiteFromName(SUITE_NAME), defaultCryptoProvider);
const bytes = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('suite 0x0001 implementation', () => {
  it('derives the same HPKE key pairs as the ts-mls reference provider', async () => {
    const [ours, ref] = [await getSuite(), await reference()];
    for (const seed of [0, 1, 77]) {
      const ikm = bytes(32, seed);
      const a = await ours.hpke.deriveKeyPair(ikm);
      const b = await ref.hpke.deriveKeyPair(ikm);
      assert.equal(
        hex(await ours.hpke.exportPublicKey(a.publicKey)),
        hex(await ref.hpke.exportPublicKey(b.publicKey)),
      );
      assert.equal(
        hex(await ours.hpke.exportPrivateKey(a.privateKey)),
        hex(await ref.hpke.exportPrivateKey(b.privateKey)),
      );
    }
  });

  it('interoperates with the reference HPKE in both directions, with both X25519 backends', async () => {
    const ref = await reference();
    for (const ours of [(await getSuite()).hpke, makeHpke(nobleX25519Backend)]) {
      const info = bytes(40, 3);
      const aad = bytes(10, 4);
      for (const size of [0, 100, 9000]) {
        const plaintext = bytes(size, 5);
        const refPair = await ref.hpke.generateKeyPair();
        const refPub = await ref.hpke.exportPublicKey(refPair.publicKey);
        const sealed = await ours.seal(await ours.importPublicKey(refPub), plaintext, info, aad);
        assert.equal(
          hex(await ref.hpke.open(refPair.privateKey, sealed.enc, sealed.ct, info, aad)),
          hex(plaintext),
        );

        const ourPair = await ours.generateKeyPair();
        const ourPub = await ours.exportPublicKey(ourPair.publicKey);
        const ourPriv = await ours.exportPrivateKey(ourPair.privateKey);
        const back = await ref.hpke.seal(await ref.hpke.importPublicKey(ourPub), plaintext, info, aad);
        const opened = await ours.open(await ours.importPrivateKey(ourPriv), back.enc, back.ct, info, aad);
        assert.equal(hex(opened), hex(plaintext));
        await assert.rejects(
          ours.open(await ours.importPrivateKey(ourPriv), back.enc, back.ct, info, bytes(10, 9)),
        );
      }
      const refPair = await ref.hpke.generateKeyPair();
      const exported = await ours.exportSecret(
        await ours.importPublicKey(await ref.hpke.exportPublicKey(refPair.publicKey)),
        bytes(12, 1),
        32,
        bytes(5, 2),
      );
      const imported = await ref.hpke.importSecret(
        refPair.privateKey,
        bytes(12, 1),
        exported.enc,
        32,
        bytes(5, 2),
      );
      assert.equal(hex(exported.secret), hex(imported));
    }
  });

  it('matches the reference hash, HMAC, HKDF and AEAD on small and large inputs', async () => {
    const [ours, ref] = [await getSuite(), await reference()];
    for (const size of [0, 55, 64, 1000, 20000]) {
      const data = bytes(size, size);
      assert.equal(hex(await ours.hash.digest(data)), hex(await ref.hash.digest(data)));
      assert.equal(hex(await ours.hash.mac(bytes(32, 1), data)), hex(await ref.hash.mac(bytes(32, 1), data)));
      assert.equal(
        hex(await ours.kdf.extract(bytes(32, 2), data)),
        hex(await ref.kdf.extract(bytes(32, 2), data)),
      );
      const ct = await ours.hpke.encryptAead(bytes(16, 1), bytes(12, 2), bytes(7, 3), data);
      assert.equal(hex(ct), hex(await ref.hpke.encryptAead(bytes(16, 1), bytes(12, 2), bytes(7, 3), data)));
      assert.equal(hex(await ours.hpke.decryptAead(bytes(16, 1), bytes(12, 2), bytes(7, 3), ct)), hex(data));
    }
    assert.equal(
      hex(await ours.kdf.expand(bytes(32, 1), bytes(20, 2), 80)),
      hex(await ref.kdf.expand(bytes(32, 1), bytes(20, 2), 80)),
    );
    assert.ok(
      await ours.hash.verifyMac(bytes(32, 1), await ref.hash.mac(bytes(32, 1), bytes(9, 9)), bytes(9, 9)),
    );
    assert.equal(await ours.hash.verifyMac(bytes(32, 1), bytes(32, 0), bytes(9, 9)), false);
  });

  it('produces Ed25519 signatures others verify, and rejects bad ones, on both backends', async () => {
    const ref = await reference();
    for (const sig of [makeEd25519(crypto.subtle), makeEd25519(undefined)]) {
      const { signKey, publicKey } = await sig.keygen();
      const msg = bytes(300, 1);
      const s = await sig.sign(signKey, msg);
      assert.ok(ed25519.verify(s, msg, publicKey));
      assert.ok(await ref.signature.verify(publicKey, msg, s));
      assert.ok(await sig.verify(publicKey, msg, s));
      assert.equal(await sig.verify(publicKey, bytes(300, 2), s), false);
      assert.equal(await sig.verify(bytes(31, 0), msg, s), false);
      const refKeys = await ref.signature.keygen();
      assert.ok(await sig.verify(refKeys.publicKey, msg, await ref.signature.sign(refKeys.signKey, msg)));
    }
  });

  it('never lets a prefetched result answer a different verification', async () => {
    const sig = makeEd25519(crypto.subtle);
    const { signKey, publicKey } = await sig.keygen();
    const msg = bytes(50, 1);
    const s = await sig.sign(signKey, msg);
    const [ok] = sig.prefetch([{ publicKey, message: msg, signature: s }]);
    assert.equal(await ok, true);
    // Same signature bytes, other message: must be verified for real (and fail).
    assert.equal(await sig.verify(publicKey, bytes(50, 2), s), false);
    const [bad] = sig.prefetch([{ publicKey, message: bytes(50, 3), signature: s }]);
    assert.equal(await bad, false);
    assert.equal(await sig.verify(publicKey, bytes(50, 3), s), false);
    assert.equal(await sig.verify(publicKey, msg, s), true);
  });

  it('runs one MLS group across our suite and the ts-mls reference provider', async () => {
    const [ours, ref] = [await getSuite(), await reference()];
    const caps = defaultCapabilities();
    const identity = (s: string) => ({
      credentialType: 'basic' as const,
      identity: new TextEncoder().encode(s),
    });
    const alice = await generateKeyPackage(identity('alice'), caps, defaultLifetime, [], ref);
    const bob = await generateKeyPackage(identity('bob'), caps, defaultLifetime, [], ours);
    let a = await createGroup(bytes(16, 1), alice.publicPackage, alice.privatePackage, [], ref);
    const add = await createCommit(
      { state: a, cipherSuite: ref },
      {
        extraProposals: [{ proposalType: 'add', add: { keyPackage: bob.publicPackage } }],
        ratchetTreeExtension: true,
      },
    );
    a = add.newState;
    let b = await joinGroup(add.welcome!, bob.publicPackage, bob.privatePackage, emptyPskIndex, ours);
    // Bob commits an UpdatePath with our suite; Alice processes it with the reference one.
    const upd = await createCommit({ state: b, cipherSuite: ours });
    b = upd.newState;
    assert.equal(upd.commit.wireformat, 'mls_private_message');
    if (upd.commit.wireformat !== 'mls_private_message') return;
    const processed = await processPrivateMessage(a, upd.commit.privateMessage, emptyPskIndex, ref);
    a = processed.newState;
    const ka = await mlsExporter(a.keySchedule.exporterSecret, 'x', new Uint8Array(), 16, ref);
    const kb = await mlsExporter(b.keySchedule.exporterSecret, 'x', new Uint8Array(), 16, ours);
    assert.equal(a.groupContext.epoch, 2n);
    assert.equal(hex(ka), hex(kb));
  });
});
