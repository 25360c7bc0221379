/** The dates of a series: daily, weekdays and weekly, in local time, with the input checks. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { occurrences, ScheduleInputError } from '../src/app/schedule/occurrences.ts';

describe('series dates', () => {
  const friday = new Date(2026, 11, 4, 9, 30); // Friday 4 December 2026, 09:30 local

  it('one meeting when it does not repeat', () => {
    const [only, ...rest] = occurrences({ start: friday, durationMinutes: 45, repeat: 'none', count: 9 });
    assert.equal(rest.length, 0);
    assert.equal(only!.end.getTime() - only!.start.getTime(), 45 * 60_000);
  });

  it('daily, weekdays and weekly keep the local time of day', () => {
    const days = (repeat: 'daily' | 'weekdays' | 'weekly') =>
      occurrences({ start: friday, durationMinutes: 30, repeat, count: 4 }).map((o) => {
        assert.equal(o.start.getHours(), 9);
        assert.equal(o.start.getMinutes(), 30);
        return o.start.getDate();
      });
    assert.deepEqual(days('daily'), [4, 5, 6, 7]);
    assert.deepEqual(days('weekdays'), [4, 7, 8, 9], 'skips Saturday and Sunday');
    assert.deepEqual(days('weekly'), [4, 11, 18, 25]);
  });

  it('refuses a bad duration, count or start', () => {
    const bad = (code: string) => (e: unknown) => e instanceof ScheduleInputError && e.code === code;
    assert.throws(
      () => occurrences({ start: friday, durationMinutes: 0, repeat: 'none', count: 1 }),
      bad('bad_duration'),
    );
    assert.throws(
      () => occurrences({ start: friday, durationMinutes: 30, repeat: 'daily', count: 53 }),
      bad('bad_count'),
    );
    assert.throws(
      () => occurrences({ start: new Date('x'), durationMinutes: 30, repeat: 'none', count: 1 }),
      bad('bad_start'),
    );
  });
});
