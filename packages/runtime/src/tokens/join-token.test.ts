import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import type { JoinTokenClaims } from '@conclave/protocol';
import { JoinTokenSigner, JoinTokenVerifier } from './join-token.ts';

function keys() {
  const { privateKey } = generateKeyPairSync('ed25519');
  return privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
}

const now = 1_800_000_000_000;
const claims: JoinTokenClaims = {
  v: 1,
  sid: 'a'.repeat(22),
  room: 'r'.repeat(22),
  grp: 'g'.repeat(22),
  role: 'participant',
  sfu: 'ws://127.0.0.1:4443/v1/sfu',
  ds: 'ws://127.0.0.1:4000/v1/ds',
  iat: now / 1000,
  exp: now / 1000 + 60,
};

describe('join tokens', () => {
  const signer = new JoinTokenSigner(keys());
  const verifier = new JoinTokenVerifier([signer.publicKeyPem], () => now);

  it('a signed token verifies with the public key and returns its claims', () => {
    const result = verifier.verify(signer.sign(claims));
    assert.deepEqual(result, { ok: true, claims });
  });

  it('a token signed by another key is refused', () => {
    const other = new JoinTokenSigner(keys());
    assert.deepEqual(verifier.verify(other.sign(claims)), {
      ok: false,
      error: { code: 'token_bad_signature' },
    });
  });

  it('a verifier with a rotated key list accepts tokens from either key', () => {
    const next = new JoinTokenSigner(keys());
    const both = new JoinTokenVerifier([next.publicKeyPem, signer.publicKeyPem], () => now);
    assert.equal(both.verify(signer.sign(claims)).ok, true);
    assert.equal(both.verify(next.sign(claims)).ok, true);
  });

  it('an expired token is refused', () => {
    const late = new JoinTokenVerifier([signer.publicKeyPem], () => now + 120_000);
    assert.deepEqual(late.verify(signer.sign(claims)), { ok: false, error: { code: 'token_expired' } });
  });

  it('a tampered payload is refused', () => {
    const [p, payload, s] = signer.sign(claims).split('.');
    const forged = Buffer.from(JSON.stringify({ ...claims, role: 'host' })).toString('base64url');
    assert.notEqual(forged, payload);
    assert.equal(verifier.verify(`${p}.${forged}.${s}`).ok, false);
  });

  for (const bad of [undefined, 42, '', 'cjt1..', 'x.y.z', `cjt1.${'a'.repeat(5000)}.b`, 'cjt1.e30.AAAA']) {
    it(`malformed input ${JSON.stringify(bad)?.slice(0, 20)} gives token_malformed`, () => {
      assert.deepEqual(verifier.verify(bad), { ok: false, error: { code: 'token_malformed' } });
    });
  }
});
