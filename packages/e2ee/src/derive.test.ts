import assert from 'node:assert/strict';
import { hkdfSync } from 'node:crypto';
import { describe, it } from 'node:test';
import { base64urlToBytes, bytesToHex, utf8Encode } from './bytes.ts';
import { deriveMeetingSecrets } from './derive.ts';
import { isE2eeError } from './errors.ts';

const ID = 'ABCDEFGHJK';
const PW = 'AAECAwQFBgcICQoLDA0ODw';

function reference(info: string, length: number): string {
  const ikm = base64urlToBytes(PW);
  return Buffer.from(
    hkdfSync('sha256', ikm, utf8Encode('conclave/v1/' + ID), utf8Encode(info), length),
  ).toString('hex');
}

describe('password derivations', () => {
  it('match an independent HKDF-SHA256 implementation for every label', async () => {
    const s = await deriveMeetingSecrets(ID, PW);
    assert.equal(s.srpSecret, reference('conclave/v1 srp', 32));
    assert.equal(bytesToHex(s.mlsPsk), reference('conclave/v1 mls psk', 32));
    assert.equal(bytesToHex(s.credKey), reference('conclave/v1 credential', 32));
    assert.equal(bytesToHex(s.nameKey), reference('conclave/v1 display name', 16));
    assert.equal(new TextDecoder().decode(s.pskId), 'conclave/v1/psk/' + ID);
  });

  it('produce a 64-character lower-case hex SRP secret', async () => {
    const s = await deriveMeetingSecrets(ID, PW);
    assert.match(s.srpSecret, /^[0-9a-f]{64}$/);
  });

  it('give independent secrets per meeting ID and per password', async () => {
    const a = await deriveMeetingSecrets(ID, PW);
    const b = await deriveMeetingSecrets('ABCDEFGHJM', PW);
    const c = await deriveMeetingSecrets(ID, 'AAECAwQFBgcICQoLDA0OEA');
    assert.notEqual(a.srpSecret, b.srpSecret);
    assert.notEqual(a.srpSecret, c.srpSecret);
    assert.notDeepEqual(a.mlsPsk, c.mlsPsk);
    assert.notDeepEqual(a.mlsPsk, a.credKey);
  });

  it('refuse non-canonical meeting IDs and malformed passwords', async () => {
    await assert.rejects(deriveMeetingSecrets('abcdefghjk', PW), (e) =>
      isE2eeError(e, 'LINK_BAD_MEETING_ID'),
    );
    await assert.rejects(deriveMeetingSecrets(ID, 'short'), (e) => isE2eeError(e, 'LINK_BAD_PASSWORD'));
  });
});
