/** The iCalendar writer: TEXT escaping, line ends and folding at 75 octets (RFC 5545 §3.1, §3.3.11). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import ICAL from 'ical.js';
import { buildCalendar, escapeText, foldLine, formatUtc } from '../src/app/schedule/ics.ts';

const octets = (s: string) => Buffer.byteLength(s, 'utf8');

describe('iCalendar writer', () => {
  it('escapes backslash, semicolon, comma and line breaks in TEXT', () => {
    assert.equal(escapeText('a\\b;c,d\ne\r\nf'), 'a\\\\b\\;c\\,d\\ne\\nf');
    assert.equal(escapeText('bell\u0007 tab\t'), 'bell tab\t', 'control characters other than tab dropped');
  });

  it('writes UTC date-times', () => {
    assert.equal(formatUtc(new Date('2026-12-06T17:05:09.123Z')), '20261206T170509Z');
    assert.throws(() => formatUtc(new Date('nope')), RangeError);
  });

  it('folds at 75 octets without splitting a multi-byte character', () => {
    const line = `SUMMARY:${'é'.repeat(50)}${'🎉'.repeat(30)}`;
    const folded = foldLine(line);
    const parts = folded.split('\r\n');
    assert.ok(parts.length > 2);
    for (const [i, part] of parts.entries()) {
      assert.ok(octets(part) <= 75, `line ${i} has ${octets(part)} octets`);
      if (i > 0) assert.equal(part[0], ' ');
      assert.ok(!part.includes('\uFFFD'));
      // Each physical line is valid UTF-8 on its own: no lone surrogate at the cut.
      assert.equal(Buffer.from(part, 'utf8').toString('utf8'), part);
      assert.doesNotMatch(part, /[\uD800-\uDBFF]$/);
    }
    assert.equal(parts.map((p, i) => (i ? p.slice(1) : p)).join(''), line, 'unfolding gives the line back');
    assert.equal(foldLine('A'.repeat(75)), 'A'.repeat(75), 'exactly 75 octets is not folded');
    assert.equal(foldLine('A'.repeat(76)), `${'A'.repeat(75)}\r\n A`);
  });

  it('writes a calendar with CRLF line ends that a parser reads back', () => {
    const text = buildCalendar(
      [
        {
          uid: 'ABCDEFGHJK@example.org',
          start: new Date('2026-12-07T09:00:00Z'),
          end: new Date('2026-12-07T09:30:00Z'),
          summary: 'Stand-up; team, “Ω”',
          description: `Join: https://example.org/m/ABCDEFGHJK#${'x'.repeat(22)}\nLine two \\ done`,
          url: `https://example.org/m/ABCDEFGHJK#${'x'.repeat(22)}`,
        },
      ],
      new Date('2026-12-06T00:00:00Z'),
    );
    assert.ok(text.endsWith('\r\n'));
    assert.doesNotMatch(text.replace(/\r\n/g, ''), /[\r\n]/, 'no bare CR or LF');
    for (const line of text.split('\r\n')) assert.ok(octets(line) <= 75);
    assert.match(text, /^BEGIN:VCALENDAR\r\nVERSION:2\.0\r\nPRODID:/);
    assert.match(text, /\r\nMETHOD:PUBLISH\r\n/);
    const vcal = new ICAL.Component(ICAL.parse(text));
    const [event] = vcal.getAllSubcomponents('vevent');
    assert.ok(event);
    assert.equal(event.getFirstPropertyValue('summary'), 'Stand-up; team, “Ω”');
    assert.equal(
      event.getFirstPropertyValue('description'),
      `Join: https://example.org/m/ABCDEFGHJK#${'x'.repeat(22)}\nLine two \\ done`,
    );
    assert.equal(event.getFirstPropertyValue('url'), `https://example.org/m/ABCDEFGHJK#${'x'.repeat(22)}`);
    const start = event.getFirstPropertyValue('dtstart') as ICAL.Time;
    assert.equal(start.toJSDate().toISOString(), '2026-12-07T09:00:00.000Z');
  });
});
