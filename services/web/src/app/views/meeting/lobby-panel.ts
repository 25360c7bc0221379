/** Hosts: people asking to join the locked meeting, with their names opened locally. */
import { h } from '../../dom.ts';
import { describeError } from '../../errors.ts';
import type { Meeting } from '../../meeting/meeting.ts';
import type { LobbyEntry } from '../../meeting/types.ts';

export function lobbyPanel(meeting: Meeting, toast: (text: string) => void): HTMLElement | null {
  const { lobby } = meeting.host;
  if (lobby.length === 0) return null;
  const answer = (k: LobbyEntry, admit: boolean) => {
    const verb = admit ? 'Admit' : 'Deny';
    return h(
      'button',
      {
        type: 'button',
        class: `button small ${admit ? 'primary' : 'danger'}`,
        'data-action': verb.toLowerCase(),
        'aria-label': `${verb} ${k.name}`,
        onclick: () =>
          void meeting.host
            .answerKnock(k.knockId, admit)
            .catch((e: unknown) => toast(describeError(e).title)),
      },
      verb,
    );
  };
  const knocker = (k: LobbyEntry) =>
    h(
      'li',
      { class: 'person', 'data-knock': k.knockId },
      h('span', { class: 'person-name' }, k.name),
      h('div', { class: 'host-actions' }, answer(k, true), answer(k, false)),
    );
  return h(
    'section',
    { class: 'lobby', id: 'lobby', 'aria-labelledby': 'lobby-title' },
    h('h2', { id: 'lobby-title' }, `Waiting to join (${lobby.length})`),
    h('ul', { class: 'people', id: 'lobby-list' }, lobby.map(knocker)),
    h('p', { class: 'muted' }, 'Names are end-to-end encrypted; check you know who you let in.'),
  );
}
