import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { JoinTokenVerifier } from '@conclave/runtime';
import { createMeeting, join, MODES, randomSecret, startApi, type TestApi } from './harness.ts';

for (const mode of MODES) {
  describe(`SRP join (${mode} stores)`, () => {
    let t: TestApi;
    before(async () => {
      t = await startApi(mode);
    });
    after(() => t?.close());

    it('create → SRP join → a token that verifies with the published public key', async () => {
      const m = await createMeeting(t);
      const { verify, clientAcceptedServer } = await join(t, m.meetingId, m.password);
      assert.equal(verify?.statusCode, 200, verify?.body);
      assert.equal(clientAcceptedServer, true, 'the client must accept the server proof M2');
      const granted = verify!.json();
      const keys = (await t.request({ method: 'GET', url: '/v1/join-token-keys' })).json().keys;
      const result = new JoinTokenVerifier(keys).verify(granted.token);
      assert.equal(result.ok, true);
      if (!result.ok) return;
      assert.equal(result.claims.role, 'participant');
      assert.equal(result.claims.exp - result.claims.iat, 60);
      assert.equal(result.claims.sfu, t.config.CONCLAVE_SFU_URL);
      assert.equal(result.claims.ds, t.config.CONCLAVE_DS_URL);
      for (const opaque of [result.claims.room, result.claims.grp, result.claims.sid]) {
        assert.equal(opaque.includes(m.meetingId), false, 'opaque IDs must not contain the meeting ID');
        assert.ok(opaque.length >= 22);
      }
    });

    it('every join gets a fresh session ID but the same room and group', async () => {
      const m = await createMeeting(t);
      const verifier = new JoinTokenVerifier(
        (await t.request({ method: 'GET', url: '/v1/join-token-keys' })).json().keys,
      );
      const claims = [];
      for (let i = 0; i < 2; i++) {
        const { verify } = await join(t, m.meetingId, m.password);
        const r = verifier.verify(verify!.json().token);
        assert.ok(r.ok);
        if (r.ok) claims.push(r.claims);
      }
      assert.notEqual(claims[0]!.sid, claims[1]!.sid);
      assert.equal(claims[0]!.room, claims[1]!.room);
      assert.equal(claims[0]!.grp, claims[1]!.grp);
    });

    it('the host secret in the proof grants the host role; a wrong one is refused', async () => {
      const m = await createMeeting(t);
      const host = await join(t, m.meetingId, m.password, { hostSecret: m.hostSecret });
      assert.equal(host.verify?.json().role, 'host');
      const wrong = await join(t, m.meetingId, m.password, { hostSecret: randomSecret() });
      assert.equal(wrong.verify?.statusCode, 401);
      assert.equal(wrong.verify?.json().error, 'wrong_host_secret');
    });

    it('a wrong password is refused with wrong_password and no token', async () => {
      const m = await createMeeting(t);
      const { verify } = await join(t, m.meetingId, randomSecret());
      assert.equal(verify?.statusCode, 401);
      assert.deepEqual(Object.keys(verify!.json()).sort(), ['error', 'message']);
      assert.equal(verify!.json().error, 'wrong_password');
    });

    it('a handshake state is single-use', async () => {
      const m = await createMeeting(t);
      const first = await join(t, m.meetingId, m.password);
      assert.equal(first.verify?.statusCode, 200);
      const replay = await t.request({
        method: 'POST',
        url: `/v1/meetings/${m.meetingId}/join/verify`,
        payload: { state: first.state, A: first.step2!.A.toString(16), M1: first.step2!.M1.toString(16) },
      });
      assert.equal(replay.statusCode, 401);
      assert.equal(replay.json().error, 'join_state_replayed');
    });

    it('a state sealed for one meeting is refused by another, and a tampered state is refused', async () => {
      const a = await createMeeting(t);
      const b = await createMeeting(t);
      const init = (await t.request({ method: 'POST', url: `/v1/meetings/${a.meetingId}/join/init` })).json();
      const crossed = await t.request({
        method: 'POST',
        url: `/v1/meetings/${b.meetingId}/join/verify`,
        payload: { state: init.state, A: 'abcd', M1: 'abcd' },
      });
      assert.equal(crossed.json().error, 'join_state_invalid');
      const raw = Buffer.from(init.state, 'base64url');
      raw[20] = (raw[20] ?? 0) ^ 1;
      const tampered = await t.request({
        method: 'POST',
        url: `/v1/meetings/${a.meetingId}/join/verify`,
        payload: { state: raw.toString('base64url'), A: 'abcd', M1: 'abcd' },
      });
      assert.equal(tampered.statusCode, 401);
      assert.equal(tampered.json().error, 'join_state_invalid');
    });

    it('a locked meeting refuses new join tokens with 423; unlocking lets people in again', async () => {
      const m = await createMeeting(t);
      const inside = await join(t, m.meetingId, m.password);
      const init = (await t.request({ method: 'POST', url: `/v1/meetings/${m.meetingId}/join/init` })).json();
      const lock = await t.request({
        method: 'PUT',
        url: `/v1/meetings/${m.meetingId}/lock`,
        headers: { authorization: `Bearer ${m.hostSecret}` },
        payload: { locked: true },
      });
      assert.equal(lock.json().locked, true);
      assert.equal((await join(t, m.meetingId, m.password)).init.statusCode, 423);
      const late = await t.request({
        method: 'POST',
        url: `/v1/meetings/${m.meetingId}/join/verify`,
        payload: { state: init.state, A: 'abcd', M1: 'abcd' },
      });
      assert.equal(late.statusCode, 423, 'a handshake begun before the lock cannot finish after it');
      assert.equal(late.json().error, 'meeting_locked');
      // People already inside keep their session: locking publishes nothing that ends their room.
      assert.equal(inside.verify?.statusCode, 200);
      const keys = (await t.request({ method: 'GET', url: '/v1/join-token-keys' })).json().keys;
      const claims = new JoinTokenVerifier(keys).verify(inside.verify!.json().token);
      assert.ok(claims.ok);
      if (claims.ok)
        assert.equal(
          t.busEvents.some((e) => e.type === 'room.ended' && e.room === claims.claims.room),
          false,
        );
      await t.request({
        method: 'PUT',
        url: `/v1/meetings/${m.meetingId}/lock`,
        headers: { authorization: `Bearer ${m.hostSecret}` },
        payload: { locked: false },
      });
      assert.equal((await join(t, m.meetingId, m.password)).verify?.statusCode, 200);
    });

    it('a meeting whose verifier is not registered yet refuses joins with meeting_not_ready', async () => {
      const created = await t.request({
        method: 'POST',
        url: '/v1/meetings',
        payload: { hostSecret: randomSecret() },
      });
      const init = await t.request({
        method: 'POST',
        url: `/v1/meetings/${created.json().meetingId}/join/init`,
      });
      assert.equal(init.statusCode, 409);
      assert.equal(init.json().error, 'meeting_not_ready');
    });

    it('a meeting that has not started refuses joins with meeting_not_started', async () => {
      const startsAt = new Date(Date.now() + 3600_000).toISOString();
      const m = await createMeeting(t, { startsAt });
      const { init } = await join(t, m.meetingId, m.password);
      assert.equal(init.statusCode, 403);
      assert.equal(init.json().error, 'meeting_not_started');
    });
  });
}
