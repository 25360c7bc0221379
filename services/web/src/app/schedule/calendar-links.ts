/**
 * "Add to calendar" addresses for web calendars. Opening one hands the event, its description
 * and the participant link (with its password) to that calendar's company: the page says so.
 */
import { formatUtc } from './ics.ts';

export interface CalendarEntry {
  title: string;
  start: Date;
  end: Date;
  details: string;
  link: string;
}

export function googleCalendarUrl(e: CalendarEntry): string {
  const q = new URLSearchParams({
    action: 'TEMPLATE',
    text: e.title,
    dates: `${formatUtc(e.start)}/${formatUtc(e.end)}`,
    details: e.details,
    location: e.link,
  });
  return `https://calendar.google.com/calendar/render?${q}`;
}

function outlookCompose(host: string, e: CalendarEntry): string {
  const q = new URLSearchParams({
    path: '/calendar/action/compose',
    rru: 'addevent',
    subject: e.title,
    startdt: e.start.toISOString(),
    enddt: e.end.toISOString(),
    body: e.details,
    location: e.link,
  });
  return `https://${host}/calendar/0/deeplink/compose?${q}`;
}

export const outlookComUrl = (e: CalendarEntry) => outlookCompose('outlook.live.com', e);
export const office365Url = (e: CalendarEntry) => outlookCompose('outlook.office.com', e);
