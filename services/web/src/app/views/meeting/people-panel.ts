/**
 * The people panel: everyone by their decrypted name, with the host's per-person actions; for
 * hosts also the lobby (above) and the host controls (below).
 */
import { h } from '../../dom.ts';
import type { Meeting } from '../../meeting/meeting.ts';
import type { RosterEntry } from '../../meeting/types.ts';
import { stateIcon } from '../icons.ts';
import { hostPanel, type LinkRotation } from './host-panel.ts';
import { lobbyPanel } from './lobby-panel.ts';

function hostActions(meeting: Meeting, r: RosterEntry): HTMLElement {
  const action = (name: string, label: string, onclick: () => void, danger = false) =>
    h(
      'button',
      { type: 'button', class: `button small${danger ? ' danger' : ''}`, 'data-action': name, onclick },
      label,
    );
  const { host } = meeting;
  return h(
    'div',
    { class: 'host-actions' },
    action('mute', 'Mute', () => void host.mute(r.leaf)),
    action('allow', 'Allow unmute', () => void host.allowMic(r.leaf)),
    action('stop-video', 'Stop video', () => void host.stopVideo(r.leaf)),
    action(
      'remove',
      'Remove',
      () => {
        if (confirm(`Remove ${r.name} from the meeting?`)) void host.remove(r.leaf);
      },
      true,
    ),
  );
}

function person(meeting: Meeting, r: RosterEntry): HTMLElement {
  const own = meeting.epoch?.ownLeaf;
  const mic = [...meeting.remote.tracks.values()].find((t) => t.peerId === r.peerId && t.source === 'mic');
  const recording = r.leaf === own ? meeting.recording.recording : meeting.recording.recorders.has(r.leaf);
  return h(
    'li',
    { class: 'person', 'data-leaf': r.leaf },
    h(
      'span',
      { class: 'person-name' },
      r.name,
      r.leaf === own ? ' (you)' : '',
      r.leaf === own ? (meeting.isHost ? ' · host' : '') : r.host ? ' · host (unverified claim)' : '',
    ),
    h(
      'span',
      { class: 'badges' },
      recording ? stateIcon('record', 'recording') : null,
      r.hand ? stateIcon('hand', 'hand raised') : null,
      r.leaf !== own && (!mic || mic.paused) ? stateIcon('micOff', 'muted') : null,
    ),
    meeting.isHost && r.leaf !== own ? hostActions(meeting, r) : null,
  );
}

export function peoplePanel(
  meeting: Meeting,
  toast: (text: string) => void,
  rotation: LinkRotation,
): HTMLElement {
  const { roster } = meeting.people;
  const items = [...roster.values()].sort((a, b) => a.leaf - b.leaf).map((r) => person(meeting, r));
  const unnamed = (meeting.epoch?.size ?? 0) - roster.size;
  return h(
    'section',
    { 'aria-labelledby': 'people-title' },
    meeting.isHost ? lobbyPanel(meeting, toast) : null,
    h('h2', { id: 'people-title' }, `People (${meeting.epoch?.size ?? 1})`),
    h('ul', { class: 'people', id: 'people-list' }, items),
    unnamed > 0 ? h('p', { class: 'muted' }, `${unnamed} joining…`) : null,
    meeting.isHost ? hostPanel(meeting, toast, rotation) : null,
  );
}
