import type { EventBus, JobScheduler, Logger } from '@conclave/runtime';
import type { Lobby } from '../lobby/lobby.ts';
import type { Meeting, MeetingStore } from './meeting-store.ts';

const EXPIRE = 'meeting.expire';
const VERIFIER_DEADLINE = 'meeting.verifier-deadline';
const END_REPEAT = 'meeting.end-repeat';

/**
 * Ends meetings: on the host's request, at their expiry, or when the host never registered a
 * verifier. Ending always tells the SFU and the delivery service (by opaque room and group ID)
 * to close the call. Jobs are re-armed from the database at start-up, so nothing depends on a
 * queue surviving a restart.
 */
export class MeetingLifecycle {
  readonly #meetings: MeetingStore;
  readonly #bus: EventBus;
  readonly #jobs: JobScheduler;
  readonly #log: Logger;
  readonly #lobby: Lobby | undefined;
  readonly #endRepeatMs: number;

  constructor(
    meetings: MeetingStore,
    bus: EventBus,
    jobs: JobScheduler,
    log: Logger,
    options: { lobby?: Lobby; endRepeatMs?: number } = {},
  ) {
    this.#lobby = options.lobby;
    this.#endRepeatMs = options.endRepeatMs ?? 0;
    this.#meetings = meetings;
    this.#bus = bus;
    this.#jobs = jobs;
    this.#log = log;
    jobs.handle(EXPIRE, async ({ meetingId }) => {
      const meeting = meetingId ? await meetings.get(meetingId) : null;
      if (meeting?.expiresAt && meeting.expiresAt.getTime() <= Date.now() + 1000)
        await this.remove(meeting, 'expired');
    });
    jobs.handle(VERIFIER_DEADLINE, async ({ meetingId }) => {
      const meeting = meetingId ? await meetings.get(meetingId) : null;
      if (meeting && meeting.srpVerifier === null) await this.remove(meeting, 'unfinished');
    });
    // Ending is idempotent in the SFU and the DS, so hearing it twice is harmless.
    jobs.handle(END_REPEAT, async ({ room, grp }) => {
      if (room && grp) await bus.publish({ type: 'room.ended', room, grp });
    });
  }

  /** Schedules the jobs a meeting needs (expiry, verifier deadline). */
  async arm(meeting: Pick<Meeting, 'id' | 'expiresAt' | 'verifierDeadline'>): Promise<void> {
    if (meeting.verifierDeadline) {
      await this.#jobs.schedule(VERIFIER_DEADLINE, meeting.id, meeting.verifierDeadline, {
        meetingId: meeting.id,
      });
    }
    if (meeting.expiresAt)
      await this.#jobs.schedule(EXPIRE, meeting.id, meeting.expiresAt, { meetingId: meeting.id });
  }

  /** Ends the call in every service; a one-off meeting is deleted, a permanent room gets new rooms. */
  async end(meeting: Meeting): Promise<void> {
    if (!meeting.permanent) return this.remove(meeting, 'ended');
    await this.#announceEnd(meeting);
    await this.#meetings.renewRooms(meeting.id);
  }

  /** Deletes a meeting and ends its call. */
  async remove(meeting: Meeting, reason: string): Promise<void> {
    await this.#announceEnd(meeting);
    await this.#meetings.delete(meeting.id);
    await Promise.all([
      this.#jobs.cancel(EXPIRE, meeting.id),
      this.#jobs.cancel(VERIFIER_DEADLINE, meeting.id),
    ]);
    this.#log.info({ event: 'meeting_removed', reason }, 'meeting removed');
  }

  /**
   * Tells the SFU and the DS, now and once more a little later: pub/sub delivers only to
   * connected subscribers, and a service reconnecting to Redis at this moment would otherwise
   * keep the call running. The repeat job holds only the opaque room and group IDs and leaves
   * no history. People waiting in the lobby are forgotten with the call.
   */
  async #announceEnd(meeting: Meeting): Promise<void> {
    await this.#lobby?.clear(meeting.id, meeting.mlsGroupId);
    const ended = { room: meeting.sfuRoomId, grp: meeting.mlsGroupId };
    await this.#bus.publish({ type: 'room.ended', ...ended });
    if (this.#endRepeatMs > 0) {
      await this.#jobs.schedule(END_REPEAT, ended.room, new Date(Date.now() + this.#endRepeatMs), ended);
    }
  }

  /** Re-arms every pending job from the database; overdue ones run at once. */
  async reconcile(): Promise<number> {
    const pending = await this.#meetings.withDeadlines();
    for (const meeting of pending) await this.arm(meeting);
    return pending.length;
  }
}
