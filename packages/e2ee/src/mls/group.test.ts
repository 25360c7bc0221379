import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { messageText, sendApplication, textMessage } from './application.ts';
import { acceptCommit, commitAdd, commitRemove, commitUpdate, createMeetingCommit } from './commit.ts';
import { mediaBaseKey, securityCode } from './epoch.ts';
import { isMlsGroupError } from './errors.ts';
import { summarize } from './group.ts';
import { createJoiner, type Joiner } from './keyPackage.ts';
import { receiveMessage } from './receive.ts';
import { decodeMeetingGroup, encodeMeetingGroup } from './state.ts';
import { hex, meetingKeys, TestMeeting } from './test-support.ts';

async function joiners(meeting: TestMeeting, names: string[]): Promise<[string, Joiner][]> {
  return Promise.all(
    names.map(async (n): Promise<[string, Joiner]> => [n, await createJoiner(meeting.keys)]),
  );
}

/** m0 adds members a, b and c (leaves 1–3) in one commit. */
async function addThree(meeting: TestMeeting): Promise<void> {
  const j = await joiners(meeting, ['a', 'b', 'c']);
  await meeting.deliver(
    'm0',
    await commitAdd(
      meeting.get('m0'),
      j.map(([, x]) => x.keyPackageBytes),
    ),
    j,
  );
}

describe('MLS meeting group', () => {
  it('keeps every member on the same media key and security code as the group grows from 3 to 10 and shrinks', async () => {
    const meeting = await TestMeeting.start(meetingKeys(1));
    const seen = new Set<string>();
    const record = async (expectedSize: number) => {
      const { key, code, epoch } = await meeting.assertInSync();
      assert.equal(meeting.members.size, expectedSize);
      assert.ok(!seen.has(key), `epoch ${epoch} reuses an earlier media key`);
      seen.add(key);
      assert.match(code, /^\d{5} \d{5} \d{5} \d{5}$/);
    };

    let j = await joiners(meeting, ['m1', 'm2']);
    await meeting.deliver(
      'm0',
      await commitAdd(
        meeting.get('m0'),
        j.map(([, x]) => x.keyPackageBytes),
      ),
      j,
    );
    await record(3);

    j = await joiners(meeting, ['m3', 'm4', 'm5']);
    await meeting.deliver(
      'm2',
      await commitAdd(
        meeting.get('m2'),
        j.map(([, x]) => x.keyPackageBytes),
      ),
      j,
    );
    await record(6);

    j = await joiners(meeting, ['m6', 'm7', 'm8', 'm9']);
    await meeting.deliver(
      'm4',
      await commitAdd(
        meeting.get('m4'),
        j.map(([, x]) => x.keyPackageBytes),
      ),
      j,
    );
    await record(10);

    const leafOf = (n: string) => meeting.get(n).state.privatePath.leafIndex;
    await meeting.deliver('m9', await commitRemove(meeting.get('m9'), [leafOf('m0'), leafOf('m5')]));
    await record(8);

    await meeting.deliver('m3', await commitUpdate(meeting.get('m3')));
    await record(8);

    // One commit both adds and removes; the joiner takes a freed leaf.
    j = await joiners(meeting, ['m10']);
    const mixed = await createMeetingCommit(meeting.get('m1'), {
      add: [j[0]![1].keyPackageBytes],
      remove: [leafOf('m7'), leafOf('m8')],
    });
    assert.deepEqual(
      mixed.removed,
      [leafOf('m7'), leafOf('m8')].sort((a, b) => a - b),
    );
    await meeting.deliver('m1', mixed, j);
    await record(7);

    await meeting.deliver(
      'm10',
      await commitRemove(meeting.get('m10'), [leafOf('m1'), leafOf('m2'), leafOf('m9')]),
    );
    await record(4);
    assert.equal(summarize(meeting.get('m3')).epoch, 7n);
  });

  it('reports joiners leaf indices and the committer to every receiver', async () => {
    const meeting = await TestMeeting.start(meetingKeys(2));
    const j = await joiners(meeting, ['a', 'b']);
    const p1 = await commitAdd(
      meeting.get('m0'),
      j.map(([, x]) => x.keyPackageBytes),
    );
    assert.deepEqual(p1.added, [1, 2]);
    assert.deepEqual(p1.addedFrom, [0, 1]);
    await meeting.deliver('m0', p1, j);
    const c = await createJoiner(meeting.keys);
    const p2 = await commitAdd(meeting.get('a'), [c.keyPackageBytes]);
    const r = await receiveMessage(meeting.get('b'), p2.commit);
    assert.equal(r.kind, 'commit');
    if (r.kind !== 'commit') return;
    assert.equal(r.committer, 1);
    assert.deepEqual(r.added, [3]);
    assert.deepEqual(r.removed, []);
    assert.equal(r.epoch, 2n);
  });

  it("tells the member a commit removes that it left, even when a joiner takes its leaf in that commit, and reports the joiner's leaf to the others", async () => {
    const meeting = await TestMeeting.start(meetingKeys(22));
    await addThree(meeting);
    const d = await createJoiner(meeting.keys);
    const both = await createMeetingCommit(meeting.get('m0'), { remove: [2], add: [d.keyPackageBytes] });
    assert.deepEqual(both.added, [2]);
    assert.deepEqual(both.removed, [2]);
    const seen = await receiveMessage(meeting.get('a'), both.commit);
    assert.equal(seen.kind, 'commit');
    if (seen.kind !== 'commit') return;
    assert.deepEqual(seen.added, [2]);
    assert.deepEqual(seen.removed, [2]);

    // ts-mls alone fails here (the leaf is not blank afterwards): the member still learns it left.
    const gone = await receiveMessage(meeting.get('b'), both.commit);
    assert.equal(gone.kind, 'removed');
    if (gone.kind !== 'removed') return;
    assert.equal(gone.committer, 0);
    assert.equal(summarize(gone.group).active, false);
    await assert.rejects(mediaBaseKey(gone.group), (e) => isMlsGroupError(e, 'not-member'));

    const update = await commitUpdate(seen.group);
    assert.deepEqual(update.added, []);
    const r = await receiveMessage(acceptCommit(both), update.commit);
    assert.equal(r.kind, 'commit');
    if (r.kind !== 'commit') return;
    assert.deepEqual(r.added, []);
    assert.equal(r.committer, 1);
  });

  it('delivers chat and other application messages with the authenticated sender', async () => {
    const meeting = await TestMeeting.start(meetingKeys(3));
    const j = await joiners(meeting, ['a', 'b']);
    await meeting.deliver(
      'm0',
      await commitAdd(
        meeting.get('m0'),
        j.map(([, x]) => x.keyPackageBytes),
      ),
      j,
    );
    const sent = await sendApplication(meeting.get('a'), textMessage('chat', 'héllo 👋'));
    meeting.members.set('a', sent.group);
    for (const name of ['m0', 'b']) {
      const r = await receiveMessage(meeting.get(name), sent.message);
      assert.equal(r.kind, 'application');
      if (r.kind !== 'application') continue;
      assert.equal(r.sender, 1);
      assert.equal(r.message.kind, 'chat');
      assert.equal(messageText(r.message), 'héllo 👋');
      meeting.members.set(name, r.group);
    }
    const second = await sendApplication(meeting.get('a'), {
      kind: 'roster',
      body: new Uint8Array([1, 2, 3]),
    });
    const r2 = await receiveMessage(meeting.get('b'), second.message);
    assert.ok(r2.kind === 'application' && r2.message.kind === 'roster');
    assert.deepEqual(r2.kind === 'application' && [...r2.message.body], [1, 2, 3]);
  });

  it('lets a member read a message sent in the previous epoch after moving on', async () => {
    const meeting = await TestMeeting.start(meetingKeys(4));
    const j = await joiners(meeting, ['a', 'b']);
    await meeting.deliver(
      'm0',
      await commitAdd(
        meeting.get('m0'),
        j.map(([, x]) => x.keyPackageBytes),
      ),
      j,
    );
    const late = await sendApplication(meeting.get('a'), textMessage('reaction', '🎉'));
    await meeting.deliver('m0', await commitUpdate(meeting.get('m0')));
    const r = await receiveMessage(meeting.get('b'), late.message);
    assert.ok(r.kind === 'application');
    assert.equal(r.epoch, 1n);
    assert.equal(messageText(r.message), '🎉');
  });

  it('keeps a removed member out of the next epoch: no key, no messages, no commits', async () => {
    const meeting = await TestMeeting.start(meetingKeys(5));
    await addThree(meeting);
    const before = meeting.get('c');
    const oldKey = hex(await mediaBaseKey(before));

    // Keep a copy of c's state from before the removal (the live one is consumed by processing).
    const beforeCopy = decodeMeetingGroup(encodeMeetingGroup(before), meeting.keys);
    const removal = await commitRemove(meeting.get('a'), [before.state.privatePath.leafIndex]);
    await meeting.deliver('a', removal);
    assert.ok(!meeting.members.has('c'));
    const gone = meeting.removed.get('c');
    assert.ok(gone);
    assert.equal(summarize(gone).active, false);

    const { key: newKey } = await meeting.assertInSync();
    assert.notEqual(newKey, oldKey);
    await assert.rejects(mediaBaseKey(gone), (e) => isMlsGroupError(e, 'not-member'));
    await assert.rejects(securityCode(gone), (e) => isMlsGroupError(e, 'not-member'));

    const secret = await sendApplication(meeting.get('b'), textMessage('chat', 'after removal'));
    await assert.rejects(receiveMessage(gone, secret.message), (e) => isMlsGroupError(e, 'not-member'));
    // Even the state from before the removal cannot open it: it has no keys for that epoch.
    await assert.rejects(receiveMessage(beforeCopy, secret.message), (e) =>
      isMlsGroupError(e, 'wrong-epoch'),
    );
    const next = await commitUpdate(meeting.get('b'));
    await assert.rejects(receiveMessage(gone, next.commit), (e) => isMlsGroupError(e, 'not-member'));
    await assert.rejects(sendApplication(gone, textMessage('chat', 'x')), (e) =>
      isMlsGroupError(e, 'not-member'),
    );
    await assert.rejects(commitUpdate(gone), (e) => isMlsGroupError(e, 'not-member'));
  });

  it('round-trips a member state through bytes and keeps working from the decoded copy', async () => {
    const keys = meetingKeys(6);
    const meeting = await TestMeeting.start(keys);
    const j = await joiners(meeting, ['a', 'b']);
    await meeting.deliver(
      'm0',
      await commitAdd(
        meeting.get('m0'),
        j.map(([, x]) => x.keyPackageBytes),
      ),
      j,
    );
    const bytes = encodeMeetingGroup(meeting.get('b'));
    const restored = decodeMeetingGroup(bytes, keys);
    assert.equal(hex(await mediaBaseKey(restored)), hex(await mediaBaseKey(meeting.get('b'))));
    assert.deepEqual(summarize(restored), summarize(meeting.get('b')));
    meeting.members.set('b', restored);
    await meeting.deliver('a', await commitUpdate(meeting.get('a')));
    const c = await createJoiner(meeting.keys);
    await meeting.deliver('b', await commitAdd(meeting.get('b'), [c.keyPackageBytes]), [['c', c]]);
    await meeting.assertInSync();
  });

  it('never writes into the bytes a state was decoded from', async () => {
    const keys = meetingKeys(8);
    const meeting = await TestMeeting.start(keys);
    const j = await joiners(meeting, ['a', 'b']);
    await meeting.deliver(
      'm0',
      await commitAdd(
        meeting.get('m0'),
        j.map(([, x]) => x.keyPackageBytes),
      ),
      j,
    );
    const bytes = encodeMeetingGroup(meeting.get('b'));
    const copy = bytes.slice();
    const pending = await commitUpdate(meeting.get('a'));
    // Processing zeroes consumed secrets of the decoded state, which must not alias `bytes`.
    await receiveMessage(decodeMeetingGroup(bytes, keys), pending.commit);
    assert.deepEqual(bytes, copy);
    const again = await receiveMessage(decodeMeetingGroup(bytes, keys), pending.commit);
    assert.equal(again.kind, 'commit');
  });

  it('refuses invalid requests with invalid-operation', async () => {
    const meeting = await TestMeeting.start(meetingKeys(7));
    const j = await joiners(meeting, ['a']);
    await meeting.deliver(
      'm0',
      await commitAdd(
        meeting.get('m0'),
        j.map(([, x]) => x.keyPackageBytes),
      ),
      j,
    );
    const g = meeting.get('a');
    await assert.rejects(commitRemove(g, [1]), (e) => isMlsGroupError(e, 'invalid-operation'));
    await assert.rejects(commitRemove(g, [7]), (e) => isMlsGroupError(e, 'invalid-operation'));
    await assert.rejects(commitRemove(g, [0.5]), (e) => isMlsGroupError(e, 'invalid-operation'));
    // Adding someone who is already a member.
    await assert.rejects(commitAdd(g, [j[0]![1].keyPackageBytes]), (e) => isMlsGroupError(e, 'malformed'));
  });
});
