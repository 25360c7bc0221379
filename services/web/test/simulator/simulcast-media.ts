/**
 * A participant's microphone and a simulcast camera at the SFU, on one send transport: the
 * camera is one producer with three encodings (one SSRC per layer, lowest first, as a
 * browser's `r0`–`r2`), each layer looped from its own recorded clip and SFrame-encrypted like
 * any other frame. A key frame request restarts the loop of the layer it names.
 */
import { randomBytes } from 'node:crypto';
import type { FrameCryptor, MediaContextName } from '@conclave/e2ee';
import type { RtpCapabilities, RtpParameters } from '@conclave/protocol';
import type { MediaClip } from './media-clip.ts';
import { MediaLoop } from './media-loop.ts';
import { openTransport, type SentMedia } from './sfu-media.ts';
import type { SfuSignaling } from './sfu-signaling.ts';

const AUDIO_LEVEL_URI = 'urn:ietf:params:rtp-hdrext:ssrc-audio-level';

const random32 = () => randomBytes(4).readUInt32BE(0);

function payloadType(caps: RtpCapabilities, mimeType: string): number {
  const codec = caps.codecs?.find((c) => c.mimeType.toLowerCase() === mimeType.toLowerCase());
  if (codec?.preferredPayloadType === undefined) throw new Error(`the router has no ${mimeType}`);
  return codec.preferredPayloadType;
}

function micParameters(caps: RtpCapabilities, ssrc: number, cname: string): RtpParameters {
  const level = caps.headerExtensions?.find((h) => h.kind === 'audio' && h.uri === AUDIO_LEVEL_URI);
  return {
    codecs: [
      {
        mimeType: 'audio/opus',
        payloadType: payloadType(caps, 'audio/opus'),
        clockRate: 48000,
        channels: 2,
        parameters: { useinbandfec: 1 },
      },
    ],
    headerExtensions: level ? [{ uri: AUDIO_LEVEL_URI, id: level.preferredId }] : [],
    encodings: [{ ssrc }],
    rtcp: { cname, reducedSize: true },
  };
}

function cameraParameters(caps: RtpCapabilities, ssrcs: number[], cname: string): RtpParameters {
  return {
    codecs: [
      {
        mimeType: 'video/VP8',
        payloadType: payloadType(caps, 'video/VP8'),
        clockRate: 90000,
        rtcpFeedback: [
          { type: 'nack' },
          { type: 'nack', parameter: 'pli' },
          { type: 'ccm', parameter: 'fir' },
        ],
      },
    ],
    headerExtensions: [],
    encodings: ssrcs.map((ssrc) => ({ ssrc })),
    rtcp: { cname, reducedSize: true },
  };
}

/** Produces the microphone (if given) and the camera from `layers` (lowest first). */
export async function sendSimulcast(
  sfu: SfuSignaling,
  cryptor: FrameCryptor,
  mic: MediaClip | undefined,
  layers: MediaClip[],
): Promise<SentMedia> {
  const { transportId, link: sender } = await openTransport(sfu, 'send');
  const cname = randomBytes(8).toString('hex');
  const caps = sfu.welcome.rtpCapabilities;
  const loops: MediaLoop[] = [];
  const producers = new Map<MediaContextName, string>();
  const add = async (source: MediaContextName, kind: 'audio' | 'video', rtpParameters: RtpParameters) => {
    const { producerId } = await sfu.request('produce', { transportId, kind, source, rtpParameters });
    producers.set(source, producerId);
  };
  try {
    if (mic) {
      const ssrc = random32();
      const rtpParameters = micParameters(caps, ssrc, cname);
      await add('mic', 'audio', rtpParameters);
      const audioLevelId = rtpParameters.headerExtensions?.[0]?.id;
      const spec = {
        source: 'mic' as const,
        payloadType: rtpParameters.codecs[0]!.payloadType,
        ssrc,
        clockRate: 48000,
        ...(audioLevelId !== undefined ? { audioLevelId } : {}),
      };
      loops.push(new MediaLoop(mic, spec, cryptor, (packet) => sender.send(packet, 48000)));
    }
    const ssrcs = layers.map(() => random32());
    const rtpParameters = cameraParameters(caps, ssrcs, cname);
    await add('camera', 'video', rtpParameters);
    layers.forEach((clip, i) => {
      const spec = {
        source: 'camera' as const,
        payloadType: rtpParameters.codecs[0]!.payloadType,
        ssrc: ssrcs[i]!,
        clockRate: 90000,
      };
      loops.push(new MediaLoop(clip, spec, cryptor, (packet) => sender.send(packet, 90000)));
    });
  } catch (error) {
    sender.close();
    throw error;
  }
  sender.onKeyFrameRequest = (ssrc) => loops.find((l) => l.spec.ssrc === ssrc)?.restart(performance.now());
  return { sender, loops, producers };
}
