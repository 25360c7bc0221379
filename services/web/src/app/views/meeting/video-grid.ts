/**
 * The video grid: one tile for this person, one per shared screen, and one per other SFU peer
 * shown: in the gallery, those on the page shown (grid-pages.ts: pinned people, then everyone
 * in pages, the speaker brought onto the first); in the speaker view or while a screen is
 * shared, one large tile on the stage and a filmstrip of small ones (stage-layout.ts). Also one
 * hidden audio element per remote microphone. A person's tile shows when they speak and how
 * well their media gets through (tile-indicators.ts). Only the video on screen is received, at
 * the size of its tile (video-subscriptions.ts).
 */
import { h } from '../../dom.ts';
import type { Quality } from '../../meeting/connection-quality.ts';
import type { Meeting } from '../../meeting/meeting.ts';
import type { RemoteTrack } from '../../meeting/types.ts';
import { icon } from '../icons.ts';
import { gridBar } from './grid-bar.ts';
import { GridPages } from './grid-pages.ts';
import { layoutChoice } from './layout-choice.ts';
import { OWN_SCREEN_KEY, type Stage, StageLayout } from './stage-layout.ts';
import { type TileIndicators, tileIndicators } from './tile-indicators.ts';
import { tilesPerPage } from './tiles-per-page.ts';

/** Performance mark of the first decrypted remote frame on screen (the time-to-media metric). */
export const FIRST_FRAME_MARK = 'conclave:first-remote-frame';

interface Tile {
  el: HTMLElement;
  video: HTMLVideoElement;
  label: HTMLElement;
  badges: HTMLElement;
  indicators: TileIndicators;
  trackId: string;
  /** The remote video consumer shown in it, if any. */
  consumerId: string;
  pin: HTMLButtonElement | undefined;
}

export interface VideoGrid {
  grid: HTMLElement;
  /** The bar over the grid: the layout choice, and the pages when everyone does not fit on one. */
  pager: HTMLElement;
  audioBox: HTMLElement;
  render(): void;
}

/** Only a poor connection is named in the tile's label: screen readers are not told every change. */
const poorNote = (quality: Quality) => (quality === 'poor' ? ', poor connection' : '');

export function videoGrid(meeting: Meeting): VideoGrid {
  const tiles = new Map<string, Tile>();
  const audios = new Map<string, HTMLAudioElement>();
  const grid = h('div', { class: 'grid', id: 'grid', role: 'list', 'aria-label': 'Participants’ video' });
  // The stage layout's small tiles, beside (or on a phone, below) the large one.
  const filmstrip = h('div', { class: 'filmstrip' });
  const audioBox = h('div', { class: 'sr-only', 'aria-hidden': 'true' });
  const { local, remote, people } = meeting;
  // This person's own tile is on every page; the page holds the others.
  const pages = new GridPages(tilesPerPage() - 1);
  const stage = new StageLayout();
  let lastSpeaker = '';
  const bar = gridBar(pages, () => render());
  // A tile that grows (a window resized, a phone turned) may want a sharper layer.
  new ResizeObserver(() => subscribe()).observe(grid);

  function tile(key: string): Tile {
    let t = tiles.get(key);
    if (t) return t;
    const video = h('video', { autoplay: true, playsInline: true, muted: true });
    const label = h('span', { class: 'name' });
    const badges = h('span', { class: 'badges' });
    const indicators = tileIndicators();
    const el = h(
      'div',
      { class: 'tile', role: 'listitem', 'data-key': key },
      video,
      h('div', { class: 'caption' }, indicators.speaking, label, badges, indicators.signal),
    );
    t = { el, video, label, badges, indicators, trackId: '', consumerId: '', pin: undefined };
    tiles.set(key, t);
    grid.appendChild(el);
    return t;
  }

  /** A pin button on a person's tile: pinned, they stay on every page, first. */
  function pinButton(t: Tile, peerId: string, name: string): void {
    if (!t.pin) {
      t.pin = h('button', { type: 'button', class: 'pin' });
      t.pin.addEventListener('click', () => {
        pages.togglePin(peerId);
        render();
      });
      t.el.querySelector('.caption')?.appendChild(t.pin);
    }
    const pinned = pages.isPinned(peerId);
    if (t.pin.dataset['pinned'] === String(pinned) && t.pin.dataset['name'] === name) return;
    t.pin.dataset['pinned'] = String(pinned);
    t.pin.dataset['name'] = name;
    t.pin.setAttribute('aria-pressed', String(pinned));
    t.pin.setAttribute('aria-label', `${pinned ? 'Unpin' : 'Pin'} ${name}`);
    t.pin.title = pinned ? 'Unpin' : 'Pin';
    t.pin.replaceChildren(icon(pinned ? 'pinned' : 'pin'));
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

  function renderSelf(keep: Set<string>): void {
    const self = tile('self');
    keep.add('self');
    self.el.classList.add('self');
    const camera = local.stream.getVideoTracks()[0];
    setTrack(self, local.camOn ? camera : undefined);
    // A selfie view is mirrored; a back camera shows the world as it is.
    self.video.classList.toggle('mirrored', camera?.getSettings().facingMode !== 'environment');
    self.label.textContent = `${meeting.name} (you)`;
    showBadges(self, !local.micOn, people.hand);
    const quality = meeting.sending.level;
    self.indicators.show(self.el, remote.activeSpeaker === meeting.sfu.peerId && local.micOn, quality);
    self.el.setAttribute(
      'aria-label',
      `${meeting.name} (you)${local.micOn ? '' : ', muted'}${people.hand ? ', hand raised' : ''}${poorNote(quality)}`,
    );
  }

  /** Muted and hand-raised icons; the tile's label says both in words. Rebuilt only on a change. */
  function showBadges(t: Tile, muted: boolean, hand: boolean): void {
    const state = `${muted} ${hand}`;
    if (t.badges.dataset['state'] === state) return;
    t.badges.dataset['state'] = state;
    t.badges.replaceChildren(...(muted ? [icon('micOff')] : []), ...(hand ? [icon('hand')] : []));
  }

  /** Everyone known by roster or by media, by SFU peer. */
  function peers(): Map<string, { name: string; hand: boolean }> {
    const own = meeting.epoch?.ownLeaf;
    const found = new Map<string, { name: string; hand: boolean }>();
    for (const r of people.roster.values()) {
      if (r.leaf === own || !r.peerId) continue;
      // Two members naming one SFU peer: its media is not shown, and neither name is.
      const claimed = found.has(r.peerId);
      found.set(
        r.peerId,
        claimed ? { name: 'Unverified participant', hand: false } : { name: r.name, hand: r.hand },
      );
    }
    for (const t of remote.tracks.values())
      if (!found.has(t.peerId)) found.set(t.peerId, { name: 'Joining…', hand: false });
    return found;
  }

  /**
   * The layout now: the stage and filmstrip (speaker view, or a screen shared), or undefined for
   * the gallery's page. `screens`: the keys of the screens shared.
   */
  function arrange(peerIds: Iterable<string>, screens: string[]): Stage | undefined {
    pages.perPage = tilesPerPage() - 1;
    pages.sync(peerIds);
    if (remote.activeSpeaker !== lastSpeaker) {
      lastSpeaker = remote.activeSpeaker;
      if (remote.isSpeaking(lastSpeaker)) {
        pages.spoke(lastSpeaker, performance.now());
        stage.spoke(lastSpeaker);
      }
    }
    const layout = stage.arrange({
      choice: layoutChoice(),
      people: pages.everyone(),
      pinned: pages.pinned,
      screens,
      room: pages.perPage,
      now: performance.now(),
    });
    bar.show(!layout);
    return layout;
  }

  /** The others' tiles and screens shown; everyone else's video is not received. */
  function renderPeers(keep: Set<string>): Stage | undefined {
    const all = peers();
    // Each person's consumers, gathered in one pass: a big meeting has thousands.
    const byPeer = new Map<string, [string, RemoteTrack][]>();
    for (const entry of remote.tracks) {
      const list = byPeer.get(entry[1].peerId);
      if (list) list.push(entry);
      else byPeer.set(entry[1].peerId, [entry]);
    }
    const screens = new Map<string, [string, RemoteTrack]>();
    for (const [peerId, tracks] of byPeer) {
      const screen = tracks.find(([, t]) => t.source === 'screen' && !t.paused);
      if (screen && all.has(peerId)) screens.set(`screen:${peerId}`, screen);
    }
    const layout = arrange(all.keys(), [...(local.screen ? [OWN_SCREEN_KEY] : []), ...screens.keys()]);
    const shown = layout
      ? [layout.stage, ...layout.strip].filter((k) => k.startsWith('peer:')).map((k) => k.slice(5))
      : pages.visible();
    // A shared screen is shown whichever page is, and on the stage or in the filmstrip.
    for (const [sk, [consumerId, screen]] of screens) {
      keep.add(sk);
      const s = tile(sk);
      s.el.classList.add('screen');
      s.indicators.hide();
      setTrack(s, screen.consumer.track);
      s.consumerId = consumerId;
      s.label.textContent = `${all.get(screen.peerId)!.name}’s screen`;
    }
    for (const peerId of shown) {
      const p = all.get(peerId)!;
      const tracks = byPeer.get(peerId) ?? [];
      const cam = tracks.find(([, t]) => t.source === 'camera' && !t.paused);
      const mic = tracks.find(([, t]) => t.source === 'mic')?.[1];
      const key = `peer:${peerId}`;
      keep.add(key);
      const t = tile(key);
      setTrack(t, cam?.[1].consumer.track);
      t.consumerId = cam?.[0] ?? '';
      pinButton(t, peerId, p.name);
      t.el.classList.toggle(
        'mislabelled',
        tracks.some(([, x]) => x.wrongSender),
      );
      t.label.textContent = p.name;
      showBadges(t, !mic || mic.paused, p.hand);
      const quality = remote.quality(peerId);
      t.indicators.show(t.el, remote.isSpeaking(peerId), quality);
      t.el.setAttribute(
        'aria-label',
        `${p.name}${!mic || mic.paused ? ', muted' : ''}${p.hand ? ', hand raised' : ''}${poorNote(quality)}`,
      );
    }
    return layout;
  }

  /**
   * Tells the SFU which video is on screen and how big: what a tile shows is received at the
   * layer that fits it; the rest is not received at all.
   */
  function subscribe(): void {
    const shown = new Map<string, number>();
    for (const t of tiles.values()) {
      if (!t.consumerId || !t.el.isConnected) continue;
      // object-fit: cover crops a 16:9 picture to the tile: the picture is at least this high.
      const height = Math.max(t.el.clientHeight, (t.el.clientWidth * 9) / 16) * devicePixelRatio;
      shown.set(t.consumerId, height);
    }
    const video = [...remote.tracks]
      .filter(([, t]) => t.consumer.kind === 'video')
      .map(([id, t]) => ({ id, layered: t.layered }));
    meeting.video.apply(video, shown);
  }

  /** Remote audio: one element per audio consumer. */
  function renderAudio(): void {
    const live = new Set<string>();
    for (const [id, t] of remote.tracks) {
      if (t.consumer.kind !== 'audio') continue;
      live.add(id);
      if (!audios.has(id)) {
        const a = h('audio', { autoplay: true });
        a.srcObject = new MediaStream([t.consumer.track]);
        meeting.speaker.attach(a);
        audios.set(id, a);
        audioBox.appendChild(a);
      }
    }
    for (const [id, a] of audios) {
      if (!live.has(id)) {
        meeting.speaker.release(a);
        a.remove();
        audios.delete(id);
      }
    }
  }

  function render(): void {
    const keep = new Set<string>();
    if (local.screen) {
      keep.add('screen:self');
      const s = tile('screen:self');
      s.el.classList.add('screen');
      s.indicators.hide();
      setTrack(s, local.screen.getVideoTracks()[0]);
      s.label.textContent = 'Your screen';
    }
    renderSelf(keep);
    const layout = renderPeers(keep);
    for (const [key, t] of tiles) {
      if (!keep.has(key)) {
        t.el.remove();
        tiles.delete(key);
      }
    }
    order(keep, layout);
    grid.dataset['count'] = String(Math.min(tiles.size, 9));
    renderAudio();
    subscribe();
    resumePlayback();
  }

  /**
   * The stage's tile, then the filmstrip; or in the gallery, shared screens first, then this
   * person and the page's people in the page's order. Tiles are moved only if needed.
   */
  function order(keep: Set<string>, layout: Stage | undefined): void {
    const el = (key: string) => tiles.get(key)!.el;
    grid.dataset['layout'] = layout ? 'stage' : 'gallery';
    if (layout) {
      place(filmstrip, layout.strip.map(el));
      filmstrip.hidden = layout.strip.length === 0;
      place(grid, [el(layout.stage), filmstrip]);
    } else {
      const isScreen = (key: string) => Number(key.startsWith('screen:'));
      place(grid, [...keep].sort((a, b) => isScreen(b) - isScreen(a)).map(el));
    }
  }

  function place(parent: HTMLElement, wanted: HTMLElement[]): void {
    const same =
      wanted.length === parent.children.length && wanted.every((el, i) => parent.children[i] === el);
    if (!same) parent.replaceChildren(...wanted);
  }

  /** Phone browsers pause media elements in the background; play them again on return. */
  function resumePlayback(): void {
    if (document.visibilityState === 'hidden') return;
    const media = [...[...tiles.values()].map((t) => t.video), ...audios.values()];
    for (const m of media) if (m.paused && m.srcObject) void m.play().catch(() => {});
  }

  return { grid, pager: bar.el, audioBox, render };
}
