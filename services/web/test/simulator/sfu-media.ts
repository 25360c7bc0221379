/**
 * A participant's media at the SFU: the send transport (created, told our DTLS fingerprint as
 * the DTLS client, then connected over ICE and DTLS by a thin WebRTC sender) and one producer
 * per source, whose RTP parameters follow the router's capabilities (payload types and the
 * audio-level extension ID), as mediasoup-client would derive them. A source is one looped
 * clip, or a simulcast camera: one producer with an encoding (SSRC) per layer, lowest first as
 * a browser's `r0`–`r2`, each looped from its own clip and SFrame-encrypted like any frame.
 */
import { randomBytes } from 'node:crypto';
import type { FrameCryptor, MediaContextName } from '@conclave/e2ee';
import type { RtpCapabilities, RtpParameters } from '@conclave/protocol';
import type { MediaClip } from './media-clip.ts';
import { MediaLoop } from './media-loop.ts';
import type { SfuSignaling } from './sfu-signaling.ts';
import { createCertificate, WebRtcLink } from './webrtc-link.ts';

const AUDIO_LEVEL_URI = 'urn:ietf:params:rtp-hdrext:ssrc-audio-level';

export interface ClipSource {
  source: MediaContextName;
  clip: MediaClip;
}

/** A simulcast camera: one clip per spatial layer, lowest first. */
export interface LayeredSource {
  source: MediaContextName;
  layers: MediaClip[];
}

export interface SentMedia {
  sender: WebRtcLink;
  loops: MediaLoop[];
  producers: Map<MediaContextName, string>;
}

const random32 = () => randomBytes(4).readUInt32BE(0);

function parametersFor(
  caps: RtpCapabilities,
  codecName: MediaClip['codec'],
  ssrcs: number[],
  cname: string,
): RtpParameters {
  const mimeType = codecName === 'opus' ? 'audio/opus' : 'video/VP8';
  const codec = caps.codecs?.find((c) => c.mimeType.toLowerCase() === mimeType.toLowerCase());
  if (!codec || codec.preferredPayloadType === undefined) throw new Error(`the router has no ${mimeType}`);
  const audioLevel = caps.headerExtensions?.find((h) => h.kind === 'audio' && h.uri === AUDIO_LEVEL_URI);
  return {
    codecs: [
      codecName === 'opus'
        ? {
            mimeType,
            payloadType: codec.preferredPayloadType,
            clockRate: 48000,
            channels: 2,
            parameters: { useinbandfec: 1 },
          }
        : {
            mimeType,
            payloadType: codec.preferredPayloadType,
            clockRate: 90000,
            rtcpFeedback: [
              { type: 'nack' },
              { type: 'nack', parameter: 'pli' },
              { type: 'ccm', parameter: 'fir' },
            ],
          },
    ],
    headerExtensions:
      codecName === 'opus' && audioLevel ? [{ uri: AUDIO_LEVEL_URI, id: audioLevel.preferredId }] : [],
    encodings: ssrcs.map((ssrc) => ({ ssrc })),
    rtcp: { cname, reducedSize: true },
  };
}

/** A WebRtcTransport of `direction`, connected: told our fingerprint (DTLS client), then ICE and DTLS. */
export async function openTransport(
  sfu: SfuSignaling,
  direction: 'send' | 'recv',
): Promise<{ transportId: string; link: WebRtcLink }> {
  const cert = await createCertificate();
  const transport = await sfu.request('createWebRtcTransport', { direction });
  await sfu.request('connectWebRtcTransport', {
    transportId: transport.transportId,
    dtlsParameters: { role: 'client', fingerprints: [{ algorithm: 'sha-256', value: cert.fingerprint }] },
  });
  const candidate = transport.iceCandidates.find((c) => c.protocol === 'udp');
  if (!candidate) throw new Error('the SFU offered no UDP candidate');
  const link = await WebRtcLink.connect(
    { ip: candidate.ip, port: candidate.port, ...transport.iceParameters },
    cert,
  );
  return { transportId: transport.transportId, link };
}

/** Opens the send transport, then produces every source (sent once the loops are ticked). */
export async function sendMedia(
  sfu: SfuSignaling,
  cryptor: FrameCryptor,
  sources: (ClipSource | LayeredSource)[],
): Promise<SentMedia> {
  const { transportId, link: sender } = await openTransport(sfu, 'send');
  const cname = randomBytes(8).toString('hex');
  const caps = sfu.welcome.rtpCapabilities;
  const loops: MediaLoop[] = [];
  const producers = new Map<MediaContextName, string>();
  try {
    for (const from of sources) {
      const clips = 'layers' in from ? from.layers : [from.clip];
      const codecName = clips[0]?.codec;
      if (!codecName) throw new Error(`no clip for ${from.source}`);
      const ssrcs = clips.map(() => random32());
      const rtpParameters = parametersFor(caps, codecName, ssrcs, cname);
      const { producerId } = await sfu.request('produce', {
        transportId,
        kind: codecName === 'opus' ? 'audio' : 'video',
        source: from.source,
        rtpParameters,
      });
      producers.set(from.source, producerId);
      const codec = rtpParameters.codecs[0]!;
      const audioLevelId = rtpParameters.headerExtensions?.[0]?.id;
      clips.forEach((clip, i) => {
        const spec = {
          source: from.source,
          payloadType: codec.payloadType,
          ssrc: ssrcs[i]!,
          clockRate: codec.clockRate,
          ...(audioLevelId !== undefined ? { audioLevelId } : {}),
        };
        loops.push(new MediaLoop(clip, spec, cryptor, (packet) => sender.send(packet, codec.clockRate)));
      });
    }
  } catch (error) {
    sender.close();
    throw error;
  }
  sender.onKeyFrameRequest = (ssrc) => loops.find((l) => l.spec.ssrc === ssrc)?.restart(performance.now());
  return { sender, loops, producers };
}
