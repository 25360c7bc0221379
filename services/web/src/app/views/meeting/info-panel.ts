/** The info panel: the invite link, the encryption state and the security code to compare aloud. */
import { h } from '../../dom.ts';
import { inviteLink } from '../../link-memory.ts';
import type { Meeting } from '../../meeting/meeting.ts';
import { copyField } from '../common.ts';

export function rotationText(seconds: number): string {
  if (!seconds) return 'only when someone joins or leaves';
  const every = seconds < 120 ? `${seconds} s` : `${Math.round(seconds / 60)} min`;
  return `about every ${every}, and whenever someone joins or leaves`;
}

export function infoPanel(meeting: Meeting): HTMLElement {
  const e = meeting.epoch;
  return h(
    'section',
    { 'aria-labelledby': 'info-title' },
    h('h2', { id: 'info-title' }, 'Meeting security'),
    // The address bar no longer holds the link: this is where to get it (never the host part).
    copyField('Invite link', inviteLink(meeting.link), 'invite-link'),
    h(
      'dl',
      { class: 'info' },
      h('dt', null, 'Encryption'),
      h('dd', null, `MLS group + SFrame media (${meeting.crypto.mode})`),
      h('dt', null, 'Epoch'),
      h('dd', { id: 'info-epoch' }, e ? String(e.epoch) : '…'),
      h('dt', null, 'Group size'),
      h('dd', { id: 'info-size' }, e ? String(e.size) : '…'),
      h('dt', null, 'Key rotation'),
      h('dd', { id: 'info-rotation' }, rotationText(meeting.connection.keyRotationSeconds)),
      h('dt', null, 'Security code'),
      h('dd', { id: 'security-code', class: 'code' }, e?.securityCode ?? '…'),
    ),
    h(
      'p',
      null,
      'Read the security code aloud and compare it with everyone in the meeting. If anyone sees a different code, someone else may be in the call: leave and share a new link by another channel. The code changes whenever someone joins or leaves, and when the keys are rotated on schedule.',
    ),
  );
}
