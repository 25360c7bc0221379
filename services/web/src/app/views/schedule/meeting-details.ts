/** One scheduled meeting on screen: its times, its two links and its calendar links. */
import { h } from '../../dom.ts';
import { googleCalendarUrl, office365Url, outlookComUrl } from '../../schedule/calendar-links.ts';
import { buildCalendar, type CalendarEvent } from '../../schedule/ics.ts';
import type { ScheduledMeeting } from '../../schedule/scheduled-meeting.ts';
import { copyField } from '../common.ts';
import { downloadBlob } from '../../download.ts';

const when = new Intl.DateTimeFormat(undefined, { dateStyle: 'full', timeStyle: 'short' });
const until = new Intl.DateTimeFormat(undefined, {
  hour: 'numeric',
  minute: '2-digit',
  timeZoneName: 'short',
});

export const timeRange = (m: ScheduledMeeting) =>
  `${when.format(new Date(m.start))} – ${until.format(new Date(m.end))}`;

export const formatStart = (d: Date) => when.format(d);

const seriesPart = (m: ScheduledMeeting) => (m.total > 1 ? ` (${m.index} of ${m.total})` : '');

/** What a calendar keeps: the participant link only, never the host link. */
export function calendarEvent(m: ScheduledMeeting): CalendarEvent {
  return {
    uid: `${m.meetingId}@${new URL(m.link).host}`,
    start: new Date(m.start),
    end: new Date(m.end),
    summary: `${m.title}${seriesPart(m)}`,
    description:
      `Conclave meeting, end-to-end encrypted.\nJoin: ${m.link}\n` +
      'The link holds the meeting password: share it only with the people invited.',
    url: m.link,
  };
}

export function downloadCalendar(meetings: readonly ScheduledMeeting[], name: string): void {
  downloadBlob(
    new Blob([buildCalendar(meetings.map(calendarEvent))], { type: 'text/calendar' }),
    `${name}.ics`,
  );
}

const safeName = (title: string) => title.replace(/[^\p{L}\p{N}]+/gu, '-').replace(/^-|-$/g, '') || 'meeting';

/** `idPrefix` keeps the copy fields' IDs unique on a page that shows several lists. */
export function meetingDetails(m: ScheduledMeeting, idPrefix: string, extra?: HTMLElement): HTMLElement {
  const entry = {
    title: `${m.title}${seriesPart(m)}`,
    start: new Date(m.start),
    end: new Date(m.end),
    details: calendarEvent(m).description,
    link: m.link,
  };
  const external = (label: string, href: string, service: string) =>
    h(
      'a',
      { class: 'button small', href, target: '_blank', rel: 'noopener noreferrer', 'data-calendar': service },
      label,
    );
  return h(
    'li',
    { class: 'scheduled-meeting', 'data-meeting-id': m.meetingId },
    h('h3', null, `${m.title}${seriesPart(m)}`),
    h('p', { class: 'muted' }, timeRange(m)),
    copyField('Participant link', m.link, `${idPrefix}-link-${m.meetingId}`),
    copyField('Host link', m.hostLink, `${idPrefix}-host-${m.meetingId}`),
    h(
      'div',
      { class: 'row wrap calendar-links' },
      external('Google Calendar', googleCalendarUrl(entry), 'google'),
      external('Outlook.com', outlookComUrl(entry), 'outlook'),
      external('Office 365', office365Url(entry), 'office365'),
      h(
        'button',
        {
          type: 'button',
          class: 'button small',
          'aria-label': `Download the calendar file for ${entry.title}`,
          onclick: () => downloadCalendar([m], safeName(m.title)),
        },
        '.ics (Apple, others)',
      ),
    ),
    extra ?? null,
  );
}

export const CALENDAR_PRIVACY_NOTE =
  'Google Calendar, Outlook.com and Office 365 receive the title, the times and the participant link, password included, when you open those buttons. ' +
  'The .ics file is made in this browser and goes only where you take it.';

export { safeName };
