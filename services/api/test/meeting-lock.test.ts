import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiError } from '../src/http/api-error.ts';
import { sha256 } from '../src/http/secrets.ts';
import { checkLockBeforeChallenge, passLock } from '../src/meetings/meeting-lock.ts';
import type { Meeting } from '../src/meetings/meeting-store.ts';

const HOST_SECRET = 'host-secret';
const LIVE_REJOIN = 'live-rejoin';

function meeting(locked: boolean): Meeting {
  return { locked, hostSecretHash: sha256(HOST_SECRET), sfuRoomId: 'room' } as Meeting;
}

/** Rejoin secrets of which only LIVE_REJOIN is valid, and only for the meeting's room. */
const rejoins = { valid: async (secret: string, room: string) => secret === LIVE_REJOIN && room === 'room' };

const refusedWith = (code: string) => (error: unknown) => error instanceof ApiError && error.code === code;

describe('the meeting lock rule', () => {
  it('an unlocked meeting lets everyone through, whatever they show', async () => {
    await checkLockBeforeChallenge(meeting(false), { hostSecret: 'wrong' }, rejoins);
    assert.equal(await passLock(meeting(false), {}, rejoins), 'unlocked');
  });

  it('a locked meeting lets the host and a live rejoin secret through, and says which', async () => {
    await checkLockBeforeChallenge(meeting(true), { hostSecret: HOST_SECRET }, rejoins);
    await checkLockBeforeChallenge(meeting(true), { rejoin: LIVE_REJOIN }, rejoins);
    assert.equal(await passLock(meeting(true), { hostSecret: HOST_SECRET }, rejoins), 'host');
    assert.equal(await passLock(meeting(true), { rejoin: LIVE_REJOIN }, rejoins), 'rejoin');
  });

  it('a locked meeting refuses anyone else with meeting_locked', async () => {
    await assert.rejects(checkLockBeforeChallenge(meeting(true), {}, rejoins), refusedWith('meeting_locked'));
    await assert.rejects(
      checkLockBeforeChallenge(meeting(true), { rejoin: 'used-up' }, rejoins),
      refusedWith('meeting_locked'),
    );
    await assert.rejects(
      passLock(meeting(true), { rejoin: 'used-up' }, rejoins),
      refusedWith('meeting_locked'),
    );
  });

  it('before the challenge, a wrong host secret on a locked meeting is refused as such', async () => {
    await assert.rejects(
      checkLockBeforeChallenge(meeting(true), { hostSecret: 'wrong', rejoin: LIVE_REJOIN }, rejoins),
      refusedWith('wrong_host_secret'),
    );
  });
});
