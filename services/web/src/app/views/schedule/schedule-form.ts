/**
 * The form that schedules a meeting or a series, and what it made: each occurrence with its own
 * links, the .ics file for all of them and the calendar links. A series that stops half way says
 * which occurrences exist.
 */
import { h, replace } from '../../dom.ts';
import { createSeries } from '../../schedule/create-series.ts';
import { MAX_OCCURRENCES, occurrences, type Repeat, ScheduleInputError } from '../../schedule/occurrences.ts';
import type { ScheduledMeeting } from '../../schedule/scheduled-meeting.ts';
import { rateLimitNotice } from '../common.ts';
import { describeCreationError } from './creation-errors.ts';
import {
  CALENDAR_PRIVACY_NOTE,
  downloadCalendar,
  formatStart,
  meetingDetails,
  safeName,
} from './meeting-details.ts';

/** The next quarter hour, as a datetime-local value (local time). */
function nextQuarterHour(): string {
  const d = new Date(Date.now() + 15 * 60_000);
  d.setMinutes(Math.floor(d.getMinutes() / 15) * 15, 0, 0);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** How far in the past a start may be (someone filling the form slowly); the meeting opens at once. */
const LATE_START_MS = 15 * 60_000;

const field = (id: string, label: string, input: HTMLElement, hint?: string) =>
  h(
    'div',
    { class: 'schedule-field' },
    h('label', { for: id }, label),
    input,
    hint ? h('p', { class: 'muted hint' }, hint) : null,
  );

export function scheduleForm(onCreated: (meetings: ScheduledMeeting[]) => void): HTMLElement {
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const title = h('input', {
    id: 'schedule-title',
    type: 'text',
    maxLength: 200,
    required: true,
    value: 'Meeting',
  });
  const start = h('input', {
    id: 'schedule-start',
    type: 'datetime-local',
    required: true,
    value: nextQuarterHour(),
  });
  const duration = h('input', {
    id: 'schedule-duration',
    type: 'number',
    min: '5',
    max: '1440',
    step: '5',
    value: '30',
  });
  const repeat = h(
    'select',
    { id: 'schedule-repeat' },
    h('option', { value: 'none' }, 'Does not repeat'),
    h('option', { value: 'daily' }, 'Daily'),
    h('option', { value: 'weekdays' }, 'Every weekday (Monday to Friday)'),
    h('option', { value: 'weekly' }, 'Weekly'),
  );
  const count = h('input', {
    id: 'schedule-count',
    type: 'number',
    min: '1',
    max: String(MAX_OCCURRENCES),
    value: '4',
    disabled: true,
  });
  repeat.addEventListener('change', () => (count.disabled = repeat.value === 'none'));
  const submit = h('button', { type: 'submit', class: 'button primary', id: 'schedule-submit' }, 'Schedule');
  const result = h('div', { id: 'schedule-result', 'aria-live': 'polite' });

  const form = h(
    'form',
    {
      class: 'schedule-form',
      onsubmit: async (e: Event) => {
        e.preventDefault();
        let dates: ReturnType<typeof occurrences>;
        try {
          const startDate = new Date(start.value);
          if (startDate.getTime() < Date.now() - LATE_START_MS)
            throw new ScheduleInputError('bad_start', 'The start time has passed: choose a later one.');
          dates = occurrences({
            start: startDate,
            durationMinutes: Number(duration.value),
            repeat: repeat.value as Repeat,
            count: Number(count.value),
          });
        } catch (error) {
          const message = error instanceof ScheduleInputError ? error.message : 'Check the form.';
          replace(result, h('p', { class: 'error', role: 'alert', id: 'schedule-error' }, message));
          return;
        }
        submit.disabled = true;
        const progress = h(
          'p',
          { role: 'status' },
          `Creating ${dates.length} meeting(s) and their passwords in this browser…`,
        );
        replace(result, progress);
        const name = title.value.trim() || 'Meeting';
        const outcome = await createSeries(name, dates, location.origin, {
          onCreated: (done, total) => (progress.textContent = `Created ${done} of ${total}…`),
          onWait: rateLimitNotice.show,
          onRetry: rateLimitNotice.hide,
        });
        rateLimitNotice.hide();
        submit.disabled = false;
        if (outcome.created.length > 0) onCreated(outcome.created);
        replace(result, ...report(outcome, dates.length, dates[(outcome.failed?.index ?? 1) - 1]?.start));
      },
    },
    field(
      'schedule-title',
      'Title',
      title,
      'Kept in this browser and in calendars; never sent to this server.',
    ),
    field('schedule-start', `Starts (your time zone: ${zone})`, start),
    h(
      'div',
      { class: 'row wrap schedule-row' },
      field('schedule-duration', 'Duration (minutes)', duration),
      field('schedule-repeat', 'Repeat', repeat),
      field('schedule-count', `Occurrences (up to ${MAX_OCCURRENCES})`, count),
    ),
    h('div', { class: 'row' }, submit),
  );
  return h('div', null, form, result);
}

function report(
  outcome: Awaited<ReturnType<typeof createSeries>>,
  total: number,
  failedStart: Date | undefined,
): HTMLElement[] {
  const { created, failed } = outcome;
  const out: HTMLElement[] = [];
  if (failed) {
    const why = describeCreationError(failed.error);
    const when = failedStart ? ` (${formatStart(failedStart)})` : '';
    out.push(
      h(
        'p',
        { class: 'error', role: 'alert', id: 'schedule-error' },
        `Created ${created.length} of ${total}. Occurrence ${failed.index}${when} could not be created: ${why.title}. ${why.detail} ` +
          (created.length > 0
            ? `The ${created.length} below exist; the ones after occurrence ${failed.index - 1} do not.`
            : 'No meeting was created.'),
      ),
    );
  } else out.push(h('p', { role: 'status', id: 'schedule-done' }, `Created ${created.length} of ${total}.`));
  if (created.length === 0) return out;
  out.push(
    h(
      'p',
      null,
      'Each occurrence has its own link and password. Share participant links; keep host links to yourself.',
    ),
    h(
      'div',
      { class: 'row wrap' },
      h(
        'button',
        {
          type: 'button',
          class: 'button primary',
          id: 'schedule-ics',
          onclick: () => downloadCalendar(created, safeName(created[0]!.title)),
        },
        created.length > 1
          ? `Download all ${created.length} for your calendar (.ics)`
          : 'Download for your calendar (.ics)',
      ),
    ),
    h('p', { class: 'muted privacy-note' }, CALENDAR_PRIVACY_NOTE),
    h(
      'ol',
      { class: 'scheduled-list', id: 'schedule-created' },
      created.map((m) => meetingDetails(m, 'new')),
    ),
  );
  return out;
}
