/** One row of the People panel: a name with its labels and badges, and the host's actions. */
import { h } from '../../dom.ts';
import type { RosterEntry } from '../../meeting/types.ts';
import { stateIcon } from '../icons.ts';

/** What a host can do to someone else, by their leaf. */
export interface PersonActions {
  mute(leaf: number): void;
  allowMic(leaf: number): void;
  stopVideo(leaf: number): void;
  remove(leaf: number): void;
}

/** Everything a row shows. */
export interface PersonView {
  entry: RosterEntry;
  own: boolean;
  /** This page's own host role (only said on the own row). */
  ownHost: boolean;
  recording: boolean;
  /** Another person's microphone is off (not said on the own row). */
  muted: boolean;
  /** Present when this page is a host and the row is someone else's. */
  actions: PersonActions | undefined;
}

function hostActions(r: RosterEntry, actions: PersonActions): HTMLElement {
  const action = (name: string, label: string, onclick: () => void, danger = false) =>
    h(
      'button',
      { type: 'button', class: `button small${danger ? ' danger' : ''}`, 'data-action': name, onclick },
      label,
    );
  return h(
    'div',
    { class: 'host-actions' },
    action('mute', 'Mute', () => actions.mute(r.leaf)),
    action('allow', 'Allow unmute', () => actions.allowMic(r.leaf)),
    action('stop-video', 'Stop video', () => actions.stopVideo(r.leaf)),
    action(
      'remove',
      'Remove',
      () => {
        if (confirm(`Remove ${r.name} from the meeting?`)) actions.remove(r.leaf);
      },
      true,
    ),
  );
}

export function personRow(v: PersonView): HTMLElement {
  const r = v.entry;
  return h(
    'li',
    { class: 'person', 'data-leaf': r.leaf },
    h(
      'span',
      { class: 'person-name' },
      r.name,
      v.own ? ' (you)' : '',
      v.own ? (v.ownHost ? ' · host' : '') : r.host ? ' · host (unverified claim)' : '',
    ),
    h(
      'span',
      { class: 'badges' },
      v.recording ? stateIcon('record', 'recording') : null,
      r.hand ? stateIcon('hand', 'hand raised') : null,
      !v.own && v.muted ? stateIcon('micOff', 'muted') : null,
    ),
    v.actions ? hostActions(r, v.actions) : null,
  );
}
