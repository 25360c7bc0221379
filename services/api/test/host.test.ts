import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createMeeting, join, MODES, randomSecret, startApi, type TestApi } from './harness.ts';

const hostRoutes = (id: string) =>
  [
    ['PUT', `/v1/meetings/${id}/lock`, { locked: true }],
    ['POST', `/v1/meetings/${id}/end`, undefined],
    ['POST', `/v1/meetings/${id}/rotate`, { hostSecret: 'A'.repeat(22) }],
    ['DELETE', `/v1/meetings/${id}`, undefined],
    ['PUT', `/v1/meetings/${id}/verifier`, { salt: 'ab', verifier: 'cd' }],
  ] as const;

async function roomOf(t: TestApi, meetingId: string, password: string) {
  const { verify } = await join(t, meetingId, password);
  const payload = verify!.json().token.split('.')[1];
  return JSON.parse(Buffer.from(payload, 'base64url').toString()) as { room: string; grp: string };
}

for (const mode of MODES) {
  describe(`host controls (${mode} stores)`, () => {
    let t: TestApi;
    before(async () => {
      t = await startApi(mode);
    });
    after(() => t?.close());

    it('host endpoints without the host secret answer 401 unauthorized and change nothing', async () => {
      const m = await createMeeting(t);
      for (const [method, url, payload] of hostRoutes(m.meetingId)) {
        const res = await t.request({ method, url, ...(payload ? { payload } : {}) });
        assert.equal(res.statusCode, 401, `${method} ${url}`);
        assert.equal(res.json().error, 'unauthorized');
      }
      assert.equal((await join(t, m.meetingId, m.password)).verify?.statusCode, 200);
    });

    it('host endpoints with a wrong host secret answer 401 wrong_host_secret and change nothing', async () => {
      const m = await createMeeting(t);
      for (const [method, url, payload] of hostRoutes(m.meetingId)) {
        const res = await t.request({
          method,
          url,
          headers: { authorization: `Bearer ${randomSecret()}` },
          ...(payload ? { payload } : {}),
        });
        assert.equal(res.statusCode, 401, `${method} ${url}`);
        assert.equal(res.json().error, 'wrong_host_secret');
      }
      const info = (await t.request({ method: 'GET', url: `/v1/meetings/${m.meetingId}` })).json();
      assert.equal(info.locked, false);
    });

    it('the verifier can be registered only once', async () => {
      const m = await createMeeting(t);
      const again = await t.request({
        method: 'PUT',
        url: `/v1/meetings/${m.meetingId}/verifier`,
        headers: { authorization: `Bearer ${m.hostSecret}` },
        payload: { salt: 'ab', verifier: 'cd' },
      });
      assert.equal(again.statusCode, 409);
      assert.equal(again.json().error, 'verifier_already_set');
      assert.equal((await join(t, m.meetingId, m.password)).verify?.statusCode, 200);
    });

    it('ending a one-off meeting tells the SFU and DS (by opaque IDs) and deletes it', async () => {
      const m = await createMeeting(t);
      const { room, grp } = await roomOf(t, m.meetingId, m.password);
      const end = await t.request({
        method: 'POST',
        url: `/v1/meetings/${m.meetingId}/end`,
        headers: { authorization: `Bearer ${m.hostSecret}` },
      });
      assert.equal(end.statusCode, 204);
      await waitFor(() =>
        t.busEvents.some((e) => e.type === 'room.ended' && e.room === room && e.grp === grp),
      );
      assert.equal((await t.request({ method: 'GET', url: `/v1/meetings/${m.meetingId}` })).statusCode, 404);
    });

    it('announces the end once more a little later, for a service whose Redis connection was down', async () => {
      const quick = await startApi(mode, { CONCLAVE_END_REPEAT_SECONDS: '1' });
      try {
        const m = await createMeeting(quick);
        const { room, grp } = await roomOf(quick, m.meetingId, m.password);
        const ended = () =>
          quick.busEvents.filter((e) => e.type === 'room.ended' && e.room === room && e.grp === grp);
        const endedAt = Date.now();
        const end = await quick.request({
          method: 'POST',
          url: `/v1/meetings/${m.meetingId}/end`,
          headers: { authorization: `Bearer ${m.hostSecret}` },
        });
        assert.equal(end.statusCode, 204);
        await waitFor(() => ended().length === 1);
        await waitFor(() => ended().length === 2, 10_000);
        assert.ok(Date.now() - endedAt >= 900, 'the repeat comes about a second later, not at once');
        await new Promise((r) => setTimeout(r, 1500));
        assert.equal(ended().length, 2, 'announced exactly twice');
      } finally {
        await quick.close();
      }
    });

    it('ending a permanent room closes the call and gives the room new opaque IDs', async () => {
      const m = await createMeeting(t, { permanent: true });
      const before = await roomOf(t, m.meetingId, m.password);
      await t.request({
        method: 'POST',
        url: `/v1/meetings/${m.meetingId}/end`,
        headers: { authorization: `Bearer ${m.hostSecret}` },
      });
      await waitFor(() => t.busEvents.some((e) => e.type === 'room.ended' && e.room === before.room));
      const afterIds = await roomOf(t, m.meetingId, m.password);
      assert.notEqual(afterIds.room, before.room);
      assert.notEqual(afterIds.grp, before.grp);
    });

    it("rotating a permanent room's link retires the old ID and the new one needs its own verifier", async () => {
      const m = await createMeeting(t, { permanent: true });
      const newHostSecret = randomSecret();
      const rotated = await t.request({
        method: 'POST',
        url: `/v1/meetings/${m.meetingId}/rotate`,
        headers: { authorization: `Bearer ${m.hostSecret}` },
        payload: { hostSecret: newHostSecret },
      });
      assert.equal(rotated.statusCode, 201, rotated.body);
      const { meetingId: newId } = rotated.json();
      assert.notEqual(newId, m.meetingId);
      assert.equal((await t.request({ method: 'GET', url: `/v1/meetings/${m.meetingId}` })).statusCode, 404);
      const info = (await t.request({ method: 'GET', url: `/v1/meetings/${newId}` })).json();
      assert.equal(info.permanent, true);
      const init = await t.request({ method: 'POST', url: `/v1/meetings/${newId}/join/init` });
      assert.equal(init.json().error, 'meeting_not_ready');
      const oldSecret = await t.request({
        method: 'PUT',
        url: `/v1/meetings/${newId}/lock`,
        headers: { authorization: `Bearer ${m.hostSecret}` },
        payload: { locked: true },
      });
      assert.equal(oldSecret.json().error, 'wrong_host_secret');
    });

    it('a one-off meeting cannot be rotated', async () => {
      const m = await createMeeting(t);
      const res = await t.request({
        method: 'POST',
        url: `/v1/meetings/${m.meetingId}/rotate`,
        headers: { authorization: `Bearer ${m.hostSecret}` },
        payload: { hostSecret: randomSecret() },
      });
      assert.equal(res.statusCode, 409);
      assert.equal(res.json().error, 'not_permanent');
    });
  });
}

async function waitFor(condition: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
