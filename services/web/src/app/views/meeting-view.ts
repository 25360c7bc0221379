import { formatMeetingLink } from '@conclave/e2ee';
import { announce, h, replace } from '../dom.ts';
import { describeError, END_MESSAGES } from '../errors.ts';
import { type Meeting, MISLABELLED_MEDIA } from '../meeting.ts';
import { forgetMeetingLink, inviteLink } from '../link-memory.ts';
import { copyField, errorPage } from './common.ts';

type Panel = 'chat' | 'people' | 'info' | null;
export const FIRST_FRAME_MARK = 'conclave:first-remote-frame';
const REACTIONS = ['👍', '👏', '😂', '❤️', '🎉'];

interface Tile {
  el: HTMLElement;
  video: HTMLVideoElement;
  label: HTMLElement;
  badges: HTMLElement;
  trackId: string;
}

export function meetingView(root: HTMLElement, meeting: Meeting): void {
  let panel: Panel = null;
  /** The host's link rotation: the call ends with the old ID, the new links show after. */
  let rotation: Promise<HTMLElement[]> | undefined;
  const tiles = new Map<string, Tile>();
  const audios = new Map<string, HTMLAudioElement>();
  const grid = h('div', { class: 'grid', id: 'grid', role: 'list', 'aria-label': 'Participants’ video' });
  const audioBox = h('div', { class: 'sr-only', 'aria-hidden': 'true' });
  const side = h('aside', { class: 'side', id: 'side-panel', hidden: true });
  const status = h('div', { class: 'status', role: 'status' });
  const reactions = h('div', { class: 'reactions', 'aria-live': 'polite' });
  const chatLog = h('ol', { class: 'chat-log', id: 'chat-log', 'aria-label': 'Chat messages' });
  const chatInput = h('input', {
    id: 'chat-input',
    maxLength: 2000,
    autocomplete: 'off',
    'aria-label': 'Chat message',
    placeholder: 'Message (end-to-end encrypted)',
  });
  const chatForm = h(
    'form',
    {
      class: 'chat-form',
      onsubmit: (e: Event) => {
        e.preventDefault();
        const text = chatInput.value.trim();
        if (!text) return;
        chatInput.value = '';
        void meeting.sendChat(text).catch(() => toast('The message could not be sent; try again'));
      },
    },
    chatInput,
    h('button', { type: 'submit', class: 'button' }, 'Send'),
  );

  const btn = (id: string, label: string, onclick: () => unknown) =>
    h('button', { type: 'button', class: 'control', id, onclick, 'aria-pressed': 'false' }, label);
  const micBtn = btn('toggle-mic', 'Mute', () => void meeting.setMic(!meeting.micOn));
  const camBtn = btn('toggle-cam', 'Stop video', () => void meeting.setCamera(!meeting.camOn));
  const screenBtn = btn('toggle-screen', 'Share screen', () =>
    meeting.screen
      ? void meeting.stopScreenShare()
      : void meeting.startScreenShare().catch((e: unknown) => toast(describeError(e).title)),
  );
  const handBtn = btn('toggle-hand', 'Raise hand', () => void meeting.setHand(!meeting.hand));
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
            void meeting.sendReaction(r);
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
  const panelBtn = (id: string, label: string, p: Exclude<Panel, null>) =>
    btn(id, label, () => {
      panel = panel === p ? null : p;
      render();
      if (panel === 'chat') chatInput.focus();
    });
  const chatBtn = panelBtn('open-chat', 'Chat', 'chat');
  const peopleBtn = panelBtn('open-people', 'People', 'people');
  const infoBtn = panelBtn('open-info', 'Info', 'info');
  const leaveBtn = h(
    'button',
    { type: 'button', class: 'control danger', id: 'leave', onclick: () => meeting.leave() },
    'Leave',
  );

  const controls = h(
    'nav',
    { class: 'controls', 'aria-label': 'Meeting controls' },
    micBtn,
    camBtn,
    screenBtn,
    handBtn,
    h('div', { class: 'react-wrap' }, reactBtn, reactMenu),
    chatBtn,
    peopleBtn,
    infoBtn,
    leaveBtn,
  );
  const title = h('h1', { class: 'meeting-title' }, `Meeting ${meeting.link.meetingId}`);
  const lockBadge = h('span', { class: 'badge', id: 'lock-badge', hidden: true }, 'Locked');
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
    'E2EE',
  );
  replace(
    root,
    h(
      'div',
      { class: 'meeting' },
      h('header', { class: 'top' }, title, e2eeBadge, lockBadge, lobbyBadge, status, mediaWarning),
      h('div', { class: 'body' }, h('div', { class: 'stage' }, grid, reactions), side),
      controls,
      audioBox,
    ),
  );

  function toast(text: string): void {
    announce(text);
    const t = h('div', { class: 'toast', role: 'status' }, text);
    root.querySelector('.meeting')?.appendChild(t);
    setTimeout(() => t.remove(), 4000);
  }

  function tile(key: string): Tile {
    let t = tiles.get(key);
    if (t) return t;
    const video = h('video', { autoplay: true, playsInline: true, muted: true });
    const label = h('span', { class: 'name' });
    const badges = h('span', { class: 'badges' });
    const el = h(
      'div',
      { class: 'tile', role: 'listitem', 'data-key': key },
      video,
      h('div', { class: 'caption' }, label, badges),
    );
    t = { el, video, label, badges, trackId: '' };
    tiles.set(key, t);
    grid.appendChild(el);
    return t;
  }

  function setTrack(t: Tile, track: MediaStreamTrack | undefined): void {
    const id = track?.id ?? '';
    if (t.trackId === id) return;
    t.trackId = id;
    t.video.srcObject = track ? new MediaStream([track]) : null;
    t.el.classList.toggle('no-video', !track);
    // Only frames that decrypted reach the decoder: the first one shown is the time-to-media metric.
    if (track && t !== tiles.get('self') && performance.getEntriesByName(FIRST_FRAME_MARK).length === 0) {
      t.video.requestVideoFrameCallback?.(() => {
        if (performance.getEntriesByName(FIRST_FRAME_MARK).length === 0) performance.mark(FIRST_FRAME_MARK);
      });
    }
  }

  function renderGrid(): void {
    const keep = new Set<string>();
    const own = meeting.epoch?.ownLeaf;
    // Self
    const self = tile('self');
    keep.add('self');
    self.el.classList.add('self');
    const myVideo = meeting.camOn ? meeting.stream.getVideoTracks()[0] : undefined;
    setTrack(self, myVideo);
    self.video.classList.add('mirrored');
    self.label.textContent = `${meeting.name} (you)`;
    self.badges.textContent = `${meeting.micOn ? '' : '🔇'}${meeting.hand ? ' ✋' : ''}`;
    self.el.classList.toggle('speaking', meeting.activeSpeaker === meeting.sfu.peerId && meeting.micOn);

    // Everyone known by roster or by media
    const peers = new Map<string, { name: string; hand: boolean }>();
    for (const r of meeting.roster.values()) {
      if (r.leaf === own || !r.peerId) continue;
      // Two members naming one SFU peer: its media is not shown, and neither name is.
      const claimed = peers.has(r.peerId);
      peers.set(
        r.peerId,
        claimed ? { name: 'Unverified participant', hand: false } : { name: r.name, hand: r.hand },
      );
    }
    for (const t of meeting.tracks.values())
      if (!peers.has(t.peerId)) peers.set(t.peerId, { name: 'Joining…', hand: false });
    for (const [peerId, p] of peers) {
      const tracks = [...meeting.tracks.values()].filter((t) => t.peerId === peerId);
      const cam = tracks.find((t) => t.source === 'camera' && !t.paused);
      const mic = tracks.find((t) => t.source === 'mic');
      const screen = tracks.find((t) => t.source === 'screen' && !t.paused);
      const key = `peer:${peerId}`;
      keep.add(key);
      const t = tile(key);
      setTrack(t, cam?.consumer.track);
      t.el.classList.toggle(
        'mislabelled',
        tracks.some((x) => x.wrongSender),
      );
      t.label.textContent = p.name;
      t.badges.textContent = `${!mic || mic.paused ? '🔇' : ''}${p.hand ? ' ✋' : ''}`;
      t.el.classList.toggle('speaking', meeting.activeSpeaker === peerId);
      t.el.setAttribute(
        'aria-label',
        `${p.name}${!mic || mic.paused ? ', muted' : ''}${p.hand ? ', hand raised' : ''}`,
      );
      if (screen) {
        const sk = `screen:${peerId}`;
        keep.add(sk);
        const s = tile(sk);
        s.el.classList.add('screen');
        setTrack(s, screen.consumer.track);
        s.label.textContent = `${p.name}’s screen`;
      }
    }
    if (meeting.screen) {
      keep.add('screen:self');
      const s = tile('screen:self');
      s.el.classList.add('screen');
      setTrack(s, meeting.screen.getVideoTracks()[0]);
      s.label.textContent = 'Your screen';
    }
    for (const [key, t] of tiles) {
      if (!keep.has(key)) {
        t.el.remove();
        tiles.delete(key);
      }
    }
    grid.dataset['count'] = String(Math.min(tiles.size, 9));
    // Remote audio: one element per audio consumer.
    const liveAudio = new Set<string>();
    for (const [id, t] of meeting.tracks) {
      if (t.consumer.kind !== 'audio') continue;
      liveAudio.add(id);
      if (!audios.has(id)) {
        const a = h('audio', { autoplay: true });
        a.srcObject = new MediaStream([t.consumer.track]);
        audios.set(id, a);
        audioBox.appendChild(a);
      }
    }
    for (const [id, a] of audios) {
      if (!liveAudio.has(id)) {
        a.remove();
        audios.delete(id);
      }
    }
  }

  function renderPeople(): HTMLElement {
    const own = meeting.epoch?.ownLeaf;
    const items = [...meeting.roster.values()]
      .sort((a, b) => a.leaf - b.leaf)
      .map((r) => {
        const mic = [...meeting.tracks.values()].find((t) => t.peerId === r.peerId && t.source === 'mic');
        const actions =
          meeting.isHost && r.leaf !== own
            ? h(
                'div',
                { class: 'host-actions' },
                h(
                  'button',
                  {
                    type: 'button',
                    class: 'button small',
                    'data-action': 'mute',
                    onclick: () => void meeting.hostMute(r.leaf),
                  },
                  'Mute',
                ),
                h(
                  'button',
                  {
                    type: 'button',
                    class: 'button small',
                    'data-action': 'allow',
                    onclick: () => void meeting.hostAllowMic(r.leaf),
                  },
                  'Allow unmute',
                ),
                h(
                  'button',
                  {
                    type: 'button',
                    class: 'button small',
                    'data-action': 'stop-video',
                    onclick: () => void meeting.hostStopVideo(r.leaf),
                  },
                  'Stop video',
                ),
                h(
                  'button',
                  {
                    type: 'button',
                    class: 'button small danger',
                    'data-action': 'remove',
                    onclick: () => {
                      if (confirm(`Remove ${r.name} from the meeting?`)) void meeting.hostRemove(r.leaf);
                    },
                  },
                  'Remove',
                ),
              )
            : null;
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
            r.hand ? '✋' : '',
            r.leaf !== own && (!mic || mic.paused) ? ' 🔇' : '',
          ),
          actions,
        );
      });
    const unnamed = (meeting.epoch?.size ?? 0) - meeting.roster.size;
    return h(
      'section',
      { 'aria-labelledby': 'people-title' },
      meeting.isHost ? lobbyPanel() : null,
      h('h2', { id: 'people-title' }, `People (${meeting.epoch?.size ?? 1})`),
      h('ul', { class: 'people', id: 'people-list' }, items),
      unnamed > 0 ? h('p', { class: 'muted' }, `${unnamed} joining…`) : null,
      meeting.isHost ? hostPanel() : null,
    );
  }

  /** Hosts: people asking to join the locked meeting, with their names opened locally. */
  function lobbyPanel(): HTMLElement | null {
    if (meeting.lobby.length === 0) return null;
    const answer = (knockId: string, admit: boolean) =>
      void meeting.answerKnock(knockId, admit).catch((e: unknown) => toast(describeError(e).title));
    return h(
      'section',
      { class: 'lobby', id: 'lobby', 'aria-labelledby': 'lobby-title' },
      h('h2', { id: 'lobby-title' }, `Waiting to join (${meeting.lobby.length})`),
      h(
        'ul',
        { class: 'people', id: 'lobby-list' },
        meeting.lobby.map((k) =>
          h(
            'li',
            { class: 'person', 'data-knock': k.knockId },
            h('span', { class: 'person-name' }, k.name),
            h(
              'div',
              { class: 'host-actions' },
              h(
                'button',
                {
                  type: 'button',
                  class: 'button small primary',
                  'data-action': 'admit',
                  'aria-label': `Admit ${k.name}`,
                  onclick: () => answer(k.knockId, true),
                },
                'Admit',
              ),
              h(
                'button',
                {
                  type: 'button',
                  class: 'button small danger',
                  'data-action': 'deny',
                  'aria-label': `Deny ${k.name}`,
                  onclick: () => answer(k.knockId, false),
                },
                'Deny',
              ),
            ),
          ),
        ),
      ),
      h('p', { class: 'muted' }, 'Names are end-to-end encrypted; check you know who you let in.'),
    );
  }

  function hostPanel(): HTMLElement {
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
              void meeting.setLocked(!meeting.locked).catch((e: unknown) => toast(describeError(e).title)),
          },
          meeting.locked ? 'Unlock meeting' : 'Lock meeting',
        ),
        h(
          'button',
          {
            type: 'button',
            class: 'button danger',
            id: 'end-for-all',
            onclick: () => {
              if (confirm('End the meeting for everyone?')) void meeting.endForAll();
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
            onclick: async () => {
              if (
                !confirm(
                  'Make a new link for this permanent room? The current link stops working and this call ends for everyone; you then share the new link.',
                )
              )
                return;
              try {
                rotation = meeting.rotate().then((m) => {
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
                const fields = await rotation;
                if (!meeting.ended) replace(rotateOut, fields);
              } catch (e) {
                toast(describeError(e).detail);
              }
            },
          },
          'New link (permanent room)',
        ),
      ),
      rotateOut,
    );
  }

  function rotationText(seconds: number): string {
    if (!seconds) return 'only when someone joins or leaves';
    const every = seconds < 120 ? `${seconds} s` : `${Math.round(seconds / 60)} min`;
    return `about every ${every}, and whenever someone joins or leaves`;
  }

  function renderInfo(): HTMLElement {
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
        h('dd', { id: 'info-rotation' }, rotationText(meeting.keyRotationSeconds)),
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

  function renderSide(): void {
    side.hidden = panel === null;
    for (const [b, p] of [
      [chatBtn, 'chat'],
      [peopleBtn, 'people'],
      [infoBtn, 'info'],
    ] as const) {
      b.setAttribute('aria-pressed', String(panel === p));
    }
    if (panel === 'chat') {
      if (!side.contains(chatLog)) replace(side, h('h2', null, 'Chat'), chatLog, chatForm);
    } else if (panel === 'people') {
      showPanel(renderPeople());
    } else if (panel === 'info') {
      showPanel(renderInfo());
    }
  }

  /**
   * Swaps the side panel only when it looks different: the meeting changes many times a second
   * (speakers, layers, key frames), and rebuilding identical buttons under someone's pointer or
   * keyboard focus would swallow their click and lose their place.
   */
  function showPanel(next: HTMLElement): void {
    if (side.childElementCount === 1 && side.firstElementChild?.isEqualNode(next)) return;
    replace(side, next);
  }

  function render(): void {
    renderGrid();
    renderSide();
    micBtn.textContent = meeting.micOn ? 'Mute' : 'Unmute';
    micBtn.setAttribute('aria-pressed', String(!meeting.micOn));
    camBtn.textContent = meeting.camOn ? 'Stop video' : 'Start video';
    camBtn.setAttribute('aria-pressed', String(!meeting.camOn));
    screenBtn.textContent = meeting.screen ? 'Stop sharing' : 'Share screen';
    handBtn.textContent = meeting.hand ? 'Lower hand' : 'Raise hand';
    handBtn.setAttribute('aria-pressed', String(meeting.hand));
    lockBadge.hidden = !meeting.locked;
    mediaWarning.hidden = !meeting.mislabelledMedia;
    const waiting = meeting.lobby.length;
    lobbyBadge.hidden = waiting === 0;
    lobbyBadge.textContent = waiting === 1 ? '1 person waiting' : `${waiting} people waiting`;
    peopleBtn.textContent = waiting ? `People (${waiting} waiting)` : 'People';
    peopleBtn.classList.toggle('unread', waiting > 0);
    status.textContent =
      meeting.connection === 'reconnecting'
        ? 'Reconnecting…'
        : meeting.epoch
          ? ''
          : 'Joining the encrypted group…';
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
      chatLog.appendChild(
        h(
          'li',
          { class: line.self ? 'self' : '' },
          h('strong', null, line.from),
          ' ',
          h('span', { class: 'chat-text' }, line.text),
        ),
      );
      chatLog.scrollTop = chatLog.scrollHeight;
      if (!line.self) {
        announce(`${line.from}: ${line.text}`);
        if (panel !== 'chat') chatBtn.classList.add('unread');
      } else chatBtn.classList.remove('unread');
    },
    reaction(name, emoji) {
      const r = h('div', { class: 'reaction' }, `${emoji} ${name}`);
      reactions.appendChild(r);
      announce(`${name} reacted ${emoji}`);
      setTimeout(() => r.remove(), 3000);
    },
    notice: toast,
    ended(reason) {
      // Left or lost: "Rejoin" reloads this tab with the link it kept. Otherwise it is useless.
      if (reason !== 'left' && reason !== 'lost') forgetMeetingLink(meeting.link);
      if (rotation) {
        const links = h('section', { class: 'card' }, h('p', { role: 'status' }, 'Making the new link…'));
        replace(
          root,
          errorPage({
            title: 'This room has a new link',
            detail: 'The old link no longer works. Share the new one.',
          }),
          links,
        );
        rotation.then(
          (fields) => replace(links, fields),
          (error: unknown) =>
            replace(links, h('p', { class: 'error', role: 'alert' }, describeError(error).detail)),
        );
        root.dataset['ended'] = reason;
        return;
      }
      replace(
        root,
        errorPage(
          END_MESSAGES[reason]!,
          reason === 'left' || reason === 'lost' ? { label: 'Rejoin' } : { label: 'Home', href: '/' },
        ),
      );
      root.dataset['ended'] = reason;
    },
  });
  // Escape closes the reactions menu, then the side panel.
  document.addEventListener('keydown', (e) => {
    if (e.key !== 'Escape' || meeting.ended) return;
    if (!reactMenu.hidden) {
      reactMenu.hidden = true;
      reactBtn.setAttribute('aria-expanded', 'false');
      reactBtn.focus();
    } else if (panel) {
      const opener = panel === 'chat' ? chatBtn : panel === 'people' ? peopleBtn : infoBtn;
      panel = null;
      render();
      opener.focus();
    }
  });
  render();
  // Rendering ticks so that new frames/tracks and stats show without a change event.
  const timer = setInterval(() => {
    if (meeting.ended) return clearInterval(timer);
    render();
    void meeting.watchVideo();
  }, 1000);
}
