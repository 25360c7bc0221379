/**
 * Creates every occurrence of a schedule as its own meeting, one after the other: a new meeting
 * ID, password and host secret each time, made in this browser as for any meeting. The server
 * learns each one's start and expiry, nothing else (not the title, not that they form a series).
 */
import { bytesToBase64url, formatMeetingLink, randomBytes } from '@conclave/e2ee';
import { createMeeting } from '../api.ts';
import { retryWhenRateLimited } from '../rate-limit-retry.ts';
import type { Occurrence } from './occurrences.ts';
import type { ScheduledMeeting } from './scheduled-meeting.ts';

/**
 * The server deletes a meeting at its expiry, whether or not a call is still running: this long
 * after the scheduled end, so that a meeting that runs over is not cut off.
 */
export const EXPIRY_GRACE_MINUTES = 120;

export interface SeriesOutcome {
  created: ScheduledMeeting[];
  /** The first occurrence that could not be created; the ones after it were not tried. */
  failed?: { index: number; error: unknown };
}

export interface SeriesHooks {
  onCreated?: (done: number, total: number) => void;
  /** A 429: the creation waits this long, then goes on. */
  onWait?: (waitMs: number) => void;
  onRetry?: () => void;
}

export async function createSeries(
  title: string,
  dates: readonly Occurrence[],
  origin: string,
  hooks: SeriesHooks = {},
): Promise<SeriesOutcome> {
  const series = bytesToBase64url(randomBytes(9));
  const created: ScheduledMeeting[] = [];
  for (const [i, date] of dates.entries()) {
    const expiresAt = new Date(date.end.getTime() + EXPIRY_GRACE_MINUTES * 60_000).toISOString();
    // A start that is already here is not sent: the server refuses a start in the past.
    const startsAt = date.start.getTime() > Date.now() ? date.start.toISOString() : undefined;
    try {
      const m = await retryWhenRateLimited(
        () => createMeeting({ expiresAt, ...(startsAt ? { startsAt } : {}) }),
        { onWait: hooks.onWait ?? (() => {}), ...(hooks.onRetry ? { onRetry: hooks.onRetry } : {}) },
      );
      created.push({
        meetingId: m.meetingId,
        title,
        start: date.start.toISOString(),
        end: date.end.toISOString(),
        expiresAt,
        link: formatMeetingLink({ origin, meetingId: m.meetingId, password: m.password }),
        hostLink: formatMeetingLink({ origin, ...m }),
        series,
        index: i + 1,
        total: dates.length,
      });
      hooks.onCreated?.(created.length, dates.length);
    } catch (error) {
      return { created, failed: { index: i + 1, error } };
    }
  }
  return { created };
}
