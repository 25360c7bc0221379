import type { PrismaClient } from '../generated/prisma/client.ts';
import { randomId } from '../http/secrets.ts';
import { newMeetingId } from './meeting-id.ts';

/** A meeting as the API sees it. There is deliberately nothing about participants. */
export interface Meeting {
  id: string;
  srpSalt: string | null;
  srpVerifier: string | null;
  verifierDeadline: Date | null;
  hostSecretHash: Uint8Array<ArrayBuffer>;
  locked: boolean;
  permanent: boolean;
  startsAt: Date | null;
  expiresAt: Date | null;
  /** Permanent rooms: the day after which an unused room is deleted (see room-idleness.ts). */
  idleUntil: Date | null;
  sfuRoomId: string;
  mlsGroupId: string;
}

export interface NewMeeting {
  hostSecretHash: Uint8Array<ArrayBuffer>;
  verifierDeadline: Date;
  permanent: boolean;
  startsAt: Date | null;
  expiresAt: Date | null;
  idleUntil: Date | null;
}

const MAX_ID_ATTEMPTS = 8;

function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: string })?.code === 'P2002';
}

/** Meetings in PostgreSQL (server or embedded) through Prisma. */
export class MeetingStore {
  readonly #prisma: PrismaClient;

  constructor(prisma: PrismaClient) {
    this.#prisma = prisma;
  }

  /** Creates a meeting with a fresh, collision-checked ID and fresh opaque room/group IDs. */
  async create(meeting: NewMeeting): Promise<Meeting> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.#prisma.meeting.create({
          data: { id: newMeetingId(), sfuRoomId: randomId(), mlsGroupId: randomId(), ...meeting },
        });
      } catch (error) {
        if (!isUniqueViolation(error) || attempt + 1 >= MAX_ID_ATTEMPTS) throw error;
      }
    }
  }

  get(id: string): Promise<Meeting | null> {
    return this.#prisma.meeting.findUnique({ where: { id } });
  }

  /** Sets the SRP salt and verifier once; false if they were already set or the meeting is gone. */
  async setVerifier(id: string, salt: string, verifier: string): Promise<boolean> {
    const { count } = await this.#prisma.meeting.updateMany({
      where: { id, srpVerifier: null },
      data: { srpSalt: salt, srpVerifier: verifier, verifierDeadline: null },
    });
    return count === 1;
  }

  async setLocked(id: string, locked: boolean): Promise<Meeting | null> {
    const { count } = await this.#prisma.meeting.updateMany({ where: { id }, data: { locked } });
    return count === 1 ? this.get(id) : null;
  }

  /** New opaque room and group IDs: old join tokens then point at rooms that no longer exist. */
  async renewRooms(id: string): Promise<void> {
    await this.#prisma.meeting.updateMany({
      where: { id },
      data: { sfuRoomId: randomId(), mlsGroupId: randomId() },
    });
  }

  async delete(id: string): Promise<boolean> {
    const { count } = await this.#prisma.meeting.deleteMany({ where: { id } });
    return count === 1;
  }

  /**
   * Moves a permanent room's idle date to `until` if it is unset or before `ifBefore`; a
   * conditional update, so concurrent joins need no read first and most joins write nothing.
   */
  async extendIdle(id: string, until: Date, ifBefore: Date): Promise<void> {
    await this.#prisma.meeting.updateMany({
      where: { id, permanent: true, OR: [{ idleUntil: null }, { idleUntil: { lt: ifBefore } }] },
      data: { idleUntil: until },
    });
  }

  /**
   * Brings every idle date in line with the current setting: null forgets them all; a date gives
   * it to permanent rooms that have none and caps those that are later.
   */
  async alignIdleDates(until: Date | null): Promise<void> {
    if (until === null) {
      await this.#prisma.meeting.updateMany({
        where: { idleUntil: { not: null } },
        data: { idleUntil: null },
      });
      return;
    }
    await this.#prisma.meeting.updateMany({
      where: { permanent: true, OR: [{ idleUntil: null }, { idleUntil: { gt: until } }] },
      data: { idleUntil: until },
    });
  }

  /** Permanent rooms whose idle date is before `day`, a batch at a time. */
  idleSince(day: Date, limit: number): Promise<Meeting[]> {
    return this.#prisma.meeting.findMany({
      where: { permanent: true, idleUntil: { lt: day } },
      take: limit,
    });
  }

  countPermanent(): Promise<number> {
    return this.#prisma.meeting.count({ where: { permanent: true } });
  }

  /** Meetings that will end on their own, for re-arming their jobs after a restart. */
  withDeadlines(): Promise<Pick<Meeting, 'id' | 'expiresAt' | 'verifierDeadline'>[]> {
    return this.#prisma.meeting.findMany({
      where: { OR: [{ expiresAt: { not: null } }, { verifierDeadline: { not: null } }] },
      select: { id: true, expiresAt: true, verifierDeadline: true },
    });
  }

  count(): Promise<number> {
    return this.#prisma.meeting.count();
  }
}
