import {
  ErrorBody,
  JoinChallenge,
  JoinGranted,
  JoinInitBody,
  JoinProofBody,
  JoinTokenPublicKeys,
  MeetingParams,
  RejoinRenewBody,
  RejoinRenewed,
} from '@conclave/protocol';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { ApiError } from '../http/api-error.ts';
import { requireMeeting } from '../http/host-auth.ts';
import { type JoinGrantDeps, grantProvenJoin } from '../meetings/join-grant.ts';
import { assertReady, type JoinHandshakeDeps, srpChallenge, srpVerify } from '../meetings/join-handshake.ts';
import { checkLockBeforeChallenge, type LockOutcome, passLock } from '../meetings/meeting-lock.ts';

/** The join routes: HTTP in and out; the rules are in the meetings domain (src/meetings/). */
export interface JoinRoutesOptions extends JoinHandshakeDeps, JoinGrantDeps {
  publicKeys: string[];
}

export const errors = {
  400: ErrorBody,
  401: ErrorBody,
  403: ErrorBody,
  404: ErrorBody,
  409: ErrorBody,
  423: ErrorBody,
  429: ErrorBody,
};

/** Lets an optional body be left out entirely (no content, no content type). */
export async function emptyBodyAsObject(request: { body: unknown }): Promise<void> {
  request.body ??= {};
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
      await checkLockBeforeChallenge(meeting, request.body ?? {}, rejoins);
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
      let lock = 'unlocked' as LockOutcome;
      const { meeting, M2 } = await srpVerify(opts, meetingId, request.ip, request.body, async (m) => {
        lock = await passLock(m, request.body, rejoins);
      });
      return grantProvenJoin(opts, meeting, M2, request.body, lock);
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
