import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DS_PROTOCOL_VERSION, DsCloseCode } from '@conclave/protocol';
import { JoinTokenVerifier } from '@conclave/runtime';
import { startDs } from './server.ts';
import { DsTestClient } from './testing/ds-client.ts';
import { newSigner, randomId, testConfig, tokenFor } from './testing/fixtures.ts';

describe('a DS started from settings and a verifier, as the embedded stack starts it', () => {
  const signer = newSigner();
  const { JOIN_TOKEN_PUBLIC_KEYS: _keys, ...settings } = testConfig(signer);

  it("accepts the verifier's tokens and refuses others, with no public keys in its configuration", async () => {
    const ds = await startDs(settings, { verifier: new JoinTokenVerifier([signer.publicKeyPem]) });
    try {
      const member = await DsTestClient.connect(ds.url);
      member.send({ type: 'hello', v: DS_PROTOCOL_VERSION, token: tokenFor(signer, randomId()) });
      assert.equal((await member.next('ready')).create, true);
      member.close();
      const stranger = await DsTestClient.connect(ds.url);
      stranger.send({ type: 'hello', v: DS_PROTOCOL_VERSION, token: tokenFor(newSigner(), randomId()) });
      assert.equal((await stranger.closed).code, DsCloseCode.unauthorized);
    } finally {
      await ds.close();
    }
  });

  it('refuses to start with neither public keys nor a verifier', async () => {
    await assert.rejects(startDs(settings), /at least one join token public key/);
  });
});
