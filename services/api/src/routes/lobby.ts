import {
  ErrorBody,
  JoinChallenge,
  JoinGranted,
  KnockOpened,
  KnockParams,
  KnockProofBody,
  KnockWaitBody,
  LobbyState,
  LobbyWaitBody,
  MeetingParams,
} from '@conclave/protocol';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { ApiError } from '../http/api-error.ts';
import { requireHost, requireMeeting } from '../http/host-auth.ts';
import type { Lobby, OpenKnock } from '../lobby/lobby.ts';
import { grantJoin } from '../meetings/join-grant.ts';
import { assertReady, srpChallenge, srpVerify } from '../meetings/join-handshake.ts';
import { assertLocked } from '../meetings/meeting-lock.ts';
import { emptyBodyAsObject, errors, type JoinRoutesOptions } from './join.ts';

export interface LobbyRoutesOptions extends JoinRoutesOptions {
  lobby: Lobby;
}

/** Long polls never hold a request longer than this. */
const MAX_WAIT_MS = 25_000;

const lobbyErrors = { ...errors, 410: ErrorBody };

const waitMs = (seconds: number | undefined) => Math.min(MAX_WAIT_MS, (seconds ?? 25) * 1000);

const shown = (k: OpenKnock) => ({
  knockId: k.knockId,
  sealedName: k.sealedName,
  expiresAt: new Date(k.expiresAt).toISOString(),
});

/**
 * The lobby of a locked meeting: someone who knows the password knocks (SRP-6a, as a join, plus
 * a name sealed for the meeting's members), the host's browser lists knocks and admits or denies,
 * and the knocker's wait turns into a normal join when admitted.
 */
export const lobbyRoutes: FastifyPluginAsyncTypebox<LobbyRoutesOptions> = async (app, opts) => {
  const { meetings, srp, sealer, limiter, lobby } = opts;

  app.post(
    '/v1/meetings/:meetingId/knock/init',
    {
      schema: {
        summary: 'Knock on a locked meeting, SRP-6a step 1 (as join/init)',
        params: MeetingParams,
        response: { 200: JoinChallenge, ...lobbyErrors },
      },
    },
    async (request) => {
      await limiter.checkProofs(request.params.meetingId, request.ip);
      const meeting = await requireMeeting(meetings, request.params.meetingId);
      assertReady(meeting);
      assertLocked(meeting);
      return srpChallenge(srp, sealer, request.params.meetingId, meeting);
    },
  );

  app.post(
    '/v1/meetings/:meetingId/knock/verify',
    {
      schema: {
        summary: 'Knock, SRP-6a step 2: prove the password and ask the host to let you in',
        description:
          'Answers 202 with a knock ID and secret; wait for the answer with POST /v1/meetings/{meetingId}/knock/{knockId}/wait.',
        params: MeetingParams,
        body: KnockProofBody,
        response: { 202: KnockOpened, ...lobbyErrors },
      },
    },
    async (request, reply) => {
      const { meetingId } = request.params;
      const { meeting, M2 } = await srpVerify(opts, meetingId, request.ip, request.body, async (m) =>
        assertLocked(m),
      );
      const knock = await lobby.open(meeting.key, meeting.mlsGroupId, request.body.sealedName, M2);
      return reply.code(202).send({
        M2,
        knockId: knock.knockId,
        knockSecret: knock.knockSecret,
        expiresAt: new Date(knock.expiresAt).toISOString(),
      });
    },
  );

  app.post(
    '/v1/meetings/:meetingId/knock/:knockId/wait',
    {
      schema: {
        summary: "Knocker: wait up to 25 s for the host's answer",
        description:
          '200 with a join token when admitted (the lock does not apply to it), 403 knock_denied, 410 knock_expired, 204 to wait again.',
        params: KnockParams,
        body: KnockWaitBody,
        response: { 200: JoinGranted, 204: Type.Null(), ...lobbyErrors },
      },
    },
    async (request, reply) => {
      const { meetingId, knockId } = request.params;
      const meeting = await requireMeeting(meetings, meetingId);
      const outcome = await lobby.waitFor(meeting.mlsGroupId, waitMs(request.body.waitSeconds), async () => {
        const o = await lobby.outcome(meeting.key, knockId, request.body.knockSecret);
        return o.state === 'open' ? undefined : o;
      });
      if (!outcome) return reply.code(204).send(null);
      if (outcome.state === 'denied') throw new ApiError('knock_denied', 'the host did not let you in');
      // The meeting as it is now (a permanent room may have new rooms since the knock).
      const current = await requireMeeting(meetings, meetingId);
      return grantJoin(opts, current, 'participant', outcome.M2);
    },
  );

  app.post(
    '/v1/meetings/:meetingId/knock/:knockId/withdraw',
    {
      schema: {
        summary: 'Knocker: stop waiting; the knock leaves the host’s list',
        params: KnockParams,
        body: Type.Object(
          { knockSecret: KnockWaitBody.properties.knockSecret },
          { additionalProperties: false },
        ),
        response: { 204: Type.Null(), ...lobbyErrors },
      },
    },
    async (request, reply) => {
      const { meetingId, knockId } = request.params;
      const meeting = await requireMeeting(meetings, meetingId);
      await lobby.withdraw(meeting.key, meeting.mlsGroupId, knockId, request.body.knockSecret);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/v1/meetings/:meetingId/lobby/wait',
    {
      schema: {
        summary: 'Host: the open knocks, at once when they differ from `seen`, else after a change or 25 s',
        params: MeetingParams,
        body: Type.Optional(LobbyWaitBody),
        response: { 200: LobbyState, ...lobbyErrors },
      },
      preValidation: emptyBodyAsObject,
    },
    async (request) => {
      const meeting = await requireHost(meetings, request, request.params.meetingId);
      const seen = new Set(request.body?.seen ?? []);
      const differs = (open: OpenKnock[]) =>
        open.length !== seen.size || open.some((k) => !seen.has(k.knockId));
      const changed = await lobby.waitFor(meeting.mlsGroupId, waitMs(request.body?.waitSeconds), async () => {
        const open = await lobby.list(meeting.key);
        return differs(open) ? open : undefined;
      });
      const open = changed ?? (await lobby.list(meeting.key));
      return { knocks: open.map(shown) };
    },
  );

  for (const [action, admit] of [
    ['admit', true],
    ['deny', false],
  ] as const) {
    app.post(
      `/v1/meetings/:meetingId/lobby/:knockId/${action}`,
      {
        schema: {
          summary: admit ? 'Host: let a knocker in' : 'Host: turn a knocker away',
          params: KnockParams,
          response: { 204: Type.Null(), ...lobbyErrors },
        },
      },
      async (request, reply) => {
        const meeting = await requireHost(meetings, request, request.params.meetingId);
        await lobby.answer(meeting.key, meeting.mlsGroupId, request.params.knockId, admit);
        return reply.code(204).send(null);
      },
    );
  }
};
