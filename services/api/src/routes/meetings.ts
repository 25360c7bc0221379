import {
  CreateMeetingBody,
  ErrorBody,
  LockBody,
  MeetingCreated,
  MeetingInfo,
  MeetingParams,
  RegisterVerifierBody,
  RotateBody,
} from '@conclave/protocol';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { CreationKeyStore } from '../auth/creation-keys.ts';
import { ApiError } from '../http/api-error.ts';
import { requireHost, requireMeeting } from '../http/host-auth.ts';
import { bearer, sha256 } from '../http/secrets.ts';
import type { RejoinSecrets } from '../lobby/rejoin.ts';
import type { MeetingLifecycle } from '../meetings/meeting-lifecycle.ts';
import type { Meeting, MeetingStore } from '../meetings/meeting-store.ts';
import type { SrpServer } from '../srp/srp-server.ts';

export interface MeetingRoutesOptions {
  meetings: MeetingStore;
  creationKeys: CreationKeyStore;
  lifecycle: MeetingLifecycle;
  creation: 'open' | 'key';
  defaultMeetingHours: number;
  /** CONCLAVE_MAX_PERMANENT_ROOMS; 0: no limit. */
  maxPermanentRooms: number;
  srp: SrpServer;
  rejoins: RejoinSecrets;
}

/** How long the host has to register the SRP verifier after creating a meeting. */
const VERIFIER_WINDOW_MS = 10 * 60_000;
const MAX_SCHEDULE_MS = 366 * 24 * 3600_000;

const errors = { 400: ErrorBody, 401: ErrorBody, 404: ErrorBody, 409: ErrorBody, 429: ErrorBody };

/** `meetingId`: the one the request named; the store knows only its keyed hash. */
function info(meetingId: string, meeting: Meeting): MeetingInfo {
  return {
    meetingId,
    locked: meeting.locked,
    permanent: meeting.permanent,
    startsAt: meeting.startsAt?.toISOString() ?? null,
    expiresAt: meeting.expiresAt?.toISOString() ?? null,
  };
}

function schedule(body: CreateMeetingBody, defaultHours: number) {
  const now = Date.now();
  const permanent = body.permanent ?? false;
  const startsAt = body.startsAt ? new Date(body.startsAt) : null;
  let expiresAt = body.expiresAt ? new Date(body.expiresAt) : null;
  if (startsAt && (startsAt.getTime() < now - 60_000 || startsAt.getTime() > now + MAX_SCHEDULE_MS)) {
    throw new ApiError('invalid_schedule', 'startsAt must be in the next year');
  }
  if (
    expiresAt &&
    (expiresAt.getTime() <= Math.max(now, startsAt?.getTime() ?? 0) ||
      expiresAt.getTime() > now + 2 * MAX_SCHEDULE_MS)
  ) {
    throw new ApiError('invalid_schedule', 'expiresAt must be after startsAt and now, and within two years');
  }
  if (permanent && expiresAt) throw new ApiError('invalid_schedule', 'a permanent room has no expiry');
  if (!permanent && !expiresAt) expiresAt = new Date((startsAt?.getTime() ?? now) + defaultHours * 3600_000);
  return { permanent, startsAt, expiresAt };
}

/** Creation is open to anyone, and permanent rooms outlive any one meeting: their number is capped. */
async function assertRoomForPermanent(meetings: MeetingStore, max: number): Promise<void> {
  if (max > 0 && (await meetings.countPermanent()) >= max) {
    throw new ApiError(
      'permanent_room_limit',
      'this server holds as many permanent rooms as it allows; create a one-off meeting instead',
    );
  }
}

export const meetingRoutes: FastifyPluginAsyncTypebox<MeetingRoutesOptions> = async (app, opts) => {
  const { meetings, creationKeys, lifecycle } = opts;

  app.post(
    '/v1/meetings',
    {
      schema: {
        summary: 'Create a meeting; the server picks its ID',
        description:
          'Step 1 of 2. The client then derives the SRP verifier from the password and the returned ID and registers it with PUT /v1/meetings/{meetingId}/verifier before verifierDeadline. A permanent room beyond CONCLAVE_MAX_PERMANENT_ROOMS is refused with 503 permanent_room_limit.',
        body: CreateMeetingBody,
        response: { 201: MeetingCreated, ...errors, 503: ErrorBody },
      },
    },
    async (request, reply) => {
      if (opts.creation === 'key') {
        const key = bearer(request.headers.authorization);
        if (!key || !(await creationKeys.isValid(key))) {
          throw new ApiError(
            'creation_key_required',
            'creating meetings on this server needs a creation key',
          );
        }
      }
      const planned = schedule(request.body, opts.defaultMeetingHours);
      if (planned.permanent) await assertRoomForPermanent(meetings, opts.maxPermanentRooms);
      const verifierDeadline = new Date(Date.now() + VERIFIER_WINDOW_MS);
      const { id, meeting } = await meetings.create({
        hostSecretHash: sha256(request.body.hostSecret),
        verifierDeadline,
        ...planned,
        idleUntil: lifecycle.idleUntilForNew(planned.permanent),
      });
      await lifecycle.arm(meeting);
      return reply.code(201).send({ meetingId: id, verifierDeadline: verifierDeadline.toISOString() });
    },
  );

  app.put(
    '/v1/meetings/:meetingId/verifier',
    {
      schema: {
        summary: 'Register the SRP salt and verifier (host)',
        params: MeetingParams,
        body: RegisterVerifierBody,
        response: { 204: Type.Null(), ...errors },
      },
    },
    async (request, reply) => {
      const meeting = await requireHost(meetings, request, request.params.meetingId);
      if (meeting.srpVerifier !== null)
        throw new ApiError('verifier_already_set', 'the verifier is already registered');
      if (!opts.srp.acceptsVerifier(BigInt(`0x${request.body.verifier}`)))
        throw new ApiError(
          'invalid_srp_value',
          'the verifier must be greater than 0 and less than the group modulus N',
        );
      if (!(await meetings.setVerifier(meeting.key, request.body.salt, request.body.verifier))) {
        throw new ApiError('verifier_already_set', 'the verifier is already registered');
      }
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/v1/meetings/:meetingId',
    {
      schema: {
        summary: 'Public facts about a meeting',
        params: MeetingParams,
        response: { 200: MeetingInfo, ...errors },
      },
    },
    async (request) =>
      info(request.params.meetingId, await requireMeeting(meetings, request.params.meetingId)),
  );

  app.put(
    '/v1/meetings/:meetingId/lock',
    {
      schema: {
        summary: 'Lock or unlock a meeting (host); people inside are not affected',
        params: MeetingParams,
        body: LockBody,
        response: { 200: MeetingInfo, ...errors },
      },
    },
    async (request) => {
      const meeting = await requireHost(meetings, request, request.params.meetingId);
      const updated = await meetings.setLocked(meeting.key, request.body.locked);
      if (!updated) throw new ApiError('meeting_not_found', 'no such meeting');
      // Secrets handed out while it was open must not all become keys to the locked room.
      if (updated.locked) await opts.rejoins.invalidateRoom(updated.sfuRoomId, updated.mlsGroupId);
      return info(request.params.meetingId, updated);
    },
  );

  app.post(
    '/v1/meetings/:meetingId/end',
    {
      schema: {
        summary: 'End the call for everyone (host); a one-off meeting is deleted',
        params: MeetingParams,
        response: { 204: Type.Null(), ...errors },
      },
    },
    async (request, reply) => {
      await lifecycle.end(await requireHost(meetings, request, request.params.meetingId));
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/v1/meetings/:meetingId/rotate',
    {
      schema: {
        summary: "Rotate a permanent room's link (host): new ID, new password, the old ID dies",
        params: MeetingParams,
        body: RotateBody,
        response: { 201: MeetingCreated, ...errors },
      },
    },
    async (request, reply) => {
      const meeting = await requireHost(meetings, request, request.params.meetingId);
      if (!meeting.permanent) throw new ApiError('not_permanent', 'only permanent rooms can be rotated');
      // No cap check: the new room replaces the old one.
      const verifierDeadline = new Date(Date.now() + VERIFIER_WINDOW_MS);
      const { id, meeting: rotated } = await meetings.create({
        hostSecretHash: sha256(request.body.hostSecret),
        verifierDeadline,
        permanent: true,
        startsAt: meeting.startsAt,
        expiresAt: null,
        idleUntil: lifecycle.idleUntilForNew(true),
      });
      await lifecycle.remove(meeting, 'rotated');
      await lifecycle.arm(rotated);
      return reply.code(201).send({ meetingId: id, verifierDeadline: verifierDeadline.toISOString() });
    },
  );

  app.delete(
    '/v1/meetings/:meetingId',
    {
      schema: {
        summary: 'Delete a meeting (host)',
        params: MeetingParams,
        response: { 204: Type.Null(), ...errors },
      },
    },
    async (request, reply) => {
      await lifecycle.remove(await requireHost(meetings, request, request.params.meetingId), 'deleted');
      return reply.code(204).send(null);
    },
  );
};
