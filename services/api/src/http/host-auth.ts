import type { FastifyRequest } from 'fastify';
import type { Meeting, MeetingStore } from '../meetings/meeting-store.ts';
import { ApiError } from './api-error.ts';
import { bearer, sameHash, sha256 } from './secrets.ts';

/** Loads a meeting or answers 404. */
export async function requireMeeting(meetings: MeetingStore, meetingId: string): Promise<Meeting> {
  const meeting = await meetings.get(meetingId);
  if (!meeting) throw new ApiError('meeting_not_found', 'no such meeting');
  return meeting;
}

/** Loads a meeting and checks `Authorization: Bearer <host secret>` against its stored hash. */
export async function requireHost(
  meetings: MeetingStore,
  request: FastifyRequest,
  meetingId: string,
): Promise<Meeting> {
  const secret = bearer(request.headers.authorization);
  if (!secret)
    throw new ApiError('unauthorized', 'this action needs the host secret (Authorization: Bearer …)');
  const meeting = await requireMeeting(meetings, meetingId);
  if (!sameHash(sha256(secret), meeting.hostSecretHash))
    throw new ApiError('wrong_host_secret', 'wrong host secret');
  return meeting;
}
