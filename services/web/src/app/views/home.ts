import { formatMeetingLink, parseMeetingLink } from '@conclave/e2ee';
import { createMeeting } from '../api.ts';
import { h, replace } from '../dom.ts';
import { describeError } from '../errors.ts';
import { copyField } from './common.ts';
import { isOffline, offlineNotice } from './offline-notice.ts';
import { meetingListPanel } from './schedule/meeting-list-panel.ts';
import { scheduleForm } from './schedule/schedule-form.ts';

export function homeView(root: HTMLElement): void {
  const result = h('div', { id: 'new-meeting-result', 'aria-live': 'polite' });
  const permanent = h('input', { type: 'checkbox', id: 'permanent' });
  const createButton = h(
    'button',
    { type: 'button', class: 'button primary', id: 'new-meeting' },
    'New meeting',
  );
  createButton.addEventListener('click', async () => {
    createButton.disabled = true;
    replace(result, h('p', null, 'Creating the meeting and its password in this browser…'));
    try {
      const m = await createMeeting({ permanent: permanent.checked });
      const origin = location.origin;
      const link = formatMeetingLink({ origin, meetingId: m.meetingId, password: m.password });
      const hostLink = formatMeetingLink({ origin, ...m });
      replace(
        result,
        h('p', null, 'Share the participant link. Keep the host link to yourself: it gives host controls.'),
        copyField('Participant link', link, 'participant-link'),
        copyField('Host link', hostLink, 'host-link'),
        h('a', { class: 'button primary', href: hostLink, id: 'start-as-host' }, 'Start the meeting'),
      );
    } catch (error) {
      const e = describeError(error);
      replace(result, h('p', { class: 'error', role: 'alert' }, `${e.title}. ${e.detail}`));
    } finally {
      createButton.disabled = isOffline();
    }
  });

  const linkInput = h('input', {
    id: 'join-link',
    type: 'url',
    autocomplete: 'off',
    spellcheck: 'false',
    placeholder: `${location.origin}/m/…#…`,
    required: true,
  });
  const joinError = h('p', { class: 'error', role: 'alert', id: 'join-error' });
  const joinButton = h('button', { type: 'submit', class: 'button' }, 'Join');
  const joinForm = h(
    'form',
    {
      class: 'join-form',
      onsubmit: (e: Event) => {
        e.preventDefault();
        try {
          const link = parseMeetingLink(linkInput.value.trim());
          // Open it on this server; the fragment never leaves the browser.
          location.assign(formatMeetingLink({ ...link, origin: location.origin }));
        } catch (error) {
          const d = describeError(error);
          joinError.textContent = `${d.title}. ${d.detail}`;
        }
      },
    },
    h('label', { for: 'join-link' }, 'Meeting link'),
    h('div', { class: 'copy-row' }, linkInput, joinButton),
    joinError,
  );

  replace(
    root,
    offlineNotice(root, [createButton, joinButton]),
    h(
      'section',
      { class: 'card' },
      h('h1', null, 'Conclave'),
      h(
        'p',
        { class: 'lead' },
        'Video meetings that are always end-to-end encrypted. The meeting password is made in your browser and stays in the link: the server never sees it.',
      ),
      h('div', { class: 'row' }, createButton, h('label', { class: 'check' }, permanent, ' Permanent room')),
      result,
    ),
    h('section', { class: 'card' }, h('h2', null, 'Join a meeting'), joinForm),
    ...scheduleSections(),
  );
}

/** Scheduling: the form, and the host's encrypted list the new meetings are saved to. */
function scheduleSections(): HTMLElement[] {
  const list = meetingListPanel();
  return [
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'schedule-heading' },
      h('h2', { id: 'schedule-heading' }, 'Schedule a meeting'),
      scheduleForm((meetings) => list.offer(meetings)),
    ),
    list.element,
  ];
}
