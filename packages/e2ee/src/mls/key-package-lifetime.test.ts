import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { commitAdd } from './commit.ts';
import { isMlsGroupError } from './errors.ts';
import { createJoiner } from './keyPackage.ts';
import { meetingKeys, TestMeeting } from './test-support.ts';

/** A KeyPackage made `minutesAgo` minutes ago, as a departed member's would be. */
async function keyPackageFrom(meeting: TestMeeting, minutesAgo: number) {
  const realNow = Date.now;
  Date.now = () => realNow() - minutesAgo * 60_000;
  try {
    return await createJoiner(meeting.keys);
  } finally {
    Date.now = realNow;
  }
}

describe('KeyPackage lifetime', () => {
  it('lasts minutes: a fresh KeyPackage is added, one from 20 minutes ago is refused as expired', async () => {
    const meeting = await TestMeeting.start(meetingKeys(41));
    const fresh = await createJoiner(meeting.keys);
    const lifetime = fresh.keyPackage.leafNode.lifetime;
    const now = BigInt(Math.floor(Date.now() / 1000));
    assert.ok(lifetime.notAfter - now <= 15n * 60n, `valid for ${lifetime.notAfter - now} s`);

    const old = await keyPackageFrom(meeting, 20);
    await assert.rejects(
      commitAdd(meeting.get('m0'), [old.keyPackageBytes]),
      (e: unknown) => isMlsGroupError(e) && e.code === 'malformed',
      'a DS replaying a departed member’s KeyPackage is refused',
    );
    const pending = await commitAdd(meeting.get('m0'), [fresh.keyPackageBytes]);
    assert.deepEqual(pending.refused, []);
  });
});
