/**
 * Everything the SFU offers a receiver, consumed over a recv transport and counted, not
 * decrypted: every microphone and camera in the room (those there at the join and every
 * `newProducer` after), with video resumed as the receiving client would:
 *
 * - `shown`: as the web client does now (src/app/meeting/video-subscriptions.ts): video only
 *   for the tiles on the page shown (the first `tiles − 1` cameras in arrival order, the
 *   last tile being this person's own), at the simulcast layer that fits the tile;
 * - `everything`: as it did before: every camera resumed at the top layer.
 *
 * Audio is always resumed (the SFU itself forwards only the most recently loud microphones).
 * The receiver announces no bandwidth estimation (no transport-cc, no REMB), so the SFU sends
 * the layers asked for rather than what an estimate ramping up on loopback allows. Counted:
 * RTP packets and their bytes as they arrive (SRTP: header, encrypted payload and
 * authentication tag; neither authenticated nor decrypted, see webrtc-link.ts), by kind.
 */
import type { ProducerInfo, RtpCapabilities, SfuNotification } from '@conclave/protocol';
import { openTransport } from './sfu-media.ts';
import type { SfuSignaling } from './sfu-signaling.ts';
import type { WebRtcLink } from './webrtc-link.ts';

export type ReceiveMode = 'shown' | 'everything';

export interface ReceivePolicy {
  mode: ReceiveMode;
  /** Tiles on a gallery page, this person's own included. Default 9. */
  tiles?: number;
  /** Spatial layer asked for a shown tile (0: 180 lines, 1: 360, 2: 720). Default 0. */
  layer?: number;
}

export interface ReceivedCounts {
  packets: number;
  bytes: number;
  audioBytes: number;
  videoBytes: number;
  /** Cameras resumed now. */
  videoResumed: number;
}

interface Consumed {
  consumerId: string;
  producerId: string;
  kind: 'audio' | 'video';
  resumed: boolean;
  /** The spatial layer the SFU sends now (video), as it last said. */
  layer: number | null;
}

/** The router's capabilities without bandwidth estimation feedback. */
function withoutEstimation(caps: RtpCapabilities): RtpCapabilities {
  const estimation = (type: string) => type === 'transport-cc' || type === 'goog-remb';
  return {
    ...caps,
    codecs: caps.codecs?.map((c) => ({
      ...c,
      rtcpFeedback: c.rtcpFeedback?.filter((f) => !estimation(f.type)),
    })),
    headerExtensions: caps.headerExtensions?.filter(
      (h) => !h.uri.includes('transport-wide-cc') && !h.uri.includes('abs-send-time'),
    ),
  };
}

export class MediaCounter {
  readonly #sfu: SfuSignaling;
  readonly #transportId: string;
  readonly #caps: RtpCapabilities;
  readonly link: WebRtcLink;
  readonly #consumers = new Map<string, Consumed>();
  readonly #cameras: string[] = [];
  readonly #seen = new Set<string>();
  readonly #kindBySsrc = new Map<number, 'audio' | 'video'>();
  #policy: Required<ReceivePolicy>;
  readonly counts: ReceivedCounts = { packets: 0, bytes: 0, audioBytes: 0, videoBytes: 0, videoResumed: 0 };

  private constructor(
    sfu: SfuSignaling,
    opened: { transportId: string; link: WebRtcLink },
    policy: ReceivePolicy,
  ) {
    this.#sfu = sfu;
    this.#transportId = opened.transportId;
    this.link = opened.link;
    this.#caps = withoutEstimation(sfu.welcome.rtpCapabilities);
    this.#policy = { tiles: 9, layer: 0, ...policy };
    this.link.decryptRtp = false;
    this.link.onRtp = (packet) => this.#rtp(packet);
  }

  static async open(sfu: SfuSignaling, policy: ReceivePolicy): Promise<MediaCounter> {
    const counter = new MediaCounter(sfu, await openTransport(sfu, 'recv'), policy);
    const { producers } = await sfu.request('listProducers', {});
    await Promise.all([...sfu.welcome.producers, ...producers].map((p) => counter.consume(p)));
    return counter;
  }

  notification(n: SfuNotification): void {
    if (n.method === 'newProducer') void this.consume(n.data);
    else if (n.method === 'consumerLayersChanged') {
      const c = this.#consumers.get(n.data.consumerId);
      if (c) c.layer = n.data.spatialLayer;
    } else if (n.method === 'consumerClosed') this.#forget(n.data.consumerId);
    else if (n.method === 'producerClosed')
      for (const c of this.#consumers.values())
        if (c.producerId === n.data.producerId) this.#forget(c.consumerId);
  }

  async consume(producer: ProducerInfo): Promise<void> {
    if (producer.peerId === this.#sfu.peerId || this.#seen.has(producer.producerId)) return;
    if (producer.source !== 'mic' && producer.source !== 'camera') return;
    this.#seen.add(producer.producerId);
    try {
      const info = await this.#sfu.request('consume', {
        transportId: this.#transportId,
        producerId: producer.producerId,
        rtpCapabilities: this.#caps,
      });
      const kind = info.kind as 'audio' | 'video';
      for (const e of (info.rtpParameters as { encodings?: { ssrc?: number }[] }).encodings ?? [])
        if (e.ssrc !== undefined) this.#kindBySsrc.set(e.ssrc, kind);
      const consumed: Consumed = {
        consumerId: info.consumerId,
        producerId: info.producerId,
        kind,
        resumed: false,
        layer: null,
      };
      this.#consumers.set(info.consumerId, consumed);
      if (kind === 'video') this.#cameras.push(info.consumerId);
      await this.#apply(consumed);
    } catch {
      // The producer closed meanwhile, or the connection did: nothing to receive.
    }
  }

  /** Receives from now on as `policy` says. */
  async setPolicy(policy: ReceivePolicy): Promise<void> {
    this.#policy = { tiles: 9, layer: 0, ...policy };
    await Promise.all([...this.#consumers.values()].map((c) => this.#apply(c).catch(() => {})));
  }

  async #apply(c: Consumed): Promise<void> {
    const { mode, tiles, layer } = this.#policy;
    let wanted = true;
    let spatialLayer = 2;
    if (c.kind === 'video' && mode === 'shown') {
      wanted = this.#cameras.indexOf(c.consumerId) < tiles - 1;
      spatialLayer = layer;
    }
    if (c.kind === 'video' && wanted)
      await this.#sfu.request('setConsumerPreferredLayers', { consumerId: c.consumerId, spatialLayer });
    if (wanted === c.resumed) return;
    c.resumed = wanted;
    if (c.kind === 'video') this.counts.videoResumed += wanted ? 1 : -1;
    await this.#sfu.request(wanted ? 'resumeConsumer' : 'pauseConsumer', { consumerId: c.consumerId });
  }

  /** The spatial layers the SFU sends now, one per camera resumed (null: none yet). */
  layers(): (number | null)[] {
    return [...this.#consumers.values()].filter((c) => c.kind === 'video' && c.resumed).map((c) => c.layer);
  }

  #forget(consumerId: string): void {
    const c = this.#consumers.get(consumerId);
    if (!c) return;
    this.#consumers.delete(consumerId);
    if (c.kind === 'video' && c.resumed) this.counts.videoResumed--;
    const at = this.#cameras.indexOf(consumerId);
    if (at >= 0) this.#cameras.splice(at, 1);
  }

  #rtp(packet: Buffer): void {
    const n = packet.length;
    this.counts.packets++;
    this.counts.bytes += n;
    // RTX and probation packets have SSRCs of their own: counted as video.
    if (this.#kindBySsrc.get(packet.readUInt32BE(8)) === 'audio') this.counts.audioBytes += n;
    else this.counts.videoBytes += n;
  }

  close(): void {
    this.link.close();
  }
}
