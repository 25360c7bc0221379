import type { JoinChallenge } from '@conclave/protocol';
import type { ExpiringStore } from '@conclave/runtime';
import { ApiError } from '../http/api-error.ts';
import { requireMeeting } from '../http/host-auth.ts';
import type { RateLimiter } from '../http/rate-limiter.ts';
import { randomId } from '../http/secrets.ts';
import type { JoinMetrics } from '../observability/metrics.ts';
import type { JoinStateSealer } from '../srp/sealed-state.ts';
import type { SrpServer } from '../srp/srp-server.ts';
import type { Meeting, MeetingStore } from './meeting-store.ts';

/** What proving a meeting's password needs. */
export interface JoinHandshakeDeps {
  meetings: MeetingStore;
  srp: SrpServer;
  sealer: JoinStateSealer;
  ephemeral: ExpiringStore;
  limiter: RateLimiter;
  metrics: JoinMetrics;
}

/** Server SRP state and join tokens live this long (PROTOCOL §3). */
export const STATE_TTL_MS = 60_000;

export type ReadyMeeting = Meeting & { srpSalt: string; srpVerifier: string };

/** The meeting must exist, have a verifier and have started. */
export function assertReady(meeting: Meeting): asserts meeting is ReadyMeeting {
  if (meeting.srpVerifier === null || meeting.srpSalt === null) {
    throw new ApiError('meeting_not_ready', 'the host has not finished creating this meeting');
  }
  if (meeting.startsAt && meeting.startsAt.getTime() > Date.now()) {
    throw new ApiError('meeting_not_started', `the meeting starts at ${meeting.startsAt.toISOString()}`);
  }
}

function parseHex(value: string): bigint {
  return BigInt(`0x${value}`);
}

/** Step 1 of SRP-6a for a ready meeting: the challenge with the sealed server state. */
export function srpChallenge(
  srp: SrpServer,
  sealer: JoinStateSealer,
  meetingId: string,
  meeting: ReadyMeeting,
): JoinChallenge {
  const { b, B } = srp.challenge(parseHex(meeting.srpVerifier));
  const state = sealer.seal({ id: randomId(), meetingId, b, B, exp: Date.now() + STATE_TTL_MS });
  return { salt: meeting.srpSalt, B: B.toString(16), state };
}

/**
 * Step 2 of SRP-6a: unseals the state (single use), loads the meeting and checks the proof.
 * `gate` runs on the loaded meeting before the proof is checked (the lock check). A failed proof
 * counts against its source for this meeting only, so nobody can lock others out.
 */
export async function srpVerify(
  deps: JoinHandshakeDeps,
  meetingId: string,
  source: string,
  body: { state: string; A: string; M1: string },
  gate: (meeting: Meeting) => Promise<void>,
): Promise<{ meeting: Meeting; M2: string }> {
  await deps.limiter.checkProofs(meetingId, source);
  const unsealed = deps.sealer.unseal(body.state);
  if (!unsealed.ok)
    throw new ApiError(unsealed.code, 'the join handshake state is invalid or expired; start again');
  const { state } = unsealed;
  if (state.meetingId !== meetingId)
    throw new ApiError('join_state_invalid', 'the join state belongs to another meeting');
  if (!(await deps.ephemeral.claim(`srp:${state.id}`, STATE_TTL_MS))) {
    throw new ApiError('join_state_replayed', 'this join handshake state was already used; start again');
  }
  const meeting = await requireMeeting(deps.meetings, meetingId);
  assertReady(meeting);
  await gate(meeting);
  const result = deps.srp.verify(
    parseHex(meeting.srpVerifier),
    state.b,
    state.B,
    parseHex(body.A),
    parseHex(body.M1),
  );
  deps.metrics.joins.inc({ result: result.ok ? 'ok' : result.code });
  if (!result.ok) {
    await deps.limiter.recordFailedProof(meetingId, source);
    throw result.code === 'wrong_password'
      ? new ApiError('wrong_password', 'wrong meeting password')
      : new ApiError('invalid_srp_value', 'the client public value A is invalid');
  }
  return { meeting, M2: result.M2.toString(16) };
}
