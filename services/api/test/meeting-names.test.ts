import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createMeeting, join, MODES, startApi, storedKey, type TestApi } from './harness.ts';

for (const mode of MODES) {
  describe(`stored meeting names (${mode} stores)`, () => {
    let t: TestApi;
    before(async () => {
      t = await startApi(mode);
    });
    after(async () => {
      await t?.close();
    });

    it('a meeting is stored under a keyed hash, its room and group IDs derived, never stored', async () => {
      const m = await createMeeting(t, { permanent: true });
      const claims = tokenClaims((await join(t, m.meetingId, m.password)).verify!.json().token);
      const { rows } = await t.deps.db.sql.query<{ id: string }>('SELECT id FROM meetings WHERE id = $1', [
        storedKey(t, m.meetingId),
      ]);
      assert.equal(rows.length, 1);
      const dump = JSON.stringify((await t.deps.db.sql.query('SELECT * FROM meetings')).rows);
      for (const name of [m.meetingId, claims.room, claims.grp]) assert.equal(dump.includes(name), false);
      // The same names on every join, so members of one call meet in one room and group.
      const again = tokenClaims((await join(t, m.meetingId, m.password)).verify!.json().token);
      assert.deepEqual([again.room, again.grp], [claims.room, claims.grp]);
    });

    it('ending a permanent room’s call gives it new room and group IDs; the link keeps working', async () => {
      const m = await createMeeting(t, { permanent: true });
      const before = tokenClaims((await join(t, m.meetingId, m.password)).verify!.json().token);
      const ended = await t.request({
        method: 'POST',
        url: `/v1/meetings/${m.meetingId}/end`,
        headers: { authorization: `Bearer ${m.hostSecret}` },
      });
      assert.equal(ended.statusCode, 204);
      const after = tokenClaims((await join(t, m.meetingId, m.password)).verify!.json().token);
      assert.notEqual(after.room, before.room);
      assert.notEqual(after.grp, before.grp);
    });

    it('rows an earlier release stored under the clear meeting ID are renamed at start and still found', async () => {
      const m = await createMeeting(t, { permanent: true });
      // As an earlier release left it: the row named by the meeting ID itself.
      await t.deps.db.sql.query('UPDATE meetings SET id = $1 WHERE id = $2', [
        m.meetingId,
        storedKey(t, m.meetingId),
      ]);
      assert.equal((await t.request({ method: 'GET', url: `/v1/meetings/${m.meetingId}` })).statusCode, 404);
      assert.ok((await t.deps.meetings.renameClearRows()) >= 1);
      assert.equal(await t.deps.meetings.renameClearRows(), 0, 'renaming is done once');
      const dump = JSON.stringify((await t.deps.db.sql.query('SELECT id FROM meetings')).rows);
      assert.equal(dump.includes(m.meetingId), false);
      assert.equal((await t.request({ method: 'GET', url: `/v1/meetings/${m.meetingId}` })).statusCode, 200);
      assert.equal((await join(t, m.meetingId, m.password)).verify?.statusCode, 200);
    });
  });
}

function tokenClaims(token: string): { room: string; grp: string } {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString());
}
