import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { base64urlToBytes, bytesToBase64url, randomBytes } from './bytes.ts';
import { isE2eeError } from './errors.ts';
import { openDisplayName, sealDisplayName } from './name-seal.ts';

const ID = 'ABCDEFGHJK';

describe('lobby display name sealing', () => {
  it('opens what it sealed, including non-ASCII names', async () => {
    const key = randomBytes(16);
    for (const name of ['Ada', 'Zoë Ångström 🎥', 'x'.repeat(256)]) {
      assert.equal(await openDisplayName(key, ID, await sealDisplayName(key, ID, name)), name);
    }
  });

  it('uses a fresh nonce so sealing twice differs', async () => {
    const key = randomBytes(16);
    assert.notEqual(await sealDisplayName(key, ID, 'Ada'), await sealDisplayName(key, ID, 'Ada'));
  });

  it('pads so that names of similar length seal to the same size', async () => {
    const key = randomBytes(16);
    const a = await sealDisplayName(key, ID, 'Al');
    const b = await sealDisplayName(key, ID, 'Alexandra Smith');
    assert.equal(a.length, b.length);
  });

  it('detects a flipped ciphertext bit', async () => {
    const key = randomBytes(16);
    const sealed = base64urlToBytes(await sealDisplayName(key, ID, 'Ada'));
    sealed[20]! ^= 1;
    await assert.rejects(openDisplayName(key, ID, bytesToBase64url(sealed)), (e) =>
      isE2eeError(e, 'NAME_TAMPERED'),
    );
  });

  it('refuses a name sealed for another meeting or with another key', async () => {
    const key = randomBytes(16);
    const sealed = await sealDisplayName(key, ID, 'Ada');
    await assert.rejects(openDisplayName(key, 'ABCDEFGHJM', sealed), (e) => isE2eeError(e, 'NAME_TAMPERED'));
    await assert.rejects(openDisplayName(randomBytes(16), ID, sealed), (e) =>
      isE2eeError(e, 'NAME_TAMPERED'),
    );
  });

  it('refuses truncated or garbled input as malformed', async () => {
    const key = randomBytes(16);
    const sealed = await sealDisplayName(key, ID, 'Ada');
    await assert.rejects(openDisplayName(key, ID, sealed.slice(0, 20)), (e) =>
      isE2eeError(e, 'NAME_MALFORMED'),
    );
    await assert.rejects(openDisplayName(key, ID, '***'), (e) => isE2eeError(e, 'NAME_MALFORMED'));
  });

  it('refuses empty, oversized and NUL-containing names', async () => {
    const key = randomBytes(16);
    await assert.rejects(sealDisplayName(key, ID, ''), (e) => isE2eeError(e, 'NAME_TOO_LONG'));
    await assert.rejects(sealDisplayName(key, ID, 'x'.repeat(257)), (e) => isE2eeError(e, 'NAME_TOO_LONG'));
    await assert.rejects(sealDisplayName(key, ID, 'a\u0000b'), (e) => isE2eeError(e, 'NAME_MALFORMED'));
    await assert.rejects(sealDisplayName(randomBytes(8), ID, 'Ada'), (e) =>
      isE2eeError(e, 'INVALID_ARGUMENT'),
    );
  });
});
