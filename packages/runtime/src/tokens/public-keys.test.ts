import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import { JoinTokenVerifier } from './join-token.ts';
import { parseJoinTokenPublicKeys } from './public-keys.ts';

function publicKeyPem(): string {
  return generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }).toString();
}

describe('join token public keys', () => {
  it('reads every concatenated PUBLIC KEY block, in order, each ending in one newline', () => {
    const [a, b] = [publicKeyPem(), publicKeyPem()];
    const keys = parseJoinTokenPublicKeys(`  ${a.trim()}\n\n${b}\n\n`);
    assert.deepEqual(keys, [a, b]);
    assert.doesNotThrow(() => new JoinTokenVerifier(keys));
  });

  it('ignores text that is not a public key block, including other PEM types', () => {
    const key = publicKeyPem();
    const privateKey = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' });
    assert.deepEqual(parseJoinTokenPublicKeys(`comment\n${privateKey}${key}`), [key]);
    assert.deepEqual(parseJoinTokenPublicKeys('not a key'), []);
    assert.deepEqual(parseJoinTokenPublicKeys(''), []);
  });
});
