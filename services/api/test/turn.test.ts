import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { ConfigError } from '@conclave/runtime';
import { loadApiConfig, trustProxySetting } from '../src/config.ts';
import { awayFromWindowEdge, createMeeting, join, MODES, startApi, type TestApi } from './harness.ts';

const SECRET = 'turn-shared-secret-for-tests';

for (const mode of MODES) {
  describe(`TURN credentials with the join (${mode} stores)`, () => {
    let t: TestApi;
    before(async () => {
      t = await startApi(mode, {
        CONCLAVE_TURN_SECRET: SECRET,
        CONCLAVE_TURN_URLS: 'turns:turn.example.org:443?transport=tcp,turn:turn.example.org:3478',
      });
    });
    after(() => t?.close());

    it('a successful join carries short-lived coturn REST credentials that coturn would accept', async () => {
      const m = await createMeeting(t);
      const { verify } = await join(t, m.meetingId, m.password);
      const [server] = verify!.json().iceServers;
      assert.deepEqual(server.urls, [
        'turns:turn.example.org:443?transport=tcp',
        'turn:turn.example.org:3478',
      ]);
      const [expiry, random] = server.username.split(':');
      const lifetime = Number(expiry) - Date.now() / 1000;
      assert.ok(lifetime > 590 && lifetime <= 600, `lifetime ${lifetime}`);
      assert.ok(random.length >= 12);
      assert.equal(server.credential, createHmac('sha1', SECRET).update(server.username).digest('base64'));
      const again = await join(t, m.meetingId, m.password);
      assert.notEqual(
        again.verify!.json().iceServers[0].username,
        server.username,
        'credentials are never reused',
      );
    });
  });
}

describe('deployment settings', () => {
  it('TURN needs both the secret and the URLs', () => {
    assert.throws(() => loadApiConfig({ CONCLAVE_TURN_URLS: 'turn:t.example.org' }), ConfigError);
    assert.throws(() => loadApiConfig({ CONCLAVE_TURN_SECRET: SECRET }), ConfigError);
  });

  it('CONCLAVE_TRUST_PROXY takes true, false or a list of proxy addresses', () => {
    assert.equal(trustProxySetting('true'), true);
    assert.equal(trustProxySetting('false'), false);
    assert.deepEqual(trustProxySetting('10.0.0.0/8, 192.0.2.7'), ['10.0.0.0/8', '192.0.2.7']);
    assert.throws(() => loadApiConfig({ CONCLAVE_TRUST_PROXY: 'everyone' }), ConfigError);
  });

  it('a proxy that is not on the trusted list cannot choose the rate-limited source address', async () => {
    const t = await startApi('embedded', {
      CONCLAVE_TRUST_PROXY: '192.0.2.1',
      CONCLAVE_RATE_PER_SOURCE: '3',
    });
    try {
      const statuses = [];
      await awayFromWindowEdge();
      for (let i = 0; i < 5; i++) {
        const res = await t.request({
          method: 'GET',
          url: '/v1/join-token-keys',
          headers: { 'x-forwarded-for': `198.51.100.${i}` },
        });
        statuses.push(res.statusCode);
      }
      assert.deepEqual(statuses, [200, 200, 200, 429, 429], 'spoofed addresses all count as the real peer');
    } finally {
      await t.close();
    }
  });

  it('secrets can come from files (<NAME>_FILE)', async () => {
    const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
    const { join: joinPath } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(joinPath(tmpdir(), 'conclave-secrets-'));
    try {
      writeFileSync(joinPath(dir, 'state'), `${Buffer.alloc(32, 3).toString('base64')}\n`);
      const config = loadApiConfig({ CONCLAVE_STATE_KEY_FILE: joinPath(dir, 'state') });
      assert.equal(config.CONCLAVE_STATE_KEY, Buffer.alloc(32, 3).toString('base64'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
