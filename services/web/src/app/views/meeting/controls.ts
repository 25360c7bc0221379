/**
 * The control bar: own media (with the camera switch where there are two cameras), hand,
 * reactions, the side panels' buttons, leave. Each is an icon button with a visible label and a
 * tooltip (control-button.ts); this module says what each shows in each state.
 */
import { h } from '../../dom.ts';
import { describeError } from '../../errors.ts';
import type { Meeting } from '../../meeting/meeting.ts';
import { type ControlButton, type ControlState, controlButton } from './control-button.ts';

export type Panel = 'chat' | 'people' | 'info' | 'settings';
const REACTIONS = ['👍', '👏', '😂', '❤️', '🎉'];

/** The side panels' buttons, in their order on the bar. */
const PANELS: Record<Panel, Omit<ControlState, 'pressed'>> = {
  chat: { icon: 'chat', label: 'Chat', tip: 'Messages to everyone' },
  people: { icon: 'people', label: 'People', tip: 'Who is here' },
  info: { icon: 'info', label: 'Info', tip: 'Meeting link and security code' },
  settings: { icon: 'settings', label: 'Settings', tip: 'Microphone, camera and speaker' },
};

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
  /** Buttons of other modules (recording), after the hand. */
  extra: HTMLElement[] = [],
): ControlBar {
  const { local, people } = meeting;
  // What each toggle shows now: used to build the button and on every render.
  const micState = (): ControlState =>
    local.micOn
      ? { icon: 'mic', label: 'Mute', tip: 'Turn off your microphone', pressed: false }
      : {
          icon: 'micOff',
          label: 'Unmute',
          tip: local.mutedByHost ? 'The host muted you' : 'Turn on your microphone',
          pressed: true,
        };
  const camState = (): ControlState =>
    local.camOn
      ? { icon: 'camera', label: 'Stop video', tip: 'Turn off your camera', pressed: false }
      : { icon: 'cameraOff', label: 'Start video', tip: 'Turn on your camera', pressed: true };
  const screenState = (): ControlState =>
    local.screen
      ? { icon: 'screenOff', label: 'Stop sharing', tip: 'Stop showing your screen' }
      : { icon: 'screen', label: 'Share screen', tip: 'Show your screen or a window to everyone' };
  const handState = (): ControlState =>
    people.hand
      ? { icon: 'hand', label: 'Lower hand', tip: 'Put your hand down', pressed: true }
      : { icon: 'hand', label: 'Raise hand', tip: 'Ask to speak', pressed: false };
  const panelState = (panel: Panel, openPanel: Panel | null): ControlState => {
    const waiting = panel === 'people' ? meeting.host.lobby.length : 0;
    return waiting
      ? {
          ...PANELS.people,
          tip: 'Let in the people waiting in the lobby',
          pressed: openPanel === 'people',
          count: { shown: String(waiting), spoken: 'waiting' },
        }
      : { ...PANELS[panel], pressed: openPanel === panel };
  };

  const mic = controlButton('toggle-mic', micState(), () => void local.setMic(!local.micOn));
  const cam = controlButton('toggle-cam', camState(), () => void local.setCamera(!local.camOn));
  // Only where there is another camera to go to (a phone's front and back).
  const switchCam = controlButton(
    'switch-camera',
    { icon: 'switchCamera', label: 'Switch camera', tip: 'Use your other camera' },
    () => local.switchCamera(),
  );
  const screen = controlButton('toggle-screen', screenState(), () =>
    local.screen
      ? void local.stopScreenShare()
      : void local.startScreenShare().catch((e: unknown) => toast(describeError(e).title)),
  );
  // Phone browsers cannot share a screen: no button that can only fail.
  screen.el.hidden = typeof navigator.mediaDevices?.getDisplayMedia !== 'function';
  const hand = controlButton('toggle-hand', handState(), () => void meeting.setHand(!people.hand));
  const reactMenu = h(
    'div',
    { class: 'react-menu', hidden: true, role: 'menu' },
    REACTIONS.map((r) =>
      h(
        'button',
        {
          type: 'button',
          role: 'menuitem',
          class: 'control emoji',
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
  const react = controlButton('react', { icon: 'react', label: 'React', tip: 'Send a reaction' }, () => {
    reactMenu.hidden = !reactMenu.hidden;
    react.el.setAttribute('aria-expanded', String(!reactMenu.hidden));
    if (!reactMenu.hidden) (reactMenu.firstElementChild as HTMLElement | null)?.focus();
  });
  react.el.setAttribute('aria-haspopup', 'menu');
  react.el.setAttribute('aria-expanded', 'false');
  const panels = Object.fromEntries(
    (Object.keys(PANELS) as Panel[]).map((p) => [
      p,
      controlButton(`open-${p}`, panelState(p, null), () => togglePanel(p)),
    ]),
  ) as Record<Panel, ControlButton>;
  const leave = controlButton(
    'leave',
    { icon: 'leave', label: 'Leave', tip: 'Leave the meeting' },
    () => meeting.leave(),
    'danger',
  );
  const el = h(
    'nav',
    { class: 'controls', 'aria-label': 'Meeting controls' },
    h(
      'div',
      { class: 'control-group' },
      mic.el,
      cam.el,
      switchCam.el,
      screen.el,
      hand.el,
      ...extra,
      h('div', { class: 'react-wrap' }, react.el, reactMenu),
    ),
    h(
      'div',
      { class: 'control-group panels' },
      panels.chat.el,
      panels.people.el,
      panels.info.el,
      panels.settings.el,
    ),
    leave.el,
  );

  function render(openPanel: Panel | null): void {
    mic.set(micState());
    cam.set(camState());
    switchCam.el.hidden = local.cameras.length < 2;
    screen.set(screenState());
    hand.set(handState());
    for (const p of Object.keys(PANELS) as Panel[]) panels[p].set(panelState(p, openPanel));
    panels.people.el.classList.toggle('unread', meeting.host.lobby.length > 0);
  }

  function closeMenu(): boolean {
    if (reactMenu.hidden) return false;
    reactMenu.hidden = true;
    react.el.setAttribute('aria-expanded', 'false');
    react.el.focus();
    return true;
  }

  const panelButtons = Object.fromEntries(Object.entries(panels).map(([p, b]) => [p, b.el])) as Record<
    Panel,
    HTMLButtonElement
  >;
  return { el, panelButtons, render, closeMenu };
}
