import {
  ErrorBody,
  JoinChallenge,
  JoinGranted,
  JoinProofBody,
  JoinTokenPublicKeys,
  MeetingParams,
  type Role,
} from '@conclave/protocol';
import type { ExpiringStore, JoinTokenSigner } from '@conclave/runtime';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ApiError } from '../http/api-error.ts';
import { requireMeeting } from '../http/host-auth.ts';
import type { RateLimiter } from '../http/rate-limiter.ts';
import { randomId, sameHash, sha256 } from '../http/secrets.ts';
import type { Meeting, MeetingStore } from '../meetings/meeting-store.ts';
import type { SfuSelector } from '../sfu/sfu-selector.ts';
import type { TurnCredentials } from '../sfu/turn-credentials.ts';
import type { JoinStateSealer } from '../srp/sealed-state.ts';
import type { SrpServer } from '../srp/srp-server.ts';
import type { JoinMetrics } from '../observability/metrics.ts';

export interface JoinRoutesOptions {
  meetings: MeetingStore;
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
}

/** Server SRP state and join tokens live this long (PROTOCOL §3). */
const STATE_TTL_MS = 60_000;
const TOKEN_TTL_SECONDS = 60;

const errors = {
  400: ErrorBody,
  401: ErrorBody,
  403: ErrorBody,
  404: ErrorBody,
  409: ErrorBody,
  423: ErrorBody,
  429: ErrorBody,
};

/** The meeting must exist, have a verifier, have started, and be unlocked. */
function assertJoinable(
  meeting: Meeting,
): asserts meeting is Meeting & { srpSalt: string; srpVerifier: string } {
  if (meeting.srpVerifier === null || meeting.srpSalt === null) {
    throw new ApiError('meeting_not_ready', 'the host has not finished creating this meeting');
  }
  if (meeting.startsAt && meeting.startsAt.getTime() > Date.now()) {
    throw new ApiError('meeting_not_started', `the meeting starts at ${meeting.startsAt.toISOString()}`);
  }
  if (meeting.locked) throw new ApiError('meeting_locked', 'the meeting is locked');
}

function parseHex(value: string): bigint {
  return BigInt(`0x${value}`);
}

export const joinRoutes: FastifyPluginAsyncTypebox<JoinRoutesOptions> = async (app, opts) => {
  const { meetings, srp, sealer, ephemeral, limiter, metrics } = opts;

  app.post(
    '/v1/meetings/:meetingId/join/init',
    {
      schema: {
        summary: 'SRP-6a step 1: get the salt and the server public value B',
        params: MeetingParams,
        response: { 200: JoinChallenge, ...errors },
      },
    },
    async (request) => {
      await limiter.checkMeetingJoin(request.params.meetingId);
      const meeting = await requireMeeting(meetings, request.params.meetingId);
      assertJoinable(meeting);
      const { b, B } = srp.challenge(parseHex(meeting.srpVerifier));
      const state = sealer.seal({
        id: randomId(),
        meetingId: meeting.id,
        b,
        B,
        exp: Date.now() + STATE_TTL_MS,
      });
      return { salt: meeting.srpSalt, B: B.toString(16), state };
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
      await limiter.checkMeetingJoin(meetingId);
      const unsealed = sealer.unseal(request.body.state);
      if (!unsealed.ok)
        throw new ApiError(unsealed.code, 'the join handshake state is invalid or expired; start again');
      const { state } = unsealed;
      if (state.meetingId !== meetingId)
        throw new ApiError('join_state_invalid', 'the join state belongs to another meeting');
      if (!(await ephemeral.claim(`srp:${state.id}`, STATE_TTL_MS))) {
        throw new ApiError('join_state_replayed', 'this join handshake state was already used; start again');
      }
      const meeting = await requireMeeting(meetings, meetingId);
      assertJoinable(meeting);
      const A = parseHex(request.body.A);
      const result = srp.verify(
        parseHex(meeting.srpVerifier),
        state.b,
        state.B,
        A,
        parseHex(request.body.M1),
      );
      metrics.joins.inc({ result: result.ok ? 'ok' : result.code });
      if (!result.ok) {
        throw result.code === 'wrong_password'
          ? new ApiError('wrong_password', 'wrong meeting password')
          : new ApiError('invalid_srp_value', 'the client public value A is invalid');
      }
      let role: Role = 'participant';
      if (request.body.hostSecret !== undefined) {
        if (!sameHash(sha256(request.body.hostSecret), meeting.hostSecretHash)) {
          throw new ApiError('wrong_host_secret', 'wrong host secret');
        }
        role = 'host';
      }
      const iat = Math.floor(Date.now() / 1000);
      const sfuUrl = await opts.sfu.urlForRoom(meeting.sfuRoomId);
      const token = opts.signer.sign({
        v: 1,
        sid: randomId(),
        room: meeting.sfuRoomId,
        grp: meeting.mlsGroupId,
        role,
        sfu: sfuUrl,
        ds: opts.dsUrl,
        iat,
        exp: iat + TOKEN_TTL_SECONDS,
      });
      return {
        M2: result.M2.toString(16),
        token,
        role,
        sfuUrl,
        dsUrl: opts.dsUrl,
        expiresAt: new Date((iat + TOKEN_TTL_SECONDS) * 1000).toISOString(),
        ...(opts.turn ? { iceServers: [opts.turn.issue()] } : {}),
      };
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
