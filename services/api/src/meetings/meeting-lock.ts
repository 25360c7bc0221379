import { ApiError } from '../http/api-error.ts';
import { sameHash, sha256 } from '../http/secrets.ts';
import type { RejoinSecrets } from '../lobby/rejoin.ts';
import type { Meeting } from './meeting-store.ts';

/** What a joiner may show to get past a lock: the host secret, or a live rejoin secret. */
export interface LockPass {
  hostSecret?: string | undefined;
  rejoin?: string | undefined;
}

/** How a join got past the meeting's lock, which decides what the grant must still check. */
export type LockOutcome = 'unlocked' | 'host' | 'rejoin';

const lockedError = () => new ApiError('meeting_locked', 'the meeting is locked');

export function isHostSecret(meeting: Meeting, secret: string | undefined): boolean {
  return secret !== undefined && sameHash(sha256(secret), meeting.hostSecretHash);
}

/**
 * The lock check before a challenge (join step 1): a wrong host secret is refused as such; a
 * rejoin secret is only looked at, not used up, since the proof may still fail.
 */
export async function checkLockBeforeChallenge(
  meeting: Meeting,
  pass: LockPass,
  rejoins: Pick<RejoinSecrets, 'valid'>,
): Promise<void> {
  if (!meeting.locked) return;
  if (pass.hostSecret !== undefined && !isHostSecret(meeting, pass.hostSecret))
    throw new ApiError('wrong_host_secret', 'wrong host secret');
  const through =
    pass.hostSecret !== undefined ||
    (pass.rejoin !== undefined && (await rejoins.valid(pass.rejoin, meeting.sfuRoomId)));
  if (!through) throw lockedError();
}

/** The lock check before a proof is accepted (join step 2). */
export async function passLock(
  meeting: Meeting,
  pass: LockPass,
  rejoins: Pick<RejoinSecrets, 'valid'>,
): Promise<LockOutcome> {
  if (!meeting.locked) return 'unlocked';
  if (isHostSecret(meeting, pass.hostSecret)) return 'host';
  if (pass.rejoin !== undefined && (await rejoins.valid(pass.rejoin, meeting.sfuRoomId))) return 'rejoin';
  throw lockedError();
}

/** Knocking is for locked meetings only; an open one is joined directly. */
export function assertLocked(meeting: Meeting): void {
  if (!meeting.locked)
    throw new ApiError('meeting_not_locked', 'the meeting is not locked: join it directly');
}
