/**
 * The meeting page: header badges, the video grid, the side panel (chat, people, info, settings; a
 * full-screen overlay on phones) and the control bar, each built by its own module here; this one lays them out, renders them on every
 * change of the meeting (once per animation frame) and once a second, and handles Escape.
 */
import { announce, h, replace } from '../../dom.ts';
import type { Meeting } from '../../meeting/meeting.ts';
import { MISLABELLED_MEDIA } from '../../meeting/remote-media.ts';
import { chatPanel } from './chat-panel.ts';
import { controlBar, type Panel } from './controls.ts';
import { showEnded } from './ended-page.ts';
import type { LinkRotation } from './host-panel.ts';
import { icon } from '../icons.ts';
import { infoPanel } from './info-panel.ts';
import { peoplePanel } from './people-panel.ts';
import { recordingView } from './recording-view.ts';
import { settingsPanel } from './settings-panel.ts';
import { videoGrid } from './video-grid.ts';

export function meetingView(root: HTMLElement, meeting: Meeting): void {
  let panel: Panel | null = null;
  const rotation: LinkRotation = {};
  // On phones the panel covers the page: its close button is then the way back.
  const closeSide = h(
    'button',
    { type: 'button', class: 'button close-panel', id: 'close-panel', onclick: () => closePanel() },
    icon('close'),
    'Close',
  );
  const sideBody = h('div', { class: 'side-body' });
  const side = h('aside', { class: 'side', id: 'side-panel', hidden: true }, closeSide, sideBody);
  // Joining or reconnecting: said in words, and while the connection is lost, shown as a banner.
  const statusText = h('span');
  const status = h('div', { class: 'status', role: 'status' }, statusText);
  const reactions = h('div', { class: 'reactions', 'aria-live': 'polite' });
  const grid = videoGrid(meeting);
  const chat = chatPanel(meeting, toast);
  const settings = settingsPanel(meeting, () => grid.render());
  const people = peoplePanel(meeting, toast, rotation);
  const recording = recordingView(meeting, grid.grid, toast);
  const controls = controlBar(
    meeting,
    toast,
    (p) => {
      panel = panel === p ? null : p;
      render();
      if (panel === 'chat') chat.input.focus();
    },
    [recording.button.el],
  );
  const title = h('h1', { class: 'meeting-title' }, `Meeting ${meeting.link.meetingId}`);
  const lockBadge = h('span', { class: 'badge', id: 'lock-badge', hidden: true }, icon('lock'), 'Locked');
  // Hosts: a visible notice while people are waiting in the lobby; it opens the People panel.
  const lobbyBadge = h('button', {
    type: 'button',
    class: 'badge attention',
    id: 'lobby-badge',
    hidden: true,
    onclick: () => {
      panel = 'people';
      render();
      (side.querySelector('#lobby-list button') as HTMLElement | null)?.focus();
    },
  });
  // A compromised SFU relabelled someone's media: it is not shown, and people should know.
  const mediaWarning = h(
    'p',
    { class: 'badge attention', id: 'media-warning', role: 'alert', hidden: true },
    MISLABELLED_MEDIA,
  );
  const e2eeBadge = h(
    'span',
    { class: 'badge ok', title: 'Audio, video, chat and names are end-to-end encrypted' },
    icon('e2ee'),
    'E2EE',
  );
  replace(
    root,
    h(
      'div',
      { class: 'meeting' },
      h(
        'header',
        { class: 'top' },
        title,
        e2eeBadge,
        recording.banner,
        lockBadge,
        lobbyBadge,
        status,
        mediaWarning,
      ),
      recording.tray,
      h('div', { class: 'body' }, h('div', { class: 'stage' }, grid.grid, grid.pager, reactions), side),
      controls.el,
      grid.audioBox,
    ),
  );

  function toast(text: string): void {
    announce(text);
    const t = h('div', { class: 'toast', role: 'status' }, text);
    root.querySelector('.meeting')?.appendChild(t);
    setTimeout(() => t.remove(), 4000);
  }

  function renderSide(): void {
    side.hidden = panel === null;
    if (panel) closeSide.setAttribute('aria-label', `Close ${panel}`);
    if (panel === 'chat') {
      if (!sideBody.contains(chat.log)) replace(sideBody, ...chat.nodes);
    } else if (panel === 'people') {
      if (!sideBody.contains(people.el)) replace(sideBody, people.el);
    } else if (panel === 'info') {
      showPanel(infoPanel(meeting));
    } else if (panel === 'settings' && !sideBody.contains(settings.el)) {
      replace(sideBody, settings.el);
    }
    // Kept whole like the chat (an open list stays open); it measures the microphone while shown.
    settings.render(panel === 'settings');
    // Kept whole too: its search text, scroll position and focus stay while the meeting changes.
    people.render(panel === 'people');
  }

  /**
   * Swaps the side panel only when it looks different: the meeting changes many times a second
   * (speakers, layers, key frames), and rebuilding identical buttons under someone's pointer or
   * keyboard focus would swallow their click and lose their place.
   */
  function showPanel(next: HTMLElement): void {
    if (sideBody.childElementCount === 1 && sideBody.firstElementChild?.isEqualNode(next)) return;
    replace(sideBody, next);
  }

  /** Closes the side panel and gives focus back to the button that opened it. */
  function closePanel(): void {
    if (!panel) return;
    const opener = controls.panelButtons[panel];
    panel = null;
    render();
    opener.focus();
  }

  function renderHeader(): void {
    lockBadge.hidden = !meeting.host.locked;
    mediaWarning.hidden = !meeting.remote.mislabelledMedia;
    const waiting = meeting.host.lobby.length;
    lobbyBadge.hidden = waiting === 0;
    lobbyBadge.textContent = waiting === 1 ? '1 person waiting' : `${waiting} people waiting`;
    const reconnecting = meeting.connection.state === 'reconnecting';
    const text = reconnecting
      ? 'Connection lost. Reconnecting…'
      : meeting.epoch
        ? ''
        : 'Joining the encrypted group…';
    if (statusText.textContent !== text) {
      statusText.textContent = text;
      status.replaceChildren(...(reconnecting ? [icon('offline')] : []), statusText);
    }
    status.classList.toggle('reconnecting', reconnecting);
  }

  function render(): void {
    grid.render();
    renderSide();
    controls.render(panel);
    recording.render();
    renderHeader();
    root.dataset['epoch'] = meeting.epoch ? String(meeting.epoch.epoch) : '';
  }

  let scheduled = false;
  meeting.listen({
    changed() {
      if (scheduled) return;
      scheduled = true;
      requestAnimationFrame(() => {
        scheduled = false;
        if (!meeting.ended) render();
      });
    },
    chat(line) {
      const chatButton = controls.panelButtons.chat;
      if (!chat.append(line)) chatButton.classList.remove('unread');
      else if (panel !== 'chat') chatButton.classList.add('unread');
    },
    reaction(name, emoji) {
      const r = h('div', { class: 'reaction' }, `${emoji} ${name}`);
      reactions.appendChild(r);
      announce(`${name} reacted ${emoji}`);
      setTimeout(() => r.remove(), 3000);
    },
    notice: toast,
    presence: announce,
    ended: (reason) => {
      settings.render(false);
      recording.ended();
      showEnded(root, meeting, reason, rotation);
    },
  });
  // Escape closes the reactions menu, then the side panel.
  document.addEventListener('keydown', (e) => {
    if (e.key !== 'Escape' || meeting.ended || controls.closeMenu()) return;
    closePanel();
  });
  render();
  // Rendering ticks so that new frames/tracks and stats show without a change event.
  const timer = setInterval(() => {
    if (meeting.ended) return clearInterval(timer);
    render();
    void meeting.watchMedia();
  }, 1000);
}
