// Long file: one scenario per test for the lobby's whole life cycle (knock, admit, deny, expiry, limits).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { JoinTokenVerifier, LocalExpiringStore } from '@conclave/runtime';
import { Redis } from 'ioredis';
import { SRPClientSession } from 'tssrp6a';
import {
  awayFromWindowEdge,
  createMeeting,
  type CreatedMeeting,
  join,
  lock,
  MODES,
  randomSecret,
  srpRoutines,
  startApi,
  storedKey,
  type TestApi,
} from './harness.ts';

/** Stands in for a name sealed in the browser: the server only checks it is bounded base64url. */
const sealed = () => Buffer.from(crypto.getRandomValues(new Uint8Array(60))).toString('base64url');

/** SRP-6a knock as the browser runs it. */
async function knock(t: TestApi, meetingId: string, password: string, sealedName = sealed()) {
  const init = await t.request({ method: 'POST', url: `/v1/meetings/${meetingId}/knock/init` });
  if (init.statusCode !== 200) return { init, verify: undefined };
  const { salt, B, state } = init.json();
  const step1 = await new SRPClientSession(srpRoutines).step1(meetingId, password);
  const step2 = await step1.step2(BigInt(`0x${salt}`), BigInt(`0x${B}`));
  const verify = await t.request({
    method: 'POST',
    url: `/v1/meetings/${meetingId}/knock/verify`,
    payload: { state, A: step2.A.toString(16), M1: step2.M1.toString(16), sealedName },
  });
  if (verify.statusCode === 202) await step2.step3(BigInt(`0x${verify.json().M2}`));
  return { init, verify };
}

const waitKnock = (t: TestApi, meetingId: string, knockId: string, knockSecret: string, waitSeconds = 0) =>
  t.request({
    method: 'POST',
    url: `/v1/meetings/${meetingId}/knock/${knockId}/wait`,
    payload: { knockSecret, waitSeconds },
  });

const lobbyWait = (
  t: TestApi,
  m: CreatedMeeting,
  body: Record<string, unknown> = {},
  secret = m.hostSecret,
) =>
  t.request({
    method: 'POST',
    url: `/v1/meetings/${m.meetingId}/lobby/wait`,
    headers: { authorization: `Bearer ${secret}` },
    payload: { waitSeconds: 0, ...body },
  });

const answer = (
  t: TestApi,
  m: CreatedMeeting,
  knockId: string,
  action: 'admit' | 'deny',
  secret = m.hostSecret,
) =>
  t.request({
    method: 'POST',
    url: `/v1/meetings/${m.meetingId}/lobby/${knockId}/${action}`,
    headers: { authorization: `Bearer ${secret}` },
  });

/** Lobbies are keyed by a hash of the meeting's storage key (itself a keyed hash of its ID). */
const lobbyOf = (t: TestApi, meetingId: string) =>
  createHash('sha256')
    .update(`lobby\n${storedKey(t, meetingId)}`)
    .digest('base64url');

/** Every key the API holds in the ephemeral store that mentions the lobby or rejoin secrets. */
async function lobbyKeys(t: TestApi, meetingId: string, knockIds: string[]): Promise<string[]> {
  if (t.deps.ephemeral instanceof LocalExpiringStore) {
    const found: string[] = [];
    for (const id of knockIds) {
      for (const key of [`knock:${id}`, `knock:${id}:a`])
        if ((await t.deps.ephemeral.get(key)) !== null) found.push(key);
    }
    for (let i = 0; i < 20; i++) {
      const key = `lobby:${lobbyOf(t, meetingId)}:${i}`;
      if ((await t.deps.ephemeral.get(key)) !== null) found.push(key);
    }
    return found;
  }
  const redis = new Redis(process.env.REDIS_URL!);
  try {
    const keys = [
      ...(await redis.keys(`conclave:api:lobby:${lobbyOf(t, meetingId)}:*`)),
      ...(await redis.keys(`conclave:api:*${meetingId}*`)).filter((k) => !k.startsWith('conclave:api:rl:')),
      ...(await Promise.all(knockIds.map((id) => redis.keys(`conclave:api:knock:${id}*`)))).flat(),
    ];
    return keys;
  } finally {
    redis.disconnect();
  }
}

for (const mode of MODES) {
  describe(`lobby and rejoin (${mode} stores)`, () => {
    let t: TestApi;
    let verifier: JoinTokenVerifier;
    before(async () => {
      t = await startApi(mode);
      verifier = new JoinTokenVerifier(
        (await t.request({ method: 'GET', url: '/v1/join-token-keys' })).json().keys,
      );
    });
    after(() => t?.close());

    it('refuses a knock on an unlocked meeting: people join it directly', async () => {
      const m = await createMeeting(t);
      const { init } = await knock(t, m.meetingId, m.password);
      assert.equal(init.statusCode, 409);
      assert.equal(init.json().error, 'meeting_not_locked');
    });

    it('refuses a knock with the wrong password, and lists nothing', async () => {
      const m = await createMeeting(t);
      await lock(t, m);
      const { verify } = await knock(t, m.meetingId, randomSecret());
      assert.equal(verify?.statusCode, 401);
      assert.equal(verify?.json().error, 'wrong_password');
      assert.deepEqual((await lobbyWait(t, m)).json(), { knocks: [] });
    });

    it('admit: the host sees the sealed name, the knocker gets a join token despite the lock', async () => {
      const m = await createMeeting(t);
      await lock(t, m);
      const name = sealed();
      const { verify } = await knock(t, m.meetingId, m.password, name);
      assert.equal(verify?.statusCode, 202, verify?.body);
      const { knockId, knockSecret, expiresAt } = verify!.json();
      assert.match(knockId, /^[A-Za-z0-9_-]{22}$/);
      assert.match(knockSecret, /^[A-Za-z0-9_-]{22}$/);
      const lifetime = Date.parse(expiresAt) - Date.now();
      assert.ok(lifetime > 4 * 60_000 && lifetime <= 5 * 60_000, `knock lifetime ${lifetime}`);
      const pending = await waitKnock(t, m.meetingId, knockId, knockSecret);
      assert.equal(pending.statusCode, 204);
      const listed = (await lobbyWait(t, m)).json().knocks;
      assert.deepEqual(listed, [{ knockId, sealedName: name, expiresAt }]);
      // With the current list as `seen`, the host's wait holds until something changes.
      const held = lobbyWait(t, m, { seen: [knockId], waitSeconds: 10 });
      const waiting = waitKnock(t, m.meetingId, knockId, knockSecret, 10);
      await new Promise((r) => setTimeout(r, 300));
      const started = Date.now();
      assert.equal((await answer(t, m, knockId, 'admit')).statusCode, 204);
      const granted = await waiting;
      assert.ok(Date.now() - started < 3000, 'the wait answers as soon as the host admits');
      assert.equal(granted.statusCode, 200, granted.body);
      assert.deepEqual((await held).json(), { knocks: [] });
      const claims = verifier.verify(granted.json().token);
      assert.ok(claims.ok);
      if (claims.ok) assert.equal(claims.claims.role, 'participant');
      assert.equal(granted.json().M2, verify!.json().M2);
      assert.equal((await join(t, m.meetingId, m.password)).init.statusCode, 423, 'still locked for others');
      const again = await waitKnock(t, m.meetingId, knockId, knockSecret);
      assert.equal(again.json().error, 'knock_expired', 'an answer is collected once');
      assert.deepEqual(await lobbyKeys(t, m.meetingId, [knockId]), [], 'nothing left of the knock');
    });

    it('deny: the knocker hears knock_denied and nothing is left', async () => {
      const m = await createMeeting(t);
      await lock(t, m);
      const name = sealed();
      const { knockId, knockSecret } = (await knock(t, m.meetingId, m.password, name)).verify!.json();
      assert.equal((await answer(t, m, knockId, 'deny')).statusCode, 204);
      const slots = await Promise.all(
        Array.from({ length: 20 }, (_, i) => t.deps.ephemeral.get(`lobby:${lobbyOf(t, m.meetingId)}:${i}`)),
      );
      assert.ok(
        slots.some((v) => v?.includes(knockId)),
        'the answered knock keeps its slot until collected',
      );
      assert.equal(
        slots.some((v) => v?.includes(name)),
        false,
        'the sealed name goes with the answer',
      );
      const second = await answer(t, m, knockId, 'admit');
      assert.equal(second.statusCode, 409);
      assert.equal(second.json().error, 'knock_answered', 'the first answer counts');
      const denied = await waitKnock(t, m.meetingId, knockId, knockSecret);
      assert.equal(denied.statusCode, 403);
      assert.equal(denied.json().error, 'knock_denied');
      assert.deepEqual(await lobbyKeys(t, m.meetingId, [knockId]), []);
    });

    it('only the host answers or lists; a wrong knock secret cannot wait', async () => {
      const m = await createMeeting(t);
      const other = await createMeeting(t);
      await lock(t, m);
      const { knockId, knockSecret } = (await knock(t, m.meetingId, m.password)).verify!.json();
      for (const res of [
        await answer(t, m, knockId, 'admit', randomSecret()),
        await lobbyWait(t, m, {}, randomSecret()),
      ]) {
        assert.equal(res.statusCode, 401);
        assert.equal(res.json().error, 'wrong_host_secret');
      }
      const noAuth = await t.request({
        method: 'POST',
        url: `/v1/meetings/${m.meetingId}/lobby/${knockId}/admit`,
      });
      assert.equal(noAuth.json().error, 'unauthorized');
      const crossed = await answer(t, other, knockId, 'admit');
      assert.equal(crossed.statusCode, 404, 'another meeting’s host cannot answer it');
      assert.equal(crossed.json().error, 'knock_not_found');
      const wrong = await waitKnock(t, m.meetingId, knockId, randomSecret());
      assert.equal(wrong.statusCode, 401);
      assert.equal(wrong.json().error, 'wrong_knock_secret');
      assert.equal((await waitKnock(t, m.meetingId, knockId, knockSecret)).statusCode, 204);
      assert.equal((await lobbyWait(t, m)).json().knocks.length, 1);
    });

    it('a withdrawn knock leaves the list; ending the meeting forgets every knock', async () => {
      const m = await createMeeting(t, { permanent: true });
      await lock(t, m);
      const a = (await knock(t, m.meetingId, m.password)).verify!.json();
      const b = (await knock(t, m.meetingId, m.password)).verify!.json();
      const withdraw = await t.request({
        method: 'POST',
        url: `/v1/meetings/${m.meetingId}/knock/${a.knockId}/withdraw`,
        payload: { knockSecret: a.knockSecret },
      });
      assert.equal(withdraw.statusCode, 204);
      assert.deepEqual(
        (await lobbyWait(t, m)).json().knocks.map((k: { knockId: string }) => k.knockId),
        [b.knockId],
      );
      const end = await t.request({
        method: 'POST',
        url: `/v1/meetings/${m.meetingId}/end`,
        headers: { authorization: `Bearer ${m.hostSecret}` },
      });
      assert.equal(end.statusCode, 204);
      assert.equal((await waitKnock(t, m.meetingId, b.knockId, b.knockSecret)).json().error, 'knock_expired');
      assert.deepEqual(await lobbyKeys(t, m.meetingId, [a.knockId, b.knockId]), []);
    });

    it('at most 20 open knocks per meeting; the 21st gets lobby_full (429)', async () => {
      const m = await createMeeting(t);
      await lock(t, m);
      const knocks: { knockId: string; knockSecret: string }[] = [];
      for (let i = 0; i < 20; i++) {
        const { verify } = await knock(t, m.meetingId, m.password);
        assert.equal(verify?.statusCode, 202, verify?.body);
        knocks.push(verify!.json());
      }
      const { verify } = await knock(t, m.meetingId, m.password);
      assert.equal(verify?.statusCode, 429);
      assert.equal(verify?.json().error, 'lobby_full');
      assert.equal((await lobbyWait(t, m)).json().knocks.length, 20);
      const first = knocks[0]!;
      assert.equal((await answer(t, m, first.knockId, 'deny')).statusCode, 204);
      assert.equal((await knock(t, m.meetingId, m.password)).verify?.statusCode, 429, 'held until collected');
      assert.equal((await waitKnock(t, m.meetingId, first.knockId, first.knockSecret)).statusCode, 403);
      assert.equal(
        (await knock(t, m.meetingId, m.password)).verify?.statusCode,
        202,
        'a freed slot is reused',
      );
    });

    it('failed knock proofs count against the failed-proof limit of their source', async () => {
      const limited = await startApi(mode, { CONCLAVE_FAILED_JOINS_PER_SOURCE: '2' });
      try {
        const m = await createMeeting(limited);
        await lock(limited, m);
        await awayFromWindowEdge();
        const statuses = [];
        for (let i = 0; i < 3; i++) {
          const { init, verify } = await knock(limited, m.meetingId, 'wrong');
          statuses.push((verify ?? init).statusCode);
        }
        assert.deepEqual(statuses, [401, 401, 429]);
        const refused = await limited.request({
          method: 'POST',
          url: `/v1/meetings/${m.meetingId}/knock/init`,
        });
        assert.equal(refused.json().error, 'rate_limited');
      } finally {
        await limited.close();
      }
    });

    it('an unanswered knock expires: the knocker hears knock_expired', async () => {
      const m = await createMeeting(t);
      await lock(t, m);
      const { knockId, knockSecret } = (await knock(t, m.meetingId, m.password)).verify!.json();
      // Age the knock past its expiry as the clock would.
      const raw = await t.deps.ephemeral.get(`knock:${knockId}`);
      const record = JSON.parse(raw!);
      await t.deps.ephemeral.delete(`knock:${knockId}`);
      await t.deps.ephemeral.getOrSet(
        `knock:${knockId}`,
        JSON.stringify({ ...record, exp: Date.now() - 1 }),
        60_000,
      );
      const slot = `lobby:${lobbyOf(t, m.meetingId)}:${record.s}`;
      const listed = JSON.parse((await t.deps.ephemeral.get(slot))!);
      await t.deps.ephemeral.delete(slot);
      await t.deps.ephemeral.getOrSet(slot, JSON.stringify({ ...listed, expiresAt: Date.now() - 1 }), 60_000);
      const expired = await waitKnock(t, m.meetingId, knockId, knockSecret);
      assert.equal(expired.statusCode, 410);
      assert.equal(expired.json().error, 'knock_expired');
      assert.deepEqual((await lobbyWait(t, m)).json(), { knocks: [] }, 'an expired knock is not listed');
      const late = await answer(t, m, knockId, 'admit');
      assert.equal(late.statusCode, 404, 'an expired knock cannot be answered');
      assert.equal(late.json().error, 'knock_not_found');
      assert.equal((await waitKnock(t, m.meetingId, knockId, knockSecret)).json().error, 'knock_expired');
    });

    it('bad input gets typed errors', async () => {
      const m = await createMeeting(t);
      await lock(t, m);
      const init = (
        await t.request({ method: 'POST', url: `/v1/meetings/${m.meetingId}/knock/init` })
      ).json();
      const cases: [string, Record<string, unknown>][] = [
        ['knock/verify', { state: init.state, A: 'ab', M1: 'cd' }],
        ['knock/verify', { state: init.state, A: 'ab', M1: 'cd', sealedName: 'x'.repeat(401) }],
        ['knock/verify', { state: init.state, A: 'ab', M1: 'cd', sealedName: 'not base64url!' }],
        [`knock/${'A'.repeat(22)}/wait`, { knockSecret: 'short' }],
        [`knock/${'A'.repeat(22)}/wait`, { knockSecret: randomSecret(), waitSeconds: 26 }],
        ['knock/bad-id/wait', { knockSecret: randomSecret() }],
        ['rejoin/renew', { rejoin: 'nope' }],
      ];
      for (const [path, payload] of cases) {
        const res = await t.request({ method: 'POST', url: `/v1/meetings/${m.meetingId}/${path}`, payload });
        assert.equal(res.statusCode, 400, `${path} ${JSON.stringify(payload)}`);
        assert.equal(res.json().error, 'bad_request');
      }
      const lobbyBad = await lobbyWait(t, m, { seen: ['x'] });
      assert.equal(lobbyBad.json().error, 'bad_request');
      const unknown = await waitKnock(t, m.meetingId, randomSecret(), randomSecret());
      assert.equal(unknown.statusCode, 410);
      const noMeeting = await t.request({ method: 'POST', url: '/v1/meetings/0000000000/knock/init' });
      assert.equal(noMeeting.json().error, 'meeting_not_found');
    });

    it('the host gets back into its locked meeting with its host secret', async () => {
      const m = await createMeeting(t);
      await lock(t, m);
      const init = await t.request({
        method: 'POST',
        url: `/v1/meetings/${m.meetingId}/join/init`,
        payload: { hostSecret: m.hostSecret },
      });
      assert.equal(init.statusCode, 200);
      const host = await join(
        t,
        m.meetingId,
        m.password,
        { hostSecret: m.hostSecret },
        { hostSecret: m.hostSecret },
      );
      assert.equal(host.verify?.statusCode, 200, host.verify?.body);
      assert.equal(host.verify?.json().role, 'host');
      const wrongInit = await t.request({
        method: 'POST',
        url: `/v1/meetings/${m.meetingId}/join/init`,
        payload: { hostSecret: randomSecret() },
      });
      assert.equal(wrongInit.json().error, 'wrong_host_secret');
    });

    it('a participant comes back through a lock once with its rejoin secret, which is then replaced', async () => {
      const m = await createMeeting(t);
      const first = (await join(t, m.meetingId, m.password)).verify!.json();
      assert.match(first.rejoin, /^[A-Za-z0-9_-]{22}$/);
      const lifetime = Date.parse(first.rejoinExpiresAt) - Date.now();
      assert.ok(lifetime > 25 * 60_000 && lifetime <= 30 * 60_000, `rejoin lifetime ${lifetime}`);
      await lock(t, m);
      // The delivery service confirms the session as a live member of the group (as it does in
      // answer to the lock's rejoin.reset): only then does its secret pass the lock.
      const claims = verifier.verify(first.token);
      assert.ok(claims.ok);
      await t.deps.bus.publish({ type: 'session.joined', sid: claims.ok ? claims.claims.sid : '' });
      await new Promise((r) => setTimeout(r, 150));
      assert.equal((await join(t, m.meetingId, m.password)).init.statusCode, 423);
      const back = await join(t, m.meetingId, m.password, { rejoin: first.rejoin }, { rejoin: first.rejoin });
      assert.equal(back.verify?.statusCode, 200, back.verify?.body);
      assert.equal(back.verify?.json().role, 'participant');
      const next = back.verify!.json().rejoin;
      assert.notEqual(next, first.rejoin);
      const replay = await join(
        t,
        m.meetingId,
        m.password,
        { rejoin: first.rejoin },
        { rejoin: first.rejoin },
      );
      assert.equal(replay.init.statusCode, 423, 'a rejoin secret is single use');
      const renewed = await t.request({
        method: 'POST',
        url: `/v1/meetings/${m.meetingId}/rejoin/renew`,
        payload: { rejoin: next },
      });
      assert.equal(renewed.statusCode, 200, renewed.body);
      const old = await t.request({
        method: 'POST',
        url: `/v1/meetings/${m.meetingId}/rejoin/renew`,
        payload: { rejoin: next },
      });
      assert.equal(old.statusCode, 401);
      assert.equal(old.json().error, 'rejoin_invalid');
      const viaRenewed = await join(
        t,
        m.meetingId,
        m.password,
        { rejoin: renewed.json().rejoin },
        {
          rejoin: renewed.json().rejoin,
        },
      );
      assert.equal(viaRenewed.verify?.statusCode, 200);
      // A rejoin secret needs the password too.
      const r = viaRenewed.verify!.json().rejoin;
      const wrongPassword = await join(t, m.meetingId, randomSecret(), { rejoin: r }, { rejoin: r });
      assert.equal(wrongPassword.verify?.json().error, 'wrong_password');
    });

    it('ending the call purges its rejoin secrets at once', async () => {
      const m = await createMeeting(t, { permanent: true });
      const grants: { token: string; rejoin: string }[] = [];
      for (let i = 0; i < 3; i++) grants.push((await join(t, m.meetingId, m.password)).verify!.json());
      const claims = verifier.verify(grants[0]!.token);
      assert.ok(claims.ok);
      if (!claims.ok) return;
      const sha = (v: string) => createHash('sha256').update(v).digest('base64url');
      const r = sha(`room\n${claims.claims.room}`);
      const w = Math.floor(Date.now() / (30 * 60_000));
      const live = async () => {
        const found: string[] = [];
        for (const g of grants)
          if ((await t.deps.ephemeral.get(`rejoin:${sha(g.rejoin)}`)) !== null) found.push(g.rejoin);
        for (const k of [`rejoin-n:${r}:${w}`, `rejoin-i:${r}:${w}:1`])
          if ((await t.deps.ephemeral.get(k)) !== null) found.push(k);
        return found;
      };
      assert.equal((await live()).length, 5, 'three secrets and their index while the call runs');
      const end = await t.request({
        method: 'POST',
        url: `/v1/meetings/${m.meetingId}/end`,
        headers: { authorization: `Bearer ${m.hostSecret}` },
      });
      assert.equal(end.statusCode, 204);
      const deadline = Date.now() + 3000;
      while ((await live()).length > 0 && Date.now() < deadline)
        await new Promise((res) => setTimeout(res, 50));
      assert.deepEqual(await live(), []);
      await lock(t, m);
      const after = await join(
        t,
        m.meetingId,
        m.password,
        { rejoin: grants[1]!.rejoin },
        { rejoin: grants[1]!.rejoin },
      );
      assert.equal(after.init.statusCode, 423, 'a secret from the ended call does not pass the lock');
    });

    it('a rejoin secret dies when the host removes its session, or for another meeting', async () => {
      const m = await createMeeting(t);
      const other = await createMeeting(t);
      const granted = (await join(t, m.meetingId, m.password)).verify!.json();
      const claims = verifier.verify(granted.token);
      assert.ok(claims.ok);
      await lock(t, m);
      await lock(t, other);
      const elsewhere = await join(t, other.meetingId, other.password, { rejoin: granted.rejoin });
      assert.equal(elsewhere.init.statusCode, 423, 'bound to its meeting');
      if (!claims.ok) return;
      if (mode === 'distributed') {
        // The rejoin state holds hashes only: no meeting, room, group or session ID in clear.
        const redis = new Redis(process.env.REDIS_URL!);
        try {
          const keys = await redis.keys('conclave:api:rejoin*');
          assert.ok(keys.length >= 2);
          const values = await Promise.all(keys.map((k) => redis.get(k)));
          const dump = JSON.stringify([keys, values]);
          for (const id of [
            m.meetingId,
            claims.claims.sid,
            claims.claims.room,
            claims.claims.grp,
            granted.rejoin,
          ])
            assert.equal(dump.includes(id), false, `rejoin state contains ${id}`);
        } finally {
          redis.disconnect();
        }
      }
      await t.deps.bus.publish({
        type: 'session.removed',
        room: claims.claims.room,
        grp: claims.claims.grp,
        sid: claims.claims.sid,
      });
      await new Promise((r) => setTimeout(r, 300));
      const removed = await join(
        t,
        m.meetingId,
        m.password,
        { rejoin: granted.rejoin },
        { rejoin: granted.rejoin },
      );
      assert.equal(removed.init.statusCode, 423, 'a removed session cannot come back');
    });
  });
}
