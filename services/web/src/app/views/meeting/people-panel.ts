/**
 * The people panel: everyone by their decrypted name, searchable, with the host's per-person
 * actions (people-list.ts); for hosts also the lobby (above) and the host controls (below).
 * It is built once for the meeting and updated in place, so that its search text, scroll
 * position and focus stay while the meeting changes.
 */
import { h } from '../../dom.ts';
import type { Meeting } from '../../meeting/meeting.ts';
import { hostPanel, type LinkRotation } from './host-panel.ts';
import { lobbyPanel } from './lobby-panel.ts';
import { peopleList } from './people-list.ts';

export interface PeoplePanel {
  el: HTMLElement;
  /** Brings the panel up to date while it is shown; `false`: it is not (nothing to do). */
  render(shown: boolean): void;
}

/** Puts `next` in `slot` unless it shows the same already (a rebuilt button would lose a click). */
function swap(slot: HTMLElement, next: HTMLElement | null): void {
  const now = slot.firstElementChild;
  if (next ? now?.isEqualNode(next) : !now) return;
  slot.replaceChildren(...(next ? [next] : []));
}

export function peoplePanel(
  meeting: Meeting,
  toast: (text: string) => void,
  rotation: LinkRotation,
): PeoplePanel {
  const { host } = meeting;
  const people = peopleList({
    mute: (leaf) => void host.mute(leaf),
    allowMic: (leaf) => void host.allowMic(leaf),
    stopVideo: (leaf) => void host.stopVideo(leaf),
    remove: (leaf) => void host.remove(leaf),
  });
  const lobbySlot = h('div', { class: 'people-slot' });
  const hostSlot = h('div', { class: 'people-slot' });
  const title = h('h2', { id: 'people-title' });
  const joining = h('p', { class: 'muted', hidden: true });
  const el = h(
    'section',
    { class: 'people-panel', 'aria-labelledby': 'people-title' },
    lobbySlot,
    title,
    people.nodes,
    joining,
    hostSlot,
  );
  let shown = false;

  function render(): void {
    const { roster } = meeting.people;
    const size = meeting.epoch?.size ?? 1;
    const ownLeaf = meeting.epoch?.ownLeaf;
    const mics = new Map<string, boolean>();
    for (const t of meeting.remote.tracks.values())
      if (t.source === 'mic' && !mics.has(t.peerId)) mics.set(t.peerId, t.paused);
    swap(lobbySlot, meeting.isHost ? lobbyPanel(meeting, toast) : null);
    const heading = `People (${size})`;
    if (title.textContent !== heading) title.textContent = heading;
    people.update({
      people: [...roster.values()],
      count: roster.size,
      ownLeaf,
      isHost: meeting.isHost,
      recording: (r) =>
        r.leaf === ownLeaf ? meeting.recording.recording : meeting.recording.recorders.has(r.leaf),
      muted: (r) => mics.get(r.peerId) ?? true,
    });
    const unnamed = (meeting.epoch?.size ?? 0) - roster.size;
    joining.hidden = unnamed <= 0;
    const text = unnamed > 0 ? `${unnamed} joining…` : '';
    if (joining.textContent !== text) joining.textContent = text;
    swap(hostSlot, meeting.isHost ? hostPanel(meeting, toast, rotation) : null);
  }

  return {
    el,
    render(show) {
      const back = show && !shown;
      shown = show;
      if (!show) return;
      render();
      if (back) people.restoreScroll();
    },
  };
}
