/**
 * Everyone else's media: the SFU's consumers, which roster leaf each may show (media-binding.ts),
 * refused mislabelled frames, the active speaker, key frame requests when a picture stalls, and
 * each person's connection quality (connection-quality.ts).
 */
import type { ConsumerInfo } from '@conclave/protocol';
import type { Consumer } from 'mediasoup-client/types';
import { bindingKey, senderFor } from '../media-binding.ts';
import { type Quality, QualityTracker, worst } from './connection-quality.ts';
import type { MediaCrypto, MediaCryptoStats } from '../media-crypto.ts';
import { NEW_CONSUMER_KEY_FRAME_MS } from './epoch-keys.ts';
import type { RemoteTrack, RosterEntry, StateEvents } from './types.ts';

export const MISLABELLED_MEDIA =
  'The media server sent audio or video that did not come from the person it was labelled with. It is not shown. The server may be compromised.';

export interface RemoteMediaDeps {
  crypto: Pick<MediaCrypto, 'bindReceiver' | 'releaseReceiver'>;
  /** Whether the SFU forwards a video consumer now, and at which layer (video-subscriptions.ts). */
  forwarding(consumerId: string): { receiving: boolean; layer: number | null };
  /** Asks the SFU for a key frame on one consumer. */
  requestKeyFrame(consumerId: string): Promise<unknown>;
  /** The roster entries of everyone but us: who may send on which SFU peer. */
  claims(): RosterEntry[];
  ended(): boolean;
  /** The send transport's round trip to the SFU, for receivers whose stats give none. */
  sendRtt?(): number | undefined;
  events: StateEvents;
}

/** Packets received since the last decoded frame after which a picture counts as stalled. */
const STALLED_AFTER_PACKETS = 10;

/** What the SFU says about others' media, as `SfuEvents` a meeting forwards here. */
export class RemoteMedia {
  readonly tracks = new Map<string, RemoteTrack>();
  activeSpeaker = '';
  /** Media the SFU labelled with someone it did not come from was refused (shown as a warning). */
  mislabelledMedia = false;
  readonly #deps: RemoteMediaDeps;
  readonly #decoded = new Map<string, { frames: number; packets: number }>();
  /** Audibility told for a consumer not added yet (the SFU tells it before answering the consume). */
  readonly #audibleEarly = new Map<string, boolean>();
  readonly #quality: QualityTracker;

  constructor(deps: RemoteMediaDeps) {
    this.#deps = deps;
    this.#quality = new QualityTracker(() => deps.sendRtt?.());
  }

  added(consumer: Consumer, info: ConsumerInfo): void {
    this.tracks.set(consumer.id, {
      consumer,
      peerId: info.peerId,
      source: info.source,
      layered: info.type === 'simulcast' || info.type === 'svc',
      paused: info.producerPaused,
      inaudible: this.#audibleEarly.get(consumer.id) === false,
      leaf: undefined,
      binding: undefined,
      wrongSender: false,
    });
    this.#audibleEarly.delete(consumer.id);
    this.bind();
    // Its first key frame may have been sent under a key we did not hold yet.
    if (consumer.kind === 'video')
      setTimeout(() => this.requestKeyFrames(new Set([consumer.id])), NEW_CONSUMER_KEY_FRAME_MS);
    this.#deps.events.changed();
  }

  removed(id: string): void {
    this.tracks.delete(id);
    this.#audibleEarly.delete(id);
    this.#deps.crypto.releaseReceiver(id);
    this.#deps.events.changed();
  }

  producerPaused(producerId: string, paused: boolean): void {
    for (const t of this.tracks.values()) if (t.consumer.producerId === producerId) t.paused = paused;
    this.#deps.events.changed();
  }

  /** The SFU stopped or started forwarding this microphone: its silence is not a lost connection. */
  audible(consumerId: string, audible: boolean): void {
    const t = this.tracks.get(consumerId);
    if (t) t.inaudible = !audible;
    else this.#audibleEarly.set(consumerId, audible);
  }

  peerLeft(peerId: string): void {
    for (const [id, t] of this.tracks)
      if (t.peerId === peerId) {
        this.tracks.delete(id);
        this.#deps.crypto.releaseReceiver(id);
      }
    this.#deps.events.changed();
  }

  /** How well this person's camera and microphone reach us: the worst of them that can be told. */
  quality(peerId: string): Quality {
    const levels: Quality[] = [];
    for (const [id, t] of this.tracks)
      if (t.peerId === peerId && t.source !== 'screen') levels.push(this.#quality.level(id));
    return worst(levels);
  }

  /** The SFU's active speaker, unless their microphone is paused now (the SFU names the last one). */
  isSpeaking(peerId: string): boolean {
    if (this.activeSpeaker !== peerId) return false;
    return [...this.tracks.values()].some((t) => t.peerId === peerId && t.source === 'mic' && !t.paused);
  }

  speaking(peerId: string): void {
    this.activeSpeaker = peerId;
    this.#deps.events.changed();
  }

  /** The SFU connection is gone, and its consumers with it. */
  clear(): void {
    for (const id of this.tracks.keys()) this.#deps.crypto.releaseReceiver(id);
    this.tracks.clear();
    this.#audibleEarly.clear();
  }

  /** Binds every consumer to the leaf the MLS roster gives for its peer; asks for a key frame when that changes. */
  bind(): void {
    const claims = this.#deps.claims();
    const rebound = new Set<string>();
    for (const [id, t] of this.tracks) {
      const sender = senderFor(claims, t.peerId, t.source);
      const key = bindingKey(sender);
      if (t.binding === key) continue;
      t.binding = key;
      t.leaf = sender?.leafIndex;
      t.wrongSender = false;
      this.#deps.crypto.bindReceiver(id, sender);
      if (sender) rebound.add(id);
    }
    // Frames before the binding were dropped, the key frame with them.
    if (rebound.size) this.requestKeyFrames(rebound);
  }

  /** The frame worker dropped frames of another sender on this consumer. */
  wrongSender(consumerId: string): void {
    const t = this.tracks.get(consumerId);
    if (!t || t.wrongSender) return;
    t.wrongSender = true;
    if (!this.mislabelledMedia) {
      this.mislabelledMedia = true;
      this.#deps.events.notice(MISLABELLED_MEDIA);
    }
    this.#deps.events.changed();
  }

  /** Nothing arrives on it: its sender paused, the SFU does not forward it, or (video) the grid does not show it. */
  #idle(id: string, t: RemoteTrack): boolean {
    return t.paused || t.inaudible || (t.consumer.kind === 'video' && !this.#deps.forwarding(id).receiving);
  }

  requestKeyFrames(onlyStalled?: Set<string>): void {
    if (this.#deps.ended()) return;
    for (const [id, t] of this.tracks) {
      if (t.consumer.kind !== 'video' || this.#idle(id, t) || (onlyStalled && !onlyStalled.has(id))) continue;
      void this.#deps.requestKeyFrame(id).catch(() => {});
    }
  }

  /**
   * Reads each consumer's stats once (called every second): a video consumer receiving packets
   * but decoding nothing lost its key frame, so one is asked for (every second until a frame
   * decodes); and each one's quality.
   */
  async watch(): Promise<void> {
    const stalled = new Set<string>();
    let changed = false;
    for (const [id, t] of this.tracks) {
      const before = this.#quality.level(id);
      // A paused consumer has nothing to measure: no stats are read for it.
      const idle = this.#idle(id, t);
      const stats = idle ? undefined : await t.consumer.getStats().catch(() => undefined);
      if (this.#quality.update(id, 'in', t.consumer.kind, stats, idle) !== before) changed = true;
      if (t.consumer.kind !== 'video') continue;
      stats?.forEach((s: Record<string, unknown>) => {
        if (s['type'] !== 'inbound-rtp') return;
        const now = { frames: Number(s['framesDecoded'] ?? 0), packets: Number(s['packetsReceived'] ?? 0) };
        // Counted from the last frame decoded, not from a second ago: a small layer on a busy
        // sender comes at a few packets a second, and would never look stalled otherwise.
        const since = this.#decoded.get(id);
        if (since && now.frames === since.frames && now.packets >= since.packets) {
          if (now.packets > since.packets + STALLED_AFTER_PACKETS) stalled.add(id);
        } else this.#decoded.set(id, now);
      });
    }
    this.#quality.retain(new Set(this.tracks.keys()));
    if (stalled.size) this.requestKeyFrames(stalled);
    if (changed) this.#deps.events.changed();
  }

  /**
   * Per consumer: whose it is, what arrived and (given the frame worker's per-receiver counts)
   * what its frames became (the info panel and tests read it).
   */
  async stats(frames: MediaCryptoStats['receivers'] = {}): Promise<Record<string, unknown>[]> {
    const remote = [];
    for (const [id, t] of this.tracks) {
      const stats = await t.consumer.getStats().catch(() => undefined);
      let inbound: Record<string, unknown> = {};
      stats?.forEach((s: Record<string, unknown>) => {
        if (s['type'] === 'inbound-rtp') inbound = s;
      });
      remote.push({
        peerId: t.peerId,
        source: t.source,
        leaf: t.leaf ?? null,
        wrongSender: t.wrongSender,
        kind: t.consumer.kind,
        paused: t.paused,
        ...(t.consumer.kind === 'video' ? this.#deps.forwarding(id) : { receiving: true, layer: null }),
        framesDecoded: inbound['framesDecoded'] ?? 0,
        frameHeight: inbound['frameHeight'] ?? 0,
        packetsReceived: inbound['packetsReceived'] ?? 0,
        totalAudioEnergy: inbound['totalAudioEnergy'] ?? 0,
        audioLevel: inbound['audioLevel'] ?? 0,
        frames: frames[id] ?? null,
      });
    }
    return remote;
  }
}
