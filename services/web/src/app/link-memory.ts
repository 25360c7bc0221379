/**
 * The meeting link's fragment (password, host secret) leaves the address bar as soon as it is
 * read: `history.replaceState` puts `/m/<id>` in its place, so it stays out of the visible
 * address, the history list, bookmarks and screen shares. The secrets stay in memory, and in this
 * tab's sessionStorage so that a reload of the same tab rejoins; sessionStorage belongs to the
 * tab and is gone when it closes. Another tab, or the bare `/m/<id>` address, needs the link again.
 */
import { formatMeetingLink, type MeetingLink, parseMeetingLink } from '@conclave/e2ee';

const storageKey = (meetingId: string) => `conclave:link:${meetingId}`;

/** The link this page was opened with; throws the link's typed error when there is none. */
export function takeMeetingLink(): MeetingLink {
  if (location.hash.length > 1) {
    const link = parseMeetingLink(location.href);
    remember(link);
    history.replaceState(history.state, '', `${location.pathname}${location.search}`);
    return link;
  }
  const stored = readStored(location.pathname);
  if (stored) return parseMeetingLink(`${location.origin}${location.pathname}#${stored}`);
  // No fragment and nothing kept for this tab: the parser names what is missing.
  return parseMeetingLink(location.href);
}

/** The participant link to share: never the host secret. */
export function inviteLink(link: MeetingLink): string {
  return formatMeetingLink({ origin: location.origin, meetingId: link.meetingId, password: link.password });
}

/** The meeting is over for this tab (ended, removed, link rotated): nothing to rejoin with. */
export function forgetMeetingLink(link: MeetingLink): void {
  try {
    sessionStorage.removeItem(storageKey(link.meetingId));
  } catch {}
}

function remember(link: MeetingLink): void {
  const fragment = link.hostSecret ? `${link.password}.${link.hostSecret}` : link.password;
  try {
    sessionStorage.setItem(storageKey(link.meetingId), fragment);
  } catch {
    // Storage refused (private mode quotas): a reload then asks for the link again.
  }
}

function readStored(pathname: string): string | null {
  const id = pathname.split('/')[2] ?? '';
  try {
    return id ? sessionStorage.getItem(storageKey(id.toUpperCase())) : null;
  } catch {
    return null;
  }
}
