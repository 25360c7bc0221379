/** Hosts: lock, ask before recording, end for all, and a new link for a permanent room. */
import { formatMeetingLink } from '@conclave/e2ee';
import { h, replace } from '../../dom.ts';
import { describeError } from '../../errors.ts';
import type { Meeting } from '../../meeting/meeting.ts';
import { copyField } from '../common.ts';

/** The host's link rotation: the call ends with the old ID, the new links show after it. */
export interface LinkRotation {
  fields?: Promise<HTMLElement[]>;
}

const ROTATE_CONFIRM =
  'Make a new link for this permanent room? The current link stops working and this call ends for everyone; you then share the new link.';

async function rotateLink(
  meeting: Meeting,
  rotation: LinkRotation,
  out: HTMLElement,
  toast: (text: string) => void,
) {
  if (!confirm(ROTATE_CONFIRM)) return;
  try {
    rotation.fields = meeting.host.rotate().then((m) => {
      const origin = location.origin;
      return [
        copyField(
          'New participant link',
          formatMeetingLink({ origin, meetingId: m.meetingId, password: m.password }),
          'rotated-link',
        ),
        copyField('New host link', formatMeetingLink({ origin, ...m }), 'rotated-host-link'),
      ];
    });
    const fields = await rotation.fields;
    if (!meeting.ended) replace(out, fields);
  } catch (e) {
    toast(describeError(e).detail);
  }
}

export function hostPanel(
  meeting: Meeting,
  toast: (text: string) => void,
  rotation: LinkRotation,
): HTMLElement {
  const { host } = meeting;
  const rotateOut = h('div', { 'aria-live': 'polite' });
  return h(
    'section',
    { class: 'host-panel', 'aria-labelledby': 'host-title' },
    h('h2', { id: 'host-title' }, 'Host controls'),
    h(
      'div',
      { class: 'row wrap' },
      h(
        'button',
        {
          type: 'button',
          class: 'button',
          id: 'toggle-lock',
          onclick: () =>
            void host.setLocked(!host.locked).catch((e: unknown) => toast(describeError(e).title)),
        },
        host.locked ? 'Unlock meeting' : 'Lock meeting',
      ),
      // Told to every member over MLS; participants then ask a host before they record.
      h(
        'button',
        {
          type: 'button',
          class: 'button',
          id: 'ask-before-recording',
          'aria-pressed': String(meeting.recording.ownAsk),
          onclick: () =>
            void meeting.recording
              .setAsk(!meeting.recording.ownAsk)
              .catch((e: unknown) => toast(describeError(e).title)),
        },
        'Ask before recording',
      ),
      h(
        'button',
        {
          type: 'button',
          class: 'button danger',
          id: 'end-for-all',
          onclick: () => {
            if (confirm('End the meeting for everyone?')) void host.endForAll();
          },
        },
        'End for all',
      ),
      h(
        'button',
        {
          type: 'button',
          class: 'button',
          id: 'rotate-link',
          onclick: () => rotateLink(meeting, rotation, rotateOut, toast),
        },
        'New link (permanent room)',
      ),
    ),
    rotateOut,
  );
}
