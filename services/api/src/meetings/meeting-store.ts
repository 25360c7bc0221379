import type { PrismaClient } from '../generated/prisma/client.ts';
import { newMeetingId } from './meeting-id.ts';
import { type MeetingNames, STORAGE_NAME_LENGTH } from './meeting-names.ts';

/**
 * A meeting as the API sees it. There is deliberately nothing about participants, and no
 * meeting ID: requests carry that, the row holds only its keyed hash (meeting-names.ts).
 */
export interface Meeting {
  /** The row's name, a keyed hash of the meeting ID; what jobs, the lobby and updates use. */
  key: string;
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
  /** Derived from the key and a generation that ending a permanent room's call moves on. */
  sfuRoomId: string;
  mlsGroupId: string;
}

/** A row as stored: named by `id`, the room and group IDs not yet derived. */
type Row = Omit<Meeting, 'key' | 'sfuRoomId' | 'mlsGroupId'> & { id: string; roomGeneration: number };

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

/** Meetings in PostgreSQL (server or embedded) through Prisma, named by keyed hashes. */
export class MeetingStore {
  readonly #prisma: PrismaClient;
  readonly #names: MeetingNames;

  constructor(prisma: PrismaClient, names: MeetingNames) {
    this.#prisma = prisma;
    this.#names = names;
  }

  /** Creates a meeting under a fresh, collision-checked ID; the ID is returned, never stored. */
  async create(meeting: NewMeeting): Promise<{ id: string; meeting: Meeting }> {
    for (let attempt = 0; ; attempt++) {
      const id = newMeetingId();
      try {
        const row = await this.#prisma.meeting.create({
          data: { id: this.#names.storageName(id), ...meeting },
        });
        return { id, meeting: this.#view(row) };
      } catch (error) {
        if (!isUniqueViolation(error) || attempt + 1 >= MAX_ID_ATTEMPTS) throw error;
      }
    }
  }

  /** The meeting a request names by its ID. */
  get(meetingId: string): Promise<Meeting | null> {
    return this.byKey(this.#names.storageName(meetingId));
  }

  /** The meeting stored under `key` (a job or a sweep, which never learn meeting IDs). */
  async byKey(key: string): Promise<Meeting | null> {
    const row = await this.#prisma.meeting.findUnique({ where: { id: key } });
    return row ? this.#view(row) : null;
  }

  /** Sets the SRP salt and verifier once; false if they were already set or the meeting is gone. */
  async setVerifier(key: string, salt: string, verifier: string): Promise<boolean> {
    const { count } = await this.#prisma.meeting.updateMany({
      where: { id: key, srpVerifier: null },
      data: { srpSalt: salt, srpVerifier: verifier, verifierDeadline: null },
    });
    return count === 1;
  }

  async setLocked(key: string, locked: boolean): Promise<Meeting | null> {
    const { count } = await this.#prisma.meeting.updateMany({ where: { id: key }, data: { locked } });
    return count === 1 ? this.byKey(key) : null;
  }

  /** New room and group IDs (the next generation): old join tokens then point at rooms that no longer exist. */
  async renewRooms(key: string): Promise<void> {
    await this.#prisma.meeting.updateMany({
      where: { id: key },
      data: { roomGeneration: { increment: 1 } },
    });
  }

  async delete(key: string): Promise<boolean> {
    const { count } = await this.#prisma.meeting.deleteMany({ where: { id: key } });
    return count === 1;
  }

  /**
   * Moves a permanent room's idle date to `until` if it is unset or before `ifBefore`; a
   * conditional update, so concurrent joins need no read first and most joins write nothing.
   */
  async extendIdle(key: string, until: Date, ifBefore: Date): Promise<void> {
    await this.#prisma.meeting.updateMany({
      where: { id: key, permanent: true, OR: [{ idleUntil: null }, { idleUntil: { lt: ifBefore } }] },
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
  async idleSince(day: Date, limit: number): Promise<Meeting[]> {
    const rows = await this.#prisma.meeting.findMany({
      where: { permanent: true, idleUntil: { lt: day } },
      take: limit,
    });
    return rows.map((row) => this.#view(row));
  }

  countPermanent(): Promise<number> {
    return this.#prisma.meeting.count({ where: { permanent: true } });
  }

  /** Meetings that will end on their own, for re-arming their jobs after a restart. */
  async withDeadlines(): Promise<Pick<Meeting, 'key' | 'expiresAt' | 'verifierDeadline'>[]> {
    const rows = await this.#prisma.meeting.findMany({
      where: { OR: [{ expiresAt: { not: null } }, { verifierDeadline: { not: null } }] },
      select: { id: true, expiresAt: true, verifierDeadline: true },
    });
    return rows.map(({ id, ...rest }) => ({ key: id, ...rest }));
  }

  count(): Promise<number> {
    return this.#prisma.meeting.count();
  }

  /**
   * Renames rows stored by an earlier release under their meeting ID in the clear (10
   * characters) to its keyed hash; returns how many. Their calls get new room and group IDs,
   * so a call running across the upgrade starts again; links keep working. Idempotent.
   */
  async renameClearRows(): Promise<number> {
    // Only rows of earlier releases have a name of another length: nothing else is read.
    const rows = await this.#prisma.$queryRaw<
      { id: string }[]
    >`SELECT id FROM meetings WHERE char_length(id) <> ${STORAGE_NAME_LENGTH}`;
    for (const { id } of rows) {
      await this.#prisma.meeting.updateMany({ where: { id }, data: { id: this.#names.storageName(id) } });
    }
    return rows.length;
  }

  #view({ id, roomGeneration, ...row }: Row): Meeting {
    return {
      key: id,
      ...row,
      sfuRoomId: this.#names.sfuRoomId(id, roomGeneration),
      mlsGroupId: this.#names.mlsGroupId(id, roomGeneration),
    };
  }
}
