/**
 * A minimal iCalendar (RFC 5545) writer for published events: TEXT escaping (§3.3.11), UTC
 * date-times (§3.3.5), content lines ended by CRLF and folded at 75 octets (§3.1) without
 * splitting a UTF-8 sequence.
 */

export interface CalendarEvent {
  uid: string;
  start: Date;
  end: Date;
  summary: string;
  description: string;
  url: string;
}

const CRLF = '\r\n';
const MAX_OCTETS = 75;

/** TEXT value: backslash, semicolon, comma and line breaks escaped; other control characters dropped. */
export function escapeText(value: string): string {
  const escaped = value
    .replace(/\\/g, '\\\\')
    .replace(/;/g, '\\;')
    .replace(/,/g, '\\,')
    .replace(/\r\n|\r|\n/g, '\\n');
  return [...escaped].filter((c) => c === '\t' || (c >= ' ' && c !== '\u007f')).join('');
}

/** `YYYYMMDDTHHMMSSZ`: the UTC form, so no VTIMEZONE is needed. */
export function formatUtc(date: Date): string {
  if (Number.isNaN(date.getTime())) throw new RangeError('invalid date');
  return date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

const encoder = new TextEncoder();

/** One content line, folded: each physical line at most 75 octets, continuations begin with a space. */
export function foldLine(line: string): string {
  const out: string[] = [];
  let current = '';
  let octets = 0;
  for (const char of line) {
    const size = encoder.encode(char).length;
    if (octets + size > MAX_OCTETS) {
      out.push(current);
      current = ' ';
      octets = 1;
    }
    current += char;
    octets += size;
  }
  out.push(current);
  return out.join(CRLF);
}

/**
 * One VEVENT per meeting. A series is not written as one event with an RRULE: every occurrence is
 * its own meeting with its own link, and a recurrence carries one URL and description for all of
 * its instances (per-instance overrides would repeat every field anyway).
 */
export function buildCalendar(events: readonly CalendarEvent[], stamp = new Date()): string {
  const lines = [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//Conclave//Meeting scheduler//EN',
    'CALSCALE:GREGORIAN',
    'METHOD:PUBLISH',
  ];
  for (const event of events) {
    lines.push(
      'BEGIN:VEVENT',
      `UID:${escapeText(event.uid)}`,
      `DTSTAMP:${formatUtc(stamp)}`,
      `DTSTART:${formatUtc(event.start)}`,
      `DTEND:${formatUtc(event.end)}`,
      `SUMMARY:${escapeText(event.summary)}`,
      `DESCRIPTION:${escapeText(event.description)}`,
      // A URI value is not TEXT: it is written as is (the links hold no commas or line breaks).
      `URL:${event.url.replace(/[\r\n]/g, '')}`,
      'END:VEVENT',
    );
  }
  lines.push('END:VCALENDAR');
  return lines.map(foldLine).join(CRLF) + CRLF;
}
