import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { commitAdd, commitRemove, commitUpdate } from './commit.ts';
import { isMlsGroupError } from './errors.ts';
import { joinFromWelcome } from './group.ts';
import { createJoiner } from './keyPackage.ts';
import { receiveMessage } from './receive.ts';
import { meetingKeys, TestMeeting } from './test-support.ts';

async function meetingOf(n: number, seed: number): Promise<TestMeeting> {
  const meeting = await TestMeeting.start(meetingKeys(seed));
  const js = await Promise.all(
    Array.from({ length: n - 1 }, async (_, i) => [`m${i + 1}`, await createJoiner(meeting.keys)] as const),
  );
  await meeting.deliver(
    'm0',
    await commitAdd(
      meeting.get('m0'),
      js.map(([, j]) => j.keyPackageBytes),
    ),
    js.map(([n, j]) => [n, j]),
  );
  return meeting;
}

describe('MLS commits racing for one epoch', () => {
  it('lets the loser process the winner from its pre-commit state and re-base its own adds', async () => {
    const meeting = await meetingOf(4, 21);
    const x = await createJoiner(meeting.keys);
    const y = await createJoiner(meeting.keys);
    const epoch = meeting.get('m1').state.groupContext.epoch;

    // m1 and m2 both commit in the same epoch; the delivery service takes m1's first.
    const winner = await commitAdd(meeting.get('m1'), [x.keyPackageBytes]);
    const loser = await commitAdd(meeting.get('m2'), [y.keyPackageBytes]);
    assert.equal(winner.epoch, epoch);
    assert.equal(loser.epoch, epoch);

    // deliver() hands the winner to everyone else, m2 included, using m2's untouched old state.
    await meeting.deliver('m1', winner, [['x', x]]);
    const synced = await meeting.assertInSync();
    assert.equal(synced.epoch, epoch + 1n);

    // The losing commit is now stale everywhere.
    await assert.rejects(receiveMessage(meeting.get('m3'), loser.commit), (e) =>
      isMlsGroupError(e, 'wrong-epoch'),
    );
    await assert.rejects(receiveMessage(meeting.get('x'), loser.commit), (e) =>
      isMlsGroupError(e, 'wrong-epoch'),
    );

    // Re-base: m2 commits the same joiner again on the new epoch.
    const rebased = await commitAdd(meeting.get('m2'), [y.keyPackageBytes]);
    assert.equal(rebased.epoch, epoch + 1n);
    await meeting.deliver('m2', rebased, [['y', y]]);
    const after = await meeting.assertInSync();
    assert.equal(after.epoch, epoch + 2n);
    assert.equal(meeting.members.size, 6);
  });

  it('does not let a Welcome from a losing commit join the real group', async () => {
    const meeting = await meetingOf(3, 22);
    const y = await createJoiner(meeting.keys);
    const winner = await commitUpdate(meeting.get('m0'));
    const loser = await commitAdd(meeting.get('m1'), [y.keyPackageBytes]);
    await meeting.deliver('m0', winner);
    // y can open the stale Welcome, but lands in a fork of the epoch: same number, other keys.
    const stray = await joinFromWelcome(y, loser.welcome!);
    assert.equal(stray.state.groupContext.epoch, meeting.get('m0').state.groupContext.epoch);
    const next = await commitUpdate(meeting.get('m0'));
    await assert.rejects(receiveMessage(stray, next.commit), (e) => isMlsGroupError(e, 'decrypt-failed'));
  });

  it('resolves a race between a Remove and a self-update without corrupting either side', async () => {
    const meeting = await meetingOf(4, 23);
    const leafOf = (n: string) => meeting.get(n).state.privatePath.leafIndex;
    const removal = await commitRemove(meeting.get('m3'), [leafOf('m1')]);
    const update = await commitUpdate(meeting.get('m0'));
    // The update wins; the remover processes it and re-issues the removal.
    await meeting.deliver('m0', update);
    await meeting.assertInSync();
    await assert.rejects(receiveMessage(meeting.get('m2'), removal.commit), (e) =>
      isMlsGroupError(e, 'wrong-epoch'),
    );
    await meeting.deliver('m3', await commitRemove(meeting.get('m3'), [leafOf('m1')]));
    await meeting.assertInSync();
    assert.ok(meeting.removed.has('m1'));
    assert.equal(meeting.members.size, 3);
  });
});
