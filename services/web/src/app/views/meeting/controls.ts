/**
 * The control bar: own media (with the camera switch where there are two cameras), hand,
 * reactions, the side panels' buttons, leave. Each is an icon button with a visible label and a
 * tooltip (control-button.ts); this module says what each shows in each state.
 */
import { h } from '../../dom.ts';
import { describeError } from '../../errors.ts';
import type { Meeting } from '../../meeting/meeting.ts';
import { type ControlButton, controlButton } from './control-button.ts';

export type Panel = 'chat' | 'people' | 'info' | 'settings';
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
  const mic = controlButton(
    'toggle-mic',
    { icon: 'mic', label: 'Mute', tip: 'Turn off your microphone', pressed: false },
    () => void local.setMic(!local.micOn),
  );
  const cam = controlButton(
    'toggle-cam',
    { icon: 'camera', label: 'Stop video', tip: 'Turn off your camera', pressed: false },
    () => void local.setCamera(!local.camOn),
  );
  // Only where there is another camera to go to (a phone's front and back).
  const switchCam = controlButton(
    'switch-camera',
    { icon: 'switchCamera', label: 'Switch camera', tip: 'Use your other camera' },
    () => local.switchCamera(),
  );
  const screen = controlButton(
    'toggle-screen',
    { icon: 'screen', label: 'Share screen', tip: 'Show your screen or a window to everyone' },
    () =>
      local.screen
        ? void local.stopScreenShare()
        : void local.startScreenShare().catch((e: unknown) => toast(describeError(e).title)),
  );
  // Phone browsers cannot share a screen: no button that can only fail.
  screen.el.hidden = typeof navigator.mediaDevices?.getDisplayMedia !== 'function';
  const hand = controlButton(
    'toggle-hand',
    { icon: 'hand', label: 'Raise hand', tip: 'Ask to speak', pressed: false },
    () => void meeting.setHand(!people.hand),
  );
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
  const panels: Record<Panel, ControlButton> = {
    chat: controlButton(
      'open-chat',
      { icon: 'chat', label: 'Chat', tip: 'Messages to everyone', pressed: false },
      () => togglePanel('chat'),
    ),
    people: controlButton(
      'open-people',
      { icon: 'people', label: 'People', tip: 'Who is here', pressed: false },
      () => togglePanel('people'),
    ),
    info: controlButton(
      'open-info',
      { icon: 'info', label: 'Info', tip: 'Meeting link and security code', pressed: false },
      () => togglePanel('info'),
    ),
    settings: controlButton(
      'open-settings',
      { icon: 'settings', label: 'Settings', tip: 'Microphone, camera and speaker', pressed: false },
      () => togglePanel('settings'),
    ),
  };
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
    mic.set(
      local.micOn
        ? { icon: 'mic', label: 'Mute', tip: 'Turn off your microphone', pressed: false }
        : local.mutedByHost
          ? { icon: 'micOff', label: 'Unmute', tip: 'The host muted you', pressed: true }
          : { icon: 'micOff', label: 'Unmute', tip: 'Turn on your microphone', pressed: true },
    );
    cam.set(
      local.camOn
        ? { icon: 'camera', label: 'Stop video', tip: 'Turn off your camera', pressed: false }
        : { icon: 'cameraOff', label: 'Start video', tip: 'Turn on your camera', pressed: true },
    );
    switchCam.el.hidden = local.cameras.length < 2;
    screen.set(
      local.screen
        ? { icon: 'screenOff', label: 'Stop sharing', tip: 'Stop showing your screen' }
        : { icon: 'screen', label: 'Share screen', tip: 'Show your screen or a window to everyone' },
    );
    hand.set(
      people.hand
        ? { icon: 'hand', label: 'Lower hand', tip: 'Put your hand down', pressed: true }
        : { icon: 'hand', label: 'Raise hand', tip: 'Ask to speak', pressed: false },
    );
    const waiting = meeting.host.lobby.length;
    panels.chat.set({
      icon: 'chat',
      label: 'Chat',
      tip: 'Messages to everyone',
      pressed: openPanel === 'chat',
    });
    panels.people.set({
      icon: 'people',
      label: 'People',
      tip: waiting ? 'Let in the people waiting in the lobby' : 'Who is here',
      pressed: openPanel === 'people',
      ...(waiting ? { count: { shown: String(waiting), spoken: 'waiting' } } : {}),
    });
    panels.people.el.classList.toggle('unread', waiting > 0);
    panels.info.set({
      icon: 'info',
      label: 'Info',
      tip: 'Meeting link and security code',
      pressed: openPanel === 'info',
    });
    panels.settings.set({
      icon: 'settings',
      label: 'Settings',
      tip: 'Microphone, camera and speaker',
      pressed: openPanel === 'settings',
    });
  }

  function closeMenu(): boolean {
    if (reactMenu.hidden) return false;
    reactMenu.hidden = true;
    react.el.setAttribute('aria-expanded', 'false');
    react.el.focus();
    return true;
  }

  const panelButtons = {
    chat: panels.chat.el,
    people: panels.people.el,
    info: panels.info.el,
    settings: panels.settings.el,
  };
  return { el, panelButtons, render, closeMenu };
}
