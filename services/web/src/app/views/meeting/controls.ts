/**
 * The control bar: own media (with the camera switch where there are two cameras), hand,
 * reactions, the side panels' buttons, leave.
 */
import { h } from '../../dom.ts';
import { describeError } from '../../errors.ts';
import type { Meeting } from '../../meeting/meeting.ts';

export type Panel = 'chat' | 'people' | 'info';
const REACTIONS = ['👍', '👏', '😂', '❤️', '🎉'];

export interface ControlBar {
  el: HTMLElement;
  panelButtons: Record<Panel, HTMLButtonElement>;
  render(openPanel: Panel | null): void;
  /** Closes the reactions menu if open (returns whether it was). */
  closeMenu(): boolean;
}

export function controlBar(
  meeting: Meeting,
  toast: (text: string) => void,
  togglePanel: (panel: Panel) => void,
): ControlBar {
  const { local, people } = meeting;
  const btn = (id: string, label: string, onclick: () => unknown) =>
    h('button', { type: 'button', class: 'control', id, onclick, 'aria-pressed': 'false' }, label);
  const micBtn = btn('toggle-mic', 'Mute', () => void local.setMic(!local.micOn));
  const camBtn = btn('toggle-cam', 'Stop video', () => void local.setCamera(!local.camOn));
  // Only where there is another camera to go to (a phone's front and back).
  const switchBtn = h(
    'button',
    {
      type: 'button',
      class: 'control',
      id: 'switch-camera',
      hidden: true,
      onclick: () => local.switchCamera(),
    },
    'Switch camera',
  );
  const screenBtn = btn('toggle-screen', 'Share screen', () =>
    local.screen
      ? void local.stopScreenShare()
      : void local.startScreenShare().catch((e: unknown) => toast(describeError(e).title)),
  );
  // Phone browsers cannot share a screen: no button that can only fail.
  screenBtn.hidden = typeof navigator.mediaDevices?.getDisplayMedia !== 'function';
  const handBtn = btn('toggle-hand', 'Raise hand', () => void meeting.setHand(!people.hand));
  const reactMenu = h(
    'div',
    { class: 'react-menu', hidden: true, role: 'menu' },
    REACTIONS.map((r) =>
      h(
        'button',
        {
          type: 'button',
          role: 'menuitem',
          class: 'control',
          'aria-label': `React ${r}`,
          onclick: () => {
            reactMenu.hidden = true;
            void people.sendReaction(r);
          },
        },
        r,
      ),
    ),
  );
  const reactBtn = btn('react', 'React', () => {
    reactMenu.hidden = !reactMenu.hidden;
    reactBtn.setAttribute('aria-expanded', String(!reactMenu.hidden));
    if (!reactMenu.hidden) (reactMenu.firstElementChild as HTMLElement | null)?.focus();
  });
  reactBtn.setAttribute('aria-haspopup', 'menu');
  reactBtn.setAttribute('aria-expanded', 'false');
  const panelButtons: Record<Panel, HTMLButtonElement> = {
    chat: btn('open-chat', 'Chat', () => togglePanel('chat')),
    people: btn('open-people', 'People', () => togglePanel('people')),
    info: btn('open-info', 'Info', () => togglePanel('info')),
  };
  const leaveBtn = h(
    'button',
    { type: 'button', class: 'control danger', id: 'leave', onclick: () => meeting.leave() },
    'Leave',
  );
  const el = h(
    'nav',
    { class: 'controls', 'aria-label': 'Meeting controls' },
    micBtn,
    camBtn,
    switchBtn,
    screenBtn,
    handBtn,
    h('div', { class: 'react-wrap' }, reactBtn, reactMenu),
    panelButtons.chat,
    panelButtons.people,
    panelButtons.info,
    leaveBtn,
  );

  function render(openPanel: Panel | null): void {
    for (const [p, b] of Object.entries(panelButtons))
      b.setAttribute('aria-pressed', String(openPanel === p));
    micBtn.textContent = local.micOn ? 'Mute' : 'Unmute';
    micBtn.setAttribute('aria-pressed', String(!local.micOn));
    camBtn.textContent = local.camOn ? 'Stop video' : 'Start video';
    camBtn.setAttribute('aria-pressed', String(!local.camOn));
    switchBtn.hidden = local.cameras.length < 2;
    screenBtn.textContent = local.screen ? 'Stop sharing' : 'Share screen';
    handBtn.textContent = people.hand ? 'Lower hand' : 'Raise hand';
    handBtn.setAttribute('aria-pressed', String(people.hand));
    const waiting = meeting.host.lobby.length;
    panelButtons.people.textContent = waiting ? `People (${waiting} waiting)` : 'People';
    panelButtons.people.classList.toggle('unread', waiting > 0);
  }

  function closeMenu(): boolean {
    if (reactMenu.hidden) return false;
    reactMenu.hidden = true;
    reactBtn.setAttribute('aria-expanded', 'false');
    reactBtn.focus();
    return true;
  }

  return { el, panelButtons, render, closeMenu };
}
