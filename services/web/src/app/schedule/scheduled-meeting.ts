/** One scheduled meeting as the host's list keeps it, and the checks a decrypted or imported list must pass. */

export interface ScheduledMeeting {
  meetingId: string;
  title: string;
  /** ISO dates: the scheduled start and end, and when the server deletes the meeting. */
  start: string;
  end: string;
  expiresAt: string;
  /** The participant link (password in the fragment) and the host link. */
  link: string;
  hostLink: string;
  /** Occurrences of one series share this; 1-based position and size of the series. */
  series: string;
  index: number;
  total: number;
}

const isDate = (v: unknown) => typeof v === 'string' && !Number.isNaN(Date.parse(v));
const isText = (v: unknown, max: number) => typeof v === 'string' && v.length <= max;
const isCount = (v: unknown) => Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 1000;

export function isScheduledMeeting(v: unknown): v is ScheduledMeeting {
  if (typeof v !== 'object' || v === null) return false;
  const m = v as Record<string, unknown>;
  return (
    typeof m['meetingId'] === 'string' &&
    /^[0-9A-Z]{10}$/.test(m['meetingId']) &&
    isText(m['title'], 500) &&
    isDate(m['start']) &&
    isDate(m['end']) &&
    isDate(m['expiresAt']) &&
    isText(m['link'], 2000) &&
    isText(m['hostLink'], 2000) &&
    isText(m['series'], 100) &&
    isCount(m['index']) &&
    isCount(m['total'])
  );
}

/** Adds the imported meetings this list does not have (by meeting ID); the ones it has are kept as they are. */
export function mergeMeetings(
  mine: readonly ScheduledMeeting[],
  theirs: readonly ScheduledMeeting[],
): { list: ScheduledMeeting[]; added: number } {
  const known = new Set(mine.map((m) => m.meetingId));
  const added = theirs.filter((m) => !known.has(m.meetingId));
  return { list: sortByStart([...mine, ...added]), added: added.length };
}

export const sortByStart = (list: ScheduledMeeting[]) =>
  list.sort((a, b) => Date.parse(a.start) - Date.parse(b.start));

/** Meetings whose scheduled end is behind us. */
export const isPast = (m: ScheduledMeeting, now = Date.now()) => Date.parse(m.end) < now;
