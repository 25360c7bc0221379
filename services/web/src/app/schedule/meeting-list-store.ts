/**
 * The host's list of scheduled meetings on this device: one sealed record (meeting-list-codec.ts)
 * in localStorage. Unlocked, the key and the list are held in memory only; locking forgets both.
 */
import {
  type ListKey,
  MeetingListError,
  newListKey,
  openRecord,
  parseRecord,
  type SealedRecord,
  sealRecord,
  unlockRecord,
} from './meeting-list-codec.ts';
import { isPast, mergeMeetings, type ScheduledMeeting, sortByStart } from './scheduled-meeting.ts';

export const STORAGE_KEY = 'conclave:meeting-list';

export type ListState = 'none' | 'locked' | 'unlocked';

function readStored(): string | null {
  try {
    return localStorage.getItem(STORAGE_KEY);
  } catch {
    return null;
  }
}

function writeStored(text: string): void {
  try {
    localStorage.setItem(STORAGE_KEY, text);
  } catch {
    throw new MeetingListError(
      'storage_refused',
      'This browser refused to store the list (storage full or disabled).',
    );
  }
}

/** A file opened with its passphrase, waiting to be merged. */
export interface OpenedImport {
  record: SealedRecord;
  key: ListKey;
  meetings: ScheduledMeeting[];
}

export class MeetingListStore {
  #key: ListKey | undefined;
  #meetings: ScheduledMeeting[] = [];

  get state(): ListState {
    if (this.#key) return 'unlocked';
    return readStored() === null ? 'none' : 'locked';
  }

  get meetings(): readonly ScheduledMeeting[] {
    return this.#meetings;
  }

  async create(passphrase: string, meetings: readonly ScheduledMeeting[] = []): Promise<void> {
    const key = await newListKey(passphrase);
    await this.#save(key, sortByStart([...meetings]));
  }

  async unlock(passphrase: string): Promise<void> {
    const stored = readStored();
    if (stored === null) throw new MeetingListError('no_list', 'There is no list on this device.');
    const record = parseRecord(stored);
    const key = await unlockRecord(record, passphrase);
    this.#meetings = await openRecord(record, key);
    this.#key = key;
  }

  lock(): void {
    this.#key = undefined;
    this.#meetings = [];
  }

  async add(meetings: readonly ScheduledMeeting[]): Promise<number> {
    const key = this.#unlocked();
    const merged = mergeMeetings(this.#meetings, meetings);
    await this.#save(key, merged.list);
    return merged.added;
  }

  async removePast(now = Date.now()): Promise<number> {
    const key = this.#unlocked();
    const kept = this.#meetings.filter((m) => !isPast(m, now));
    const removed = this.#meetings.length - kept.length;
    await this.#save(key, kept);
    return removed;
  }

  async remove(meetingId: string): Promise<void> {
    await this.#save(
      this.#unlocked(),
      this.#meetings.filter((m) => m.meetingId !== meetingId),
    );
  }

  /** Deletes the stored list; nothing of it is left in this browser. */
  deleteAll(): void {
    this.lock();
    try {
      localStorage.removeItem(STORAGE_KEY);
    } catch {}
  }

  /** The stored record, exactly: a file in the same format. */
  exportText(): string | null {
    return readStored();
  }

  /** Opens a file with its own passphrase; nothing is stored yet. */
  async openImport(text: string, passphrase: string): Promise<OpenedImport> {
    const record = parseRecord(text);
    const key = await unlockRecord(record, passphrase);
    return { record, key, meetings: await openRecord(record, key) };
  }

  /**
   * Stores an opened file. With no list here it becomes the list, under the file's passphrase;
   * with an unlocked list its meetings are merged in by meeting ID.
   */
  async acceptImport(opened: OpenedImport): Promise<number> {
    if (this.state === 'none') {
      await this.#save(opened.key, sortByStart([...opened.meetings]));
      return opened.meetings.length;
    }
    return this.add(opened.meetings);
  }

  #unlocked(): ListKey {
    if (!this.#key) throw new MeetingListError('locked', 'Unlock the list first.');
    return this.#key;
  }

  async #save(key: ListKey, meetings: ScheduledMeeting[]): Promise<void> {
    writeStored(await sealRecord(meetings, key));
    this.#key = key;
    this.#meetings = meetings;
  }
}
