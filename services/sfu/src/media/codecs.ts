import type { types } from 'mediasoup';

/**
 * Opus for audio, VP8 for video: the codecs whose payload prefix Conclave keeps in clear
 * for the SFU (PROTOCOL §5). VP8 key-frame detection reads that prefix, which is what makes
 * simulcast layer switching work on end-to-end encrypted frames.
 */
export const MEDIA_CODECS: types.RtpCodecCapability[] = [
  {
    kind: 'audio',
    mimeType: 'audio/opus',
    clockRate: 48000,
    channels: 2,
    parameters: { useinbandfec: 1, usedtx: 1 },
  },
  {
    kind: 'video',
    mimeType: 'video/VP8',
    clockRate: 90000,
    parameters: { 'x-google-start-bitrate': 1000 },
  },
];
