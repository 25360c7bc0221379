import { JOIN_TOKEN_TTL_SECONDS, type JoinGranted, type Role } from '@conclave/protocol';
import type { JoinTokenSigner } from '@conclave/runtime';
import { ApiError } from '../http/api-error.ts';
import { randomId } from '../http/secrets.ts';
import type { RejoinSecrets } from '../lobby/rejoin.ts';
import type { SfuSelector } from '../sfu/sfu-selector.ts';
import type { TurnCredentials } from '../sfu/turn-credentials.ts';
import type { MeetingLifecycle } from './meeting-lifecycle.ts';
import { isHostSecret, type LockOutcome, type LockPass } from './meeting-lock.ts';
import type { Meeting } from './meeting-store.ts';

/** What handing out a join needs. */
export interface JoinGrantDeps {
  signer: JoinTokenSigner;
  sfu: SfuSelector;
  dsUrl: string;
  /** Present when the deployment runs TURN (coturn with a shared secret). */
  turn: TurnCredentials | undefined;
  rejoins: RejoinSecrets;
  /** Told of every join, which keeps a permanent room from idling out. */
  lifecycle: Pick<MeetingLifecycle, 'markUsed'>;
  /** Scheduled key rotation interval told to clients, in seconds; 0 or absent: off. */
  keyRotationSeconds?: number;
}

/**
 * A join token (and a rejoin secret) for a meeting whose password was just proven. `carried`:
 * the group session of a rejoin secret this join used up, which the new secret stays with.
 */
export async function grantJoin(
  deps: JoinGrantDeps,
  meeting: Meeting,
  role: Role,
  M2: string,
  carried?: { sessionHash: string },
): Promise<JoinGranted> {
  const iat = Math.floor(Date.now() / 1000);
  const sid = randomId();
  const sfuUrl = await deps.sfu.urlForRoom(meeting.sfuRoomId);
  const token = deps.signer.sign({
    v: 1,
    sid,
    room: meeting.sfuRoomId,
    grp: meeting.mlsGroupId,
    role,
    sfu: sfuUrl,
    ds: deps.dsUrl,
    iat,
    exp: iat + JOIN_TOKEN_TTL_SECONDS,
  });
  const rejoin = await deps.rejoins.issue(meeting.sfuRoomId, carried ?? { sid });
  await deps.lifecycle.markUsed(meeting);
  return {
    M2,
    token,
    role,
    sfuUrl,
    dsUrl: deps.dsUrl,
    expiresAt: new Date((iat + JOIN_TOKEN_TTL_SECONDS) * 1000).toISOString(),
    rejoin: rejoin.rejoin,
    rejoinExpiresAt: new Date(rejoin.expiresAt).toISOString(),
    ...(deps.turn ? { iceServers: [deps.turn.issue()] } : {}),
    keyRotationSeconds: deps.keyRotationSeconds ?? 0,
  };
}

/**
 * The join after a proven password: the host secret makes the joiner host (a wrong one is
 * refused), a rejoin secret is used up whether or not the meeting is locked, and a lock passed
 * with a rejoin secret needs that secret to still be unused now.
 */
export async function grantProvenJoin(
  deps: JoinGrantDeps,
  meeting: Meeting,
  M2: string,
  pass: LockPass,
  lock: LockOutcome,
): Promise<JoinGranted> {
  let role: Role = 'participant';
  if (pass.hostSecret !== undefined) {
    if (!isHostSecret(meeting, pass.hostSecret)) throw new ApiError('wrong_host_secret', 'wrong host secret');
    role = 'host';
  }
  // Single use, locked or not: the grant carries the next one, for the same group session.
  const carried =
    pass.rejoin === undefined ? undefined : await deps.rejoins.consume(pass.rejoin, meeting.sfuRoomId);
  if (lock === 'rejoin' && !carried) {
    throw new ApiError('rejoin_invalid', 'this rejoin secret was already used or has expired');
  }
  return grantJoin(deps, meeting, role, M2, carried);
}
