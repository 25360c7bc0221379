/**
 * The SRP join runs while the person is still on the pre-join screen: a wrong password, a
 * locked or ended meeting shows at once, and pressing Join does not wait for the handshake.
 * The join token must be used within 60 s, so an older ticket is replaced at Join time.
 */
import { deriveMeetingSecrets, type MeetingLink, type MeetingSecrets } from '@conclave/e2ee';
import type { JoinGranted } from '@conclave/protocol';
import { requestJoin } from './api.ts';
import { type RateLimitRetryOptions, retryWhenRateLimited } from './rate-limit-retry.ts';
import { visibleRateLimitWait } from './views/common.ts';

const TICKET_MAX_AGE_MS = 40_000;

export interface JoinTicket {
  secrets: MeetingSecrets;
  granted: JoinGranted;
  obtainedAt: number;
}

export async function obtainTicket(
  link: MeetingLink,
  secrets?: MeetingSecrets,
  rejoin?: string,
  /** A 429 on the way in is waited out (by default with a visible countdown), then asked again. */
  rateLimited: RateLimitRetryOptions = visibleRateLimitWait,
): Promise<JoinTicket> {
  const s = secrets ?? (await deriveMeetingSecrets(link.meetingId, link.password));
  const granted = await retryWhenRateLimited(
    () => requestJoin(link.meetingId, s.srpSecret, link.hostSecret, rejoin),
    rateLimited,
  );
  return { secrets: s, granted, obtainedAt: performance.now() };
}

/**
 * The ticket if still fresh, else a new one (the old token may be near its expiry). The new one
 * is asked for with the old ticket's rejoin secret, so a lock set meanwhile (or the lock an
 * admitted knocker came through) does not shut this person out.
 */
export async function freshTicket(link: MeetingLink, ticket: JoinTicket): Promise<JoinTicket> {
  if (performance.now() - ticket.obtainedAt < TICKET_MAX_AGE_MS) return ticket;
  return obtainTicket(link, ticket.secrets, ticket.granted.rejoin);
}
