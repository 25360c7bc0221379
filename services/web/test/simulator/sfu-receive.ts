/**
 * Others' microphones, received as a browser receives them: a recv transport, one consumer per
 * audio producer in the room (those there at the join and every `newProducer` after), resumed
 * once set up. Each Opus frame is SFrame-decrypted by the client's FrameCryptor, expecting the
 * sender the MLS roster gives for the consumer's SFU peer (media-binding.ts `senderFor`), never
 * the SFU's word; what decrypted is counted per peer.
 */
import type { FrameCryptor, FrameSender } from '@conclave/e2ee';
import type { ProducerInfo, SfuNotification } from '@conclave/protocol';
import { RtpPacket } from 'werift-rtp';
import { openTransport } from './sfu-media.ts';
import type { SfuSignaling } from './sfu-signaling.ts';
import type { WebRtcLink } from './webrtc-link.ts';

export interface ReceivedAudio {
  peerId: string;
  packets: number;
  decrypted: number;
  failed: number;
}

interface Consumed extends ReceivedAudio {
  consumerId: string;
  producerId: string;
}

export class AudioReceiver {
  readonly #sfu: SfuSignaling;
  readonly #cryptor: FrameCryptor;
  readonly #senderFor: (peerId: string) => FrameSender | null;
  readonly #transportId: string;
  readonly link: WebRtcLink;
  readonly #bySsrc = new Map<number, Consumed>();
  readonly #producers = new Set<string>();

  private constructor(
    sfu: SfuSignaling,
    cryptor: FrameCryptor,
    senderFor: (peerId: string) => FrameSender | null,
    opened: { transportId: string; link: WebRtcLink },
  ) {
    this.#sfu = sfu;
    this.#cryptor = cryptor;
    this.#senderFor = senderFor;
    this.#transportId = opened.transportId;
    this.link = opened.link;
    this.link.onRtp = (packet) => this.#rtp(packet);
  }

  /** Opens the recv transport and consumes the microphones already in the room. */
  static async open(
    sfu: SfuSignaling,
    cryptor: FrameCryptor,
    senderFor: (peerId: string) => FrameSender | null,
  ): Promise<AudioReceiver> {
    const receiver = new AudioReceiver(sfu, cryptor, senderFor, await openTransport(sfu, 'recv'));
    const { producers } = await sfu.request('listProducers', {});
    for (const p of [...sfu.welcome.producers, ...producers]) void receiver.consume(p);
    return receiver;
  }

  /** Takes the SFU's notifications about producers and consumers. */
  notification(n: SfuNotification): void {
    if (n.method === 'newProducer') void this.consume(n.data);
    else if (n.method === 'consumerClosed' || n.method === 'producerClosed') {
      const id = 'consumerId' in n.data ? n.data.consumerId : n.data.producerId;
      for (const [ssrc, c] of this.#bySsrc)
        if (c.consumerId === id || c.producerId === id) this.#bySsrc.delete(ssrc);
    }
  }

  async consume(producer: ProducerInfo): Promise<void> {
    const own = producer.peerId === this.#sfu.peerId;
    if (own || producer.source !== 'mic' || this.#producers.has(producer.producerId)) return;
    this.#producers.add(producer.producerId);
    try {
      const info = await this.#sfu.request('consume', {
        transportId: this.#transportId,
        producerId: producer.producerId,
        rtpCapabilities: this.#sfu.welcome.rtpCapabilities,
      });
      const ssrc = (info.rtpParameters as { encodings?: { ssrc?: number }[] }).encodings?.[0]?.ssrc;
      if (ssrc === undefined) return;
      this.#bySsrc.set(ssrc, {
        consumerId: info.consumerId,
        producerId: info.producerId,
        peerId: info.peerId,
        packets: 0,
        decrypted: 0,
        failed: 0,
      });
      await this.#sfu.request('resumeConsumer', { consumerId: info.consumerId });
    } catch {
      // The producer closed meanwhile, or the connection did: nothing to receive.
    }
  }

  #rtp(data: Buffer): void {
    let packet: RtpPacket;
    try {
      packet = RtpPacket.deSerialize(data);
    } catch {
      return;
    }
    const consumed = this.#bySsrc.get(packet.header.ssrc);
    if (!consumed) return;
    consumed.packets++;
    void this.#cryptor
      .decryptFrame(new Uint8Array(packet.payload), 'opus', this.#senderFor(consumed.peerId))
      .then((frame) => {
        if (frame) consumed.decrypted++;
        else consumed.failed++;
      });
  }

  /** What arrived from each peer's microphone. */
  received(): ReceivedAudio[] {
    return [...this.#bySsrc.values()].map(({ peerId, packets, decrypted, failed }) => ({
      peerId,
      packets,
      decrypted,
      failed,
    }));
  }

  close(): void {
    this.link.close();
  }
}
