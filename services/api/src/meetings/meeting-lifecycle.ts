import type { EventBus, JobScheduler, Logger } from '@conclave/runtime';
import type { Lobby } from '../lobby/lobby.ts';
import type { Meeting, MeetingStore } from './meeting-store.ts';
import { RoomIdleness } from './room-idleness.ts';

const EXPIRE = 'meeting.expire';
const VERIFIER_DEADLINE = 'meeting.verifier-deadline';
const END_REPEAT = 'meeting.end-repeat';
const IDLE_CHECK = 'meeting.idle-sweep';
/** Idle rooms are loaded and removed this many at a time. */
const IDLE_BATCH = 500;

/**
 * Ends meetings: on the host's request, at their expiry, when the host never registered a
 * verifier, or when a permanent room has gone unused for CONCLAVE_PERMANENT_ROOM_IDLE_DAYS.
 * Ending always tells the SFU and the delivery service (by opaque room and group ID) to close
 * the call. Jobs are re-armed from the database at start-up, so nothing depends on a queue
 * surviving a restart.
 */
export class MeetingLifecycle {
  readonly #meetings: MeetingStore;
  readonly #bus: EventBus;
  readonly #jobs: JobScheduler;
  readonly #log: Logger;
  readonly #lobby: Lobby | undefined;
  readonly #endRepeatMs: number;
  readonly #idleness: RoomIdleness;

  constructor(
    meetings: MeetingStore,
    bus: EventBus,
    jobs: JobScheduler,
    log: Logger,
    options: { lobby?: Lobby; endRepeatMs?: number; idleness?: RoomIdleness } = {},
  ) {
    this.#lobby = options.lobby;
    this.#endRepeatMs = options.endRepeatMs ?? 0;
    this.#idleness = options.idleness ?? new RoomIdleness(0);
    this.#meetings = meetings;
    this.#bus = bus;
    this.#jobs = jobs;
    this.#log = log;
    // Jobs name a meeting by its storage key, never by its ID.
    jobs.handle(EXPIRE, async ({ meeting: key }) => {
      const meeting = key ? await meetings.byKey(key) : null;
      if (meeting?.expiresAt && meeting.expiresAt.getTime() <= Date.now() + 1000)
        await this.remove(meeting, 'expired');
    });
    jobs.handle(VERIFIER_DEADLINE, async ({ meeting: key }) => {
      const meeting = key ? await meetings.byKey(key) : null;
      if (meeting && meeting.srpVerifier === null) await this.remove(meeting, 'unfinished');
    });
    // Ending is idempotent in the SFU and the DS, so hearing it twice is harmless.
    jobs.handle(END_REPEAT, async ({ room, grp }) => {
      if (room && grp) await bus.publish({ type: 'room.ended', room, grp });
    });
    // One job a day for all rooms, rather than one per room: a join then only writes the row,
    // and neither the queue nor its job records ever learn when someone joined.
    jobs.handle(IDLE_CHECK, async () => {
      if (!this.#idleness.enabled) return;
      await this.removeIdleRooms();
      await this.#armIdleCheck();
    });
  }

  /** The idle date a new meeting starts with: only permanent rooms have one. */
  idleUntilForNew(permanent: boolean): Date | null {
    return permanent ? this.#idleness.until() : null;
  }

  /** A join token was handed out: a permanent room's idle date moves forward (a write at most every other day). */
  async markUsed(meeting: Meeting): Promise<void> {
    const until = this.#idleness.until();
    if (!meeting.permanent || until === null) return;
    await this.#meetings.extendIdle(meeting.key, until, this.#idleness.rewriteBefore());
  }

  /** Deletes the permanent rooms that went unused for IDLE_DAYS; returns how many. */
  async removeIdleRooms(): Promise<number> {
    if (!this.#idleness.enabled) return 0;
    const before = this.#idleness.idleBefore();
    let removed = 0;
    for (;;) {
      const batch = await this.#meetings.idleSince(before, IDLE_BATCH);
      for (const meeting of batch) await this.remove(meeting, 'idle');
      removed += batch.length;
      if (batch.length < IDLE_BATCH) return removed;
    }
  }

  /** The next daily check; named by its day, so every API instance arms the same single job. */
  async #armIdleCheck(): Promise<void> {
    const at = this.#idleness.nextCheck();
    await this.#jobs.schedule(IDLE_CHECK, at.toISOString().slice(0, 10), at, {});
  }

  /** Schedules the jobs a meeting needs (expiry, verifier deadline). */
  async arm(meeting: Pick<Meeting, 'key' | 'expiresAt' | 'verifierDeadline'>): Promise<void> {
    if (meeting.verifierDeadline) {
      await this.#jobs.schedule(VERIFIER_DEADLINE, meeting.key, meeting.verifierDeadline, {
        meeting: meeting.key,
      });
    }
    if (meeting.expiresAt)
      await this.#jobs.schedule(EXPIRE, meeting.key, meeting.expiresAt, { meeting: meeting.key });
  }

  /** Ends the call in every service; a one-off meeting is deleted, a permanent room gets new rooms. */
  async end(meeting: Meeting): Promise<void> {
    if (!meeting.permanent) return this.remove(meeting, 'ended');
    await this.#announceEnd(meeting);
    await this.#meetings.renewRooms(meeting.key);
  }

  /** Deletes a meeting and ends its call. */
  async remove(meeting: Meeting, reason: string): Promise<void> {
    await this.#announceEnd(meeting);
    await this.#meetings.delete(meeting.key);
    await Promise.all([
      this.#jobs.cancel(EXPIRE, meeting.key),
      this.#jobs.cancel(VERIFIER_DEADLINE, meeting.key),
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
    await this.#lobby?.clear(meeting.key, meeting.mlsGroupId);
    const ended = { room: meeting.sfuRoomId, grp: meeting.mlsGroupId };
    await this.#bus.publish({ type: 'room.ended', ...ended });
    if (this.#endRepeatMs > 0) {
      await this.#jobs.schedule(END_REPEAT, ended.room, new Date(Date.now() + this.#endRepeatMs), ended);
    }
  }

  /**
   * Re-arms every pending job from the database; overdue ones run at once. Idle dates follow the
   * current setting (a new or lowered IDLE_DAYS, or 0, which forgets them), rooms already idle
   * for that long go now, and the daily check is armed.
   */
  async reconcile(): Promise<number> {
    await this.#meetings.alignIdleDates(this.#idleness.until());
    if (this.#idleness.enabled) {
      await this.removeIdleRooms();
      await this.#armIdleCheck();
    }
    const pending = await this.#meetings.withDeadlines();
    for (const meeting of pending) await this.arm(meeting);
    return pending.length;
  }
}
