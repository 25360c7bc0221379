/**
 * The video grid: one tile for this person, one per other SFU peer known by roster or media,
 * one per shared screen; and one hidden audio element per remote microphone. A person's tile
 * shows when they speak and how well their media gets through (tile-indicators.ts).
 */
import { h } from '../../dom.ts';
import type { Quality } from '../../meeting/connection-quality.ts';
import type { Meeting } from '../../meeting/meeting.ts';
import { icon } from '../icons.ts';
import { type TileIndicators, tileIndicators } from './tile-indicators.ts';

/** Performance mark of the first decrypted remote frame on screen (the time-to-media metric). */
export const FIRST_FRAME_MARK = 'conclave:first-remote-frame';

interface Tile {
  el: HTMLElement;
  video: HTMLVideoElement;
  label: HTMLElement;
  badges: HTMLElement;
  indicators: TileIndicators;
  trackId: string;
}

export interface VideoGrid {
  grid: HTMLElement;
  audioBox: HTMLElement;
  render(): void;
}

/** Only a poor connection is named in the tile's label: screen readers are not told every change. */
const poorNote = (quality: Quality) => (quality === 'poor' ? ', poor connection' : '');

export function videoGrid(meeting: Meeting): VideoGrid {
  const tiles = new Map<string, Tile>();
  const audios = new Map<string, HTMLAudioElement>();
  const grid = h('div', { class: 'grid', id: 'grid', role: 'list', 'aria-label': 'Participants’ video' });
  const audioBox = h('div', { class: 'sr-only', 'aria-hidden': 'true' });
  const { local, remote, people } = meeting;

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
    t = { el, video, label, badges, indicators, trackId: '' };
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

  function renderPeers(keep: Set<string>): void {
    for (const [peerId, p] of peers()) {
      const tracks = [...remote.tracks.values()].filter((t) => t.peerId === peerId);
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
      showBadges(t, !mic || mic.paused, p.hand);
      const quality = remote.quality(peerId);
      t.indicators.show(t.el, remote.isSpeaking(peerId), quality);
      t.el.setAttribute(
        'aria-label',
        `${p.name}${!mic || mic.paused ? ', muted' : ''}${p.hand ? ', hand raised' : ''}${poorNote(quality)}`,
      );
      if (screen) {
        const sk = `screen:${peerId}`;
        keep.add(sk);
        const s = tile(sk);
        s.el.classList.add('screen');
        s.indicators.hide();
        setTrack(s, screen.consumer.track);
        s.label.textContent = `${p.name}’s screen`;
      }
    }
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
    renderSelf(keep);
    renderPeers(keep);
    if (local.screen) {
      keep.add('screen:self');
      const s = tile('screen:self');
      s.el.classList.add('screen');
      s.indicators.hide();
      setTrack(s, local.screen.getVideoTracks()[0]);
      s.label.textContent = 'Your screen';
    }
    for (const [key, t] of tiles) {
      if (!keep.has(key)) {
        t.el.remove();
        tiles.delete(key);
      }
    }
    grid.dataset['count'] = String(Math.min(tiles.size, 9));
    renderAudio();
    resumePlayback();
  }

  /** Phone browsers pause media elements in the background; play them again on return. */
  function resumePlayback(): void {
    if (document.visibilityState === 'hidden') return;
    const media = [...[...tiles.values()].map((t) => t.video), ...audios.values()];
    for (const m of media) if (m.paused && m.srcObject) void m.play().catch(() => {});
  }

  return { grid, audioBox, render };
}
