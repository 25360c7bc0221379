import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SRP_GROUP_2048_SHA512 } from '../src/srp/srp-group.ts';
import { createMeeting, MODES, randomSecret, startApi, type TestApi } from './harness.ts';

const N = SRP_GROUP_2048_SHA512.N;

for (const mode of MODES) {
  describe(`bad input gets a typed 4xx, never a 500 (${mode} stores)`, () => {
    let t: TestApi;
    let meetingId: string;
    let state: string;
    before(async () => {
      t = await startApi(mode);
      meetingId = (await createMeeting(t)).meetingId;
    });
    after(() => t?.close());

    async function freshState(): Promise<string> {
      const init = await t.request({ method: 'POST', url: `/v1/meetings/${meetingId}/join/init` });
      return init.json().state;
    }

    const verifyCases: [string, () => Record<string, unknown>, number, string][] = [
      ['A ≡ 0 mod N (A = N)', () => ({ state, A: N.toString(16), M1: 'ab' }), 400, 'invalid_srp_value'],
      ['A = 0', () => ({ state, A: '0', M1: 'ab' }), 400, 'invalid_srp_value'],
      ['A = 2N (oversized)', () => ({ state, A: (2n * N).toString(16), M1: 'ab' }), 400, 'bad_request'],
      ['A not hex', () => ({ state, A: 'zz-not-hex', M1: 'ab' }), 400, 'bad_request'],
      ['A far too long', () => ({ state, A: 'f'.repeat(600), M1: 'ab' }), 400, 'bad_request'],
      ['M1 not hex', () => ({ state, A: 'ab', M1: 'xyz' }), 400, 'bad_request'],
      ['M1 too long', () => ({ state, A: 'ab', M1: 'a'.repeat(200) }), 400, 'bad_request'],
      ['missing M1', () => ({ state, A: 'ab' }), 400, 'bad_request'],
      ['extra field', () => ({ state, A: 'ab', M1: 'ab', admin: true }), 400, 'bad_request'],
      ['state garbage', () => ({ state: '!!!', A: 'ab', M1: 'ab' }), 401, 'join_state_invalid'],
      ['state empty', () => ({ state: '', A: 'ab', M1: 'ab' }), 400, 'bad_request'],
      [
        'host secret malformed',
        () => ({ state, A: 'ab', M1: 'ab', hostSecret: 'short' }),
        400,
        'bad_request',
      ],
    ];
    for (const [name, body, status, code] of verifyCases) {
      it(`join/verify with ${name} → ${status} ${code}`, async () => {
        state = await freshState();
        const res = await t.request({
          method: 'POST',
          url: `/v1/meetings/${meetingId}/join/verify`,
          payload: body(),
        });
        assert.equal(res.statusCode, status, res.body);
        assert.equal(res.json().error, code);
      });
    }

    it('a verifier ≥ N is refused at registration (400 invalid_srp_value), so joins never fail with a 500', async () => {
      for (const verifier of [N, N + 5n, (1n << (1024n * 2n)) - 1n]) {
        const hostSecret = randomSecret();
        const created = await t.request({ method: 'POST', url: '/v1/meetings', payload: { hostSecret } });
        const { meetingId: id } = created.json();
        const res = await t.request({
          method: 'PUT',
          url: `/v1/meetings/${id}/verifier`,
          headers: { authorization: `Bearer ${hostSecret}` },
          payload: { salt: 'ab', verifier: verifier.toString(16) },
        });
        assert.equal(res.statusCode, 400, res.body);
        assert.equal(res.json().error, 'invalid_srp_value');
        const init = await t.request({ method: 'POST', url: `/v1/meetings/${id}/join/init` });
        assert.equal(init.json().error, 'meeting_not_ready', 'no verifier was stored');
      }
    });

    it('a handshake state sealed with the raw CONCLAVE_STATE_KEY is refused: sealing uses its own subkey', async () => {
      const { JoinStateSealer } = await import('../src/srp/sealed-state.ts');
      const raw = new JoinStateSealer(Buffer.from(t.config.CONCLAVE_STATE_KEY!, 'base64'));
      const forged = raw.seal({ id: randomSecret(), meetingId, b: 5n, B: 7n, exp: Date.now() + 30_000 });
      const res = await t.request({
        method: 'POST',
        url: `/v1/meetings/${meetingId}/join/verify`,
        payload: { state: forged, A: 'ab', M1: 'ab' },
      });
      assert.equal(res.statusCode, 401);
      assert.equal(res.json().error, 'join_state_invalid');
    });

    it('an expired handshake state → 401 join_state_expired', async () => {
      const { JoinStateSealer } = await import('../src/srp/sealed-state.ts');
      const { deriveStateKeys } = await import('../src/state-keys.ts');
      const keys = deriveStateKeys(Buffer.from(t.config.CONCLAVE_STATE_KEY!, 'base64'));
      const sealer = new JoinStateSealer(keys.sealing, () => 0);
      const old = sealer.seal({ id: 'x'.repeat(22), meetingId, b: 5n, B: 7n, exp: 1000 });
      const res = await t.request({
        method: 'POST',
        url: `/v1/meetings/${meetingId}/join/verify`,
        payload: { state: old, A: 'ab', M1: 'ab' },
      });
      assert.equal(res.statusCode, 401);
      assert.equal(res.json().error, 'join_state_expired');
    });

    const requestCases: [string, () => Parameters<TestApi['request']>[0], number, string][] = [
      [
        'an unknown meeting',
        () => ({ method: 'POST', url: '/v1/meetings/ABCDEFGHJK/join/init' }),
        404,
        'meeting_not_found',
      ],
      [
        'a malformed meeting ID',
        () => ({ method: 'POST', url: '/v1/meetings/not-an-id!/join/init' }),
        400,
        'bad_request',
      ],
      [
        'a lowercase/ambiguous meeting ID',
        () => ({ method: 'GET', url: '/v1/meetings/ILOU000000' }),
        400,
        'bad_request',
      ],
      [
        'invalid JSON',
        () => ({
          method: 'POST',
          url: '/v1/meetings',
          payload: '{"hostSecret": ',
          headers: { 'content-type': 'application/json' },
        }),
        400,
        'bad_request',
      ],
      [
        'an oversized body',
        () => ({ method: 'POST', url: '/v1/meetings', payload: { hostSecret: 'x'.repeat(20_000) } }),
        413,
        'payload_too_large',
      ],
      [
        'a malformed host secret',
        () => ({ method: 'POST', url: '/v1/meetings', payload: { hostSecret: 'abc' } }),
        400,
        'bad_request',
      ],
      [
        'an expiry in the past',
        () => ({
          method: 'POST',
          url: '/v1/meetings',
          payload: { hostSecret: randomSecret(), expiresAt: '2001-01-01T00:00:00Z' },
        }),
        400,
        'invalid_schedule',
      ],
      [
        'a permanent room with an expiry',
        () => ({
          method: 'POST',
          url: '/v1/meetings',
          payload: {
            hostSecret: randomSecret(),
            permanent: true,
            expiresAt: new Date(Date.now() + 9e6).toISOString(),
          },
        }),
        400,
        'invalid_schedule',
      ],
      [
        'a date that is not a date',
        () => ({
          method: 'POST',
          url: '/v1/meetings',
          payload: { hostSecret: randomSecret(), startsAt: 'tomorrow' },
        }),
        400,
        'bad_request',
      ],
      ['an unknown route', () => ({ method: 'GET', url: '/v1/nothing-here' }), 404, 'not_found'],
    ];
    for (const [name, options, status, code] of requestCases) {
      it(`${name} → ${status} ${code}`, async () => {
        const res = await t.request(options());
        assert.equal(res.statusCode, status, res.body);
        assert.equal(res.json().error, code);
      });
    }

    it('a deleted meeting refuses joins with 404', async () => {
      const m = await createMeeting(t);
      const del = await t.request({
        method: 'DELETE',
        url: `/v1/meetings/${m.meetingId}`,
        headers: { authorization: `Bearer ${m.hostSecret}` },
      });
      assert.equal(del.statusCode, 204);
      const res = await t.request({ method: 'POST', url: `/v1/meetings/${m.meetingId}/join/init` });
      assert.equal(res.json().error, 'meeting_not_found');
    });
  });
}
