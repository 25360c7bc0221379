/**
 * The dates of a meeting or a series, in the host's local time: a daily or weekly series keeps
 * its wall-clock time across a daylight-saving change, as calendars do.
 */

export type Repeat = 'none' | 'daily' | 'weekdays' | 'weekly';

export const MAX_OCCURRENCES = 52;
export const MAX_DURATION_MINUTES = 24 * 60;

export interface SchedulePlan {
  start: Date;
  durationMinutes: number;
  repeat: Repeat;
  /** Occurrences in all; 1 when `repeat` is 'none'. */
  count: number;
}

export interface Occurrence {
  start: Date;
  end: Date;
}

export class ScheduleInputError extends Error {
  readonly code: 'bad_start' | 'bad_duration' | 'bad_count';
  constructor(code: ScheduleInputError['code'], message: string) {
    super(message);
    this.name = 'ScheduleInputError';
    this.code = code;
  }
}

const isWeekend = (d: Date) => d.getDay() === 0 || d.getDay() === 6;

export function occurrences(plan: SchedulePlan): Occurrence[] {
  if (Number.isNaN(plan.start.getTime()))
    throw new ScheduleInputError('bad_start', 'Choose a start date and time.');
  const minutes = plan.durationMinutes;
  if (!Number.isInteger(minutes) || minutes < 5 || minutes > MAX_DURATION_MINUTES)
    throw new ScheduleInputError('bad_duration', 'The duration must be between 5 minutes and 24 hours.');
  const count = plan.repeat === 'none' ? 1 : plan.count;
  if (!Number.isInteger(count) || count < 1 || count > MAX_OCCURRENCES)
    throw new ScheduleInputError('bad_count', `A series has 1 to ${MAX_OCCURRENCES} occurrences.`);
  const out: Occurrence[] = [];
  const day = new Date(plan.start);
  // A weekday series that is asked to start on a weekend starts on the Monday after.
  if (plan.repeat === 'weekdays') while (isWeekend(day)) day.setDate(day.getDate() + 1);
  while (out.length < count) {
    out.push({ start: new Date(day), end: new Date(day.getTime() + minutes * 60_000) });
    if (plan.repeat === 'weekly') day.setDate(day.getDate() + 7);
    else {
      day.setDate(day.getDate() + 1);
      if (plan.repeat === 'weekdays') while (isWeekend(day)) day.setDate(day.getDate() + 1);
    }
  }
  return out;
}
