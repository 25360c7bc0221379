import type { types } from 'mediasoup';
import type { Peer } from '../rtc/peer.ts';
import {
  opusEncryptedPayload,
  RtpReceiver,
  RtpSender,
  vp8EncryptedPayload,
  writeRtp,
  writeSenderReport,
} from './rtp.ts';

export const VP8_PT = 101;
export const OPUS_PT = 100;

/** Simulcast layers as the tests send them: distinct SSRCs and payload sizes per layer. */
export const LAYERS = [
  { ssrc: 0x1111_0000, size: 200 },
  { ssrc: 0x2222_0000, size: 500 },
  { ssrc: 0x3333_0000, size: 1000 },
] as const;

export function simulcastVp8Parameters(): types.RtpParameters {
  return {
    codecs: [
      {
        mimeType: 'video/VP8',
        payloadType: VP8_PT,
        clockRate: 90000,
        rtcpFeedback: [
          { type: 'nack' },
          { type: 'nack', parameter: 'pli' },
          { type: 'ccm', parameter: 'fir' },
        ],
      },
    ],
    encodings: LAYERS.map((layer) => ({ ssrc: layer.ssrc, scalabilityMode: 'L1T3' })),
    rtcp: { cname: 'test', reducedSize: true },
  };
}

/** Header extension ID of the RFC 6464 audio level in test audio. */
export const AUDIO_LEVEL_EXT_ID = 1;

export function opusParameters(ssrc = 0x4444_0000): types.RtpParameters {
  return {
    codecs: [{ mimeType: 'audio/opus', payloadType: OPUS_PT, clockRate: 48000, channels: 2 }],
    headerExtensions: [{ uri: 'urn:ietf:params:rtp-hdrext:ssrc-audio-level', id: AUDIO_LEVEL_EXT_ID }],
    encodings: [{ ssrc }],
    rtcp: { cname: 'test', reducedSize: true },
  };
}

/** Sends a VP8 simulcast publisher (three layers) with SFrame-like payloads into a plain transport. */
export class Vp8SimulcastSource {
  readonly #sender: RtpSender;
  readonly #seq = [0, 0, 0];
  readonly #octets = [0, 0, 0];
  #frame = 0;
  #tl0 = 0;
  /** Key frames on every layer every `keyFrameInterval` frames. */
  keyFrameInterval = 15;
  /** Layers currently sent (a client's encoder can drop high layers under congestion). */
  activeLayers = new Set([0, 1, 2]);
  /** RTP packets per frame on each layer (all of `LAYERS[layer].size`; only the first has the VP8 header). */
  packetsPerFrame = [1, 1, 1];

  constructor(ip: string, port: number) {
    this.#sender = new RtpSender(ip, port);
  }

  /** One frame on every active layer (`packetsPerFrame` packets per layer). */
  sendFrame(options: { forceKeyFrame?: boolean } = {}): void {
    const n = this.#frame++;
    const keyFrame = options.forceKeyFrame || n % this.keyFrameInterval === 0;
    const tid = keyFrame ? 0 : [0, 2, 1, 2][n % 4]!;
    if (tid === 0) this.#tl0++;
    // Sender reports let the SFU map each layer's RTP timestamps to wall-clock time, which it
    // needs before switching between simulcast layers.
    if (n % 10 === 0) this.#sendSenderReports(n * 3000);
    for (const [index, layer] of LAYERS.entries()) {
      if (!this.activeLayers.has(index)) continue;
      const packets = this.packetsPerFrame[index] ?? 1;
      for (let k = 0; k < packets; k++) {
        const payload = vp8EncryptedPayload({
          keyFrame,
          pictureId: n & 0x7fff,
          tl0PicIdx: this.#tl0,
          tid,
          size: layer.size,
          start: k === 0,
        });
        this.#octets[index]! += payload.length;
        this.#sender.send(
          writeRtp(
            {
              payloadType: VP8_PT,
              sequenceNumber: this.#seq[index]!++,
              timestamp: n * 3000,
              ssrc: layer.ssrc,
              marker: k === packets - 1,
            },
            payload,
          ),
        );
      }
    }
  }

  #sendSenderReports(rtpTimestamp: number): void {
    for (const [index, layer] of LAYERS.entries()) {
      if (!this.activeLayers.has(index)) continue;
      this.#sender.send(
        writeSenderReport({
          ssrc: layer.ssrc,
          rtpTimestamp,
          packets: this.#seq[index]!,
          octets: this.#octets[index]!,
        }),
      );
    }
  }

  close(): void {
    this.#sender.close();
  }
}

export class OpusSource {
  readonly #sender: RtpSender;
  readonly #ssrc: number;
  #seq = 0;
  #ts = 0;

  constructor(ip: string, port: number, ssrc = 0x4444_0000) {
    this.#sender = new RtpSender(ip, port);
    this.#ssrc = ssrc;
  }

  /** Audio level (RFC 6464) sent with each packet, in −dBov (0 loudest, 127 silence). */
  level = 20;

  /** Sends one 20 ms packet; returns its payload. */
  sendPacket(size = 80): Buffer {
    const payload = opusEncryptedPayload(size);
    this.#ts += 960;
    this.#sender.send(
      writeRtp(
        { payloadType: OPUS_PT, sequenceNumber: this.#seq++, timestamp: this.#ts, ssrc: this.#ssrc },
        payload,
        { id: AUDIO_LEVEL_EXT_ID, data: Buffer.from([0x80 | this.level]) },
      ),
    );
    return payload;
  }

  close(): void {
    this.#sender.close();
  }
}

/** Publishes from `peer` over a plain transport; returns the producer and where to send RTP. */
export async function publishPlain(
  peer: Peer,
  kind: 'audio' | 'video',
  rtpParameters: types.RtpParameters = kind === 'audio' ? opusParameters() : simulcastVp8Parameters(),
) {
  const transport = await peer.openPlainTransport('send');
  const { producerId } = await peer.produce({
    transportId: transport.id,
    kind,
    source: kind === 'audio' ? 'mic' : 'camera',
    rtpParameters: rtpParameters as never,
  });
  return { transport, producerId, ip: transport.tuple.localIp, port: transport.tuple.localPort };
}

/**
 * A plain RTP receiver sends no congestion feedback (transport-cc, REMB); without removing
 * them the SFU would run its bandwidth estimation blind and hold simulcast on the lowest layer.
 */
export function plainReceiverCapabilities(caps: types.RtpCapabilities): types.RtpCapabilities {
  return {
    codecs: caps.codecs?.map((codec) => ({
      ...codec,
      rtcpFeedback: codec.rtcpFeedback?.filter((fb) => fb.type !== 'transport-cc' && fb.type !== 'goog-remb'),
    })),
    headerExtensions: caps.headerExtensions?.filter(
      (ext) => !ext.uri.includes('transport-wide-cc') && !ext.uri.includes('abs-send-time'),
    ),
  };
}

/** Subscribes `peer` to a producer over a plain transport; RTP lands in the returned receiver. */
export async function subscribePlain(
  peer: Peer,
  producerId: string,
  options: { keepPackets?: boolean; preferredLayers?: { spatialLayer: number; temporalLayer: number } } = {},
) {
  const receiver = new RtpReceiver(options);
  const port = await receiver.bind();
  const transport = await peer.openPlainTransport('recv');
  await transport.connect({ ip: '127.0.0.1', port });
  const rr = await peer.room.routerOf(peer);
  const consumer = await peer.consume({
    transportId: transport.id,
    producerId,
    rtpCapabilities: plainReceiverCapabilities(rr.router.rtpCapabilities) as never,
  });
  if (options.preferredLayers)
    await peer.consumers.setPreferredLayers({ consumerId: consumer.consumerId, ...options.preferredLayers });
  await peer.consumers.resume(consumer.consumerId);
  return { receiver, transport, consumerId: consumer.consumerId, consumer: consumer };
}
