import {
  ErrorBody,
  JoinChallenge,
  JoinGranted,
  JoinInitBody,
  JOIN_TOKEN_TTL_SECONDS,
  JoinProofBody,
  JoinTokenPublicKeys,
  MeetingParams,
  RejoinRenewBody,
  RejoinRenewed,
  type Role,
} from '@conclave/protocol';
import { Type } from 'typebox';
import type { RejoinSecrets } from '../lobby/rejoin.ts';
import type { ExpiringStore, JoinTokenSigner } from '@conclave/runtime';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ApiError } from '../http/api-error.ts';
import { requireMeeting } from '../http/host-auth.ts';
import type { RateLimiter } from '../http/rate-limiter.ts';
import { randomId, sameHash, sha256 } from '../http/secrets.ts';
import type { MeetingLifecycle } from '../meetings/meeting-lifecycle.ts';
import type { Meeting, MeetingStore } from '../meetings/meeting-store.ts';
import type { SfuSelector } from '../sfu/sfu-selector.ts';
import type { TurnCredentials } from '../sfu/turn-credentials.ts';
import type { JoinStateSealer } from '../srp/sealed-state.ts';
import type { SrpServer } from '../srp/srp-server.ts';
import type { JoinMetrics } from '../observability/metrics.ts';

export interface JoinRoutesOptions {
  meetings: MeetingStore;
  /** Told of every join, which keeps a permanent room from idling out. */
  lifecycle: Pick<MeetingLifecycle, 'markUsed'>;
  srp: SrpServer;
  sealer: JoinStateSealer;
  ephemeral: ExpiringStore;
  limiter: RateLimiter;
  signer: JoinTokenSigner;
  publicKeys: string[];
  sfu: SfuSelector;
  dsUrl: string;
  /** Present when the deployment runs TURN (coturn with a shared secret). */
  turn: TurnCredentials | undefined;
  metrics: JoinMetrics;
  rejoins: RejoinSecrets;
  /** Scheduled key rotation interval told to clients, in seconds; 0 or absent: off. */
  keyRotationSeconds?: number;
}

/** Server SRP state and join tokens live this long (PROTOCOL §3). */
export const STATE_TTL_MS = 60_000;

export const errors = {
  400: ErrorBody,
  401: ErrorBody,
  403: ErrorBody,
  404: ErrorBody,
  409: ErrorBody,
  423: ErrorBody,
  429: ErrorBody,
};

/** The meeting must exist, have a verifier and have started. */
export function assertReady(
  meeting: Meeting,
): asserts meeting is Meeting & { srpSalt: string; srpVerifier: string } {
  if (meeting.srpVerifier === null || meeting.srpSalt === null) {
    throw new ApiError('meeting_not_ready', 'the host has not finished creating this meeting');
  }
  if (meeting.startsAt && meeting.startsAt.getTime() > Date.now()) {
    throw new ApiError('meeting_not_started', `the meeting starts at ${meeting.startsAt.toISOString()}`);
  }
}

const lockedError = () => new ApiError('meeting_locked', 'the meeting is locked');

const isHostSecret = (meeting: Meeting, secret: string | undefined) =>
  secret !== undefined && sameHash(sha256(secret), meeting.hostSecretHash);

/** Lets an optional body be left out entirely (no content, no content type). */
export async function emptyBodyAsObject(request: { body: unknown }): Promise<void> {
  request.body ??= {};
}

export function parseHex(value: string): bigint {
  return BigInt(`0x${value}`);
}

/** Step 1 of SRP-6a for a ready meeting: the challenge with the sealed server state. */
export function srpChallenge(
  srp: SrpServer,
  sealer: JoinStateSealer,
  meetingId: string,
  meeting: Meeting & { srpSalt: string; srpVerifier: string },
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
  opts: Pick<JoinRoutesOptions, 'meetings' | 'srp' | 'sealer' | 'ephemeral' | 'metrics' | 'limiter'>,
  meetingId: string,
  source: string,
  body: { state: string; A: string; M1: string },
  gate: (meeting: Meeting) => Promise<void>,
): Promise<{ meeting: Meeting; M2: string }> {
  await opts.limiter.checkProofs(meetingId, source);
  const unsealed = opts.sealer.unseal(body.state);
  if (!unsealed.ok)
    throw new ApiError(unsealed.code, 'the join handshake state is invalid or expired; start again');
  const { state } = unsealed;
  if (state.meetingId !== meetingId)
    throw new ApiError('join_state_invalid', 'the join state belongs to another meeting');
  if (!(await opts.ephemeral.claim(`srp:${state.id}`, STATE_TTL_MS))) {
    throw new ApiError('join_state_replayed', 'this join handshake state was already used; start again');
  }
  const meeting = await requireMeeting(opts.meetings, meetingId);
  assertReady(meeting);
  await gate(meeting);
  const result = opts.srp.verify(
    parseHex(meeting.srpVerifier),
    state.b,
    state.B,
    parseHex(body.A),
    parseHex(body.M1),
  );
  opts.metrics.joins.inc({ result: result.ok ? 'ok' : result.code });
  if (!result.ok) {
    await opts.limiter.recordFailedProof(meetingId, source);
    throw result.code === 'wrong_password'
      ? new ApiError('wrong_password', 'wrong meeting password')
      : new ApiError('invalid_srp_value', 'the client public value A is invalid');
  }
  return { meeting, M2: result.M2.toString(16) };
}

/**
 * A join token (and a rejoin secret) for a meeting whose password was just proven. `carried`:
 * the group session of a rejoin secret this join used up, which the new secret stays with.
 */
export async function grantJoin(
  opts: Pick<
    JoinRoutesOptions,
    'signer' | 'sfu' | 'dsUrl' | 'turn' | 'rejoins' | 'keyRotationSeconds' | 'lifecycle'
  >,
  meeting: Meeting,
  role: Role,
  M2: string,
  carried?: { sessionHash: string },
): Promise<JoinGranted> {
  const iat = Math.floor(Date.now() / 1000);
  const sid = randomId();
  const sfuUrl = await opts.sfu.urlForRoom(meeting.sfuRoomId);
  const token = opts.signer.sign({
    v: 1,
    sid,
    room: meeting.sfuRoomId,
    grp: meeting.mlsGroupId,
    role,
    sfu: sfuUrl,
    ds: opts.dsUrl,
    iat,
    exp: iat + JOIN_TOKEN_TTL_SECONDS,
  });
  const rejoin = await opts.rejoins.issue(meeting.sfuRoomId, carried ?? { sid });
  await opts.lifecycle.markUsed(meeting);
  return {
    M2,
    token,
    role,
    sfuUrl,
    dsUrl: opts.dsUrl,
    expiresAt: new Date((iat + JOIN_TOKEN_TTL_SECONDS) * 1000).toISOString(),
    rejoin: rejoin.rejoin,
    rejoinExpiresAt: new Date(rejoin.expiresAt).toISOString(),
    ...(opts.turn ? { iceServers: [opts.turn.issue()] } : {}),
    keyRotationSeconds: opts.keyRotationSeconds ?? 0,
  };
}

export const joinRoutes: FastifyPluginAsyncTypebox<JoinRoutesOptions> = async (app, opts) => {
  const { meetings, srp, sealer, limiter, rejoins } = opts;

  app.post(
    '/v1/meetings/:meetingId/join/init',
    {
      schema: {
        summary: 'SRP-6a step 1: get the salt and the server public value B',
        description:
          'A locked meeting answers 423 meeting_locked unless the body carries the host secret or a live rejoin secret.',
        params: MeetingParams,
        body: Type.Optional(JoinInitBody),
        response: { 200: JoinChallenge, ...errors },
      },
      preValidation: emptyBodyAsObject,
    },
    async (request) => {
      await limiter.checkProofs(request.params.meetingId, request.ip);
      const meeting = await requireMeeting(meetings, request.params.meetingId);
      assertReady(meeting);
      const pass = request.body ?? {};
      if (meeting.locked) {
        if (pass.hostSecret !== undefined && !isHostSecret(meeting, pass.hostSecret))
          throw new ApiError('wrong_host_secret', 'wrong host secret');
        const through =
          pass.hostSecret !== undefined ||
          (pass.rejoin !== undefined && (await rejoins.valid(pass.rejoin, meeting.sfuRoomId)));
        if (!through) throw lockedError();
      }
      return srpChallenge(srp, sealer, request.params.meetingId, meeting);
    },
  );

  app.post(
    '/v1/meetings/:meetingId/join/verify',
    {
      schema: {
        summary: 'SRP-6a step 2: prove the password, get the server proof M2 and a join token',
        params: MeetingParams,
        body: JoinProofBody,
        response: { 200: JoinGranted, ...errors },
      },
    },
    async (request) => {
      const { meetingId } = request.params;
      const { hostSecret, rejoin } = request.body;
      let lockPassedWithRejoin = false;
      const { meeting, M2 } = await srpVerify(opts, meetingId, request.ip, request.body, async (m) => {
        if (!m.locked || isHostSecret(m, hostSecret)) return;
        if (rejoin !== undefined && (await rejoins.valid(rejoin, m.sfuRoomId))) {
          lockPassedWithRejoin = true;
          return;
        }
        throw lockedError();
      });
      let role: Role = 'participant';
      if (hostSecret !== undefined) {
        if (!isHostSecret(meeting, hostSecret)) throw new ApiError('wrong_host_secret', 'wrong host secret');
        role = 'host';
      }
      // Single use, locked or not: the grant below carries the next one, for the same group session.
      const carried = rejoin === undefined ? undefined : await rejoins.consume(rejoin, meeting.sfuRoomId);
      if (lockPassedWithRejoin && !carried) {
        throw new ApiError('rejoin_invalid', 'this rejoin secret was already used or has expired');
      }
      return grantJoin(opts, meeting, role, M2, carried);
    },
  );

  app.post(
    '/v1/meetings/:meetingId/rejoin/renew',
    {
      schema: {
        summary: 'Exchange a live rejoin secret for a fresh one (the old one stops working)',
        description:
          'Only a secret whose session the delivery service confirmed as a member of the group, in the current generation of the room (since the last lock or removal), can be renewed.',
        params: MeetingParams,
        body: RejoinRenewBody,
        response: { 200: RejoinRenewed, ...errors },
      },
    },
    async (request) => {
      const meeting = await requireMeeting(meetings, request.params.meetingId);
      const session = await rejoins.consume(request.body.rejoin, meeting.sfuRoomId);
      if (!session)
        throw new ApiError('rejoin_invalid', 'this rejoin secret was already used or has expired');
      const next = await rejoins.issue(meeting.sfuRoomId, session);
      return { rejoin: next.rejoin, rejoinExpiresAt: new Date(next.expiresAt).toISOString() };
    },
  );

  app.get(
    '/v1/join-token-keys',
    {
      schema: {
        summary: 'Public keys that verify join tokens (for the SFU and the delivery service)',
        response: { 200: JoinTokenPublicKeys },
      },
    },
    async () => ({ keys: opts.publicKeys }),
  );
};
