import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { JoinTokenVerifier } from '@conclave/runtime';
import { type CreatedMeeting, createMeeting, join, lock, MODES, startApi, type TestApi } from './harness.ts';

interface Grant {
  token: string;
  rejoin: string;
  sid: string;
  room: string;
  grp: string;
}

for (const mode of MODES) {
  describe(`rejoin secrets follow group membership (${mode} stores)`, () => {
    let t: TestApi;
    let verifier: JoinTokenVerifier;
    /** Sessions the stand-in delivery service holds as live members of their group. */
    const live = new Set<string>();

    before(async () => {
      t = await startApi(mode);
      verifier = new JoinTokenVerifier(t.deps.publicKeys);
      // Stands in for the delivery service: asked to confirm a group's live members, it does.
      t.deps.bus.subscribe((event) => {
        if (event.type !== 'rejoin.reset') return;
        for (const sid of live) void t.deps.bus.publish({ type: 'session.joined', sid });
      });
    });
    after(() => t?.close());

    async function granted(m: CreatedMeeting, pass: Record<string, unknown> = {}): Promise<Grant> {
      const r = await join(t, m.meetingId, m.password, pass, Object.keys(pass).length ? pass : undefined);
      assert.equal(r.verify?.statusCode, 200, r.verify?.body ?? r.init.body);
      const body = r.verify!.json();
      const claims = verifier.verify(body.token);
      assert.ok(claims.ok);
      if (!claims.ok) throw new Error('unreachable');
      return { token: body.token, rejoin: body.rejoin, ...claims.claims };
    }

    /** The session's client got into the MLS group: the delivery service says so on the bus. */
    async function joinedGroup(g: Grant): Promise<void> {
      live.add(g.sid);
      await t.deps.bus.publish({ type: 'session.joined', sid: g.sid });
      await settle();
    }

    /** Bus events are delivered asynchronously (through Redis in distributed mode). */
    const settle = () => new Promise((r) => setTimeout(r, 150));

    async function setLocked(m: CreatedMeeting, locked: boolean): Promise<void> {
      await lock(t, m, locked);
      await settle();
    }

    /** Status of a join through the lock with this rejoin secret (init and verify both carry it). */
    async function rejoinStatus(m: CreatedMeeting, rejoin: string): Promise<number> {
      const r = await join(t, m.meetingId, m.password, { rejoin }, { rejoin });
      return r.verify?.statusCode ?? r.init.statusCode;
    }

    it('someone who joined many times while open, then was removed and locked out, has no way back', async () => {
      const m = await createMeeting(t);
      const grants: Grant[] = [];
      for (let i = 0; i < 4; i++) grants.push(await granted(m));
      // One of them actually joined the call; the host removes it and locks the meeting.
      const inCall = grants[0]!;
      await joinedGroup(inCall);
      live.delete(inCall.sid);
      await t.deps.bus.publish({
        type: 'session.removed',
        room: inCall.room,
        grp: inCall.grp,
        sid: inCall.sid,
      });
      await settle();
      await setLocked(m, true);
      const statuses = [];
      for (const g of grants) statuses.push(await rejoinStatus(m, g.rejoin));
      assert.deepEqual(statuses, [423, 423, 423, 423], 'every stockpiled secret is refused');
    });

    it('a secret whose session never joined the group does not pass a lock', async () => {
      const m = await createMeeting(t);
      const spare = await granted(m);
      await setLocked(m, true);
      assert.equal(await rejoinStatus(m, spare.rejoin), 423);
    });

    it('a lock invalidates the secrets of members the delivery service no longer holds', async () => {
      const m = await createMeeting(t);
      const gone = await granted(m);
      await joinedGroup(gone);
      live.delete(gone.sid);
      await setLocked(m, true);
      assert.equal(await rejoinStatus(m, gone.rejoin), 423);
    });

    it('a live member still comes back through a lock, once per secret', async () => {
      const m = await createMeeting(t);
      const member = await granted(m);
      await joinedGroup(member);
      await setLocked(m, true);
      const back = await granted(m, { rejoin: member.rejoin });
      assert.notEqual(back.rejoin, member.rejoin);
      assert.equal(await rejoinStatus(m, member.rejoin), 423, 'the used secret is gone');
      // The next secret stays with the member's group session and works in turn.
      assert.equal(await rejoinStatus(m, back.rejoin), 200);
      live.delete(member.sid);
    });

    it('a secret presented twice works at most once, even while the meeting is open', async () => {
      const m = await createMeeting(t);
      const member = await granted(m);
      await joinedGroup(member);
      const reconnect = await granted(m, { rejoin: member.rejoin });
      await setLocked(m, true);
      assert.equal(await rejoinStatus(m, member.rejoin), 423, 'used once while open');
      assert.equal(await rejoinStatus(m, reconnect.rejoin), 200, 'its successor works');
      live.delete(member.sid);
    });
  });
}
