import { E2eeError } from '../errors.ts';

/**
 * What stays in clear in front of the SFrame header, per codec. The SFU and the receiving
 * depacketizer read these bytes (VP8 key-frame flag and dimensions, Opus TOC); they are
 * authenticated as SFrame metadata, so they cannot be altered unnoticed.
 *
 * - VP8 (RFC 6386 §9.1): key frame (P bit = byte0 & 1 = 0): 10 bytes (3-byte frame tag, start
 *   code, width, height); delta frame: 3 bytes (frame tag).
 * - Opus (RFC 6716 §3.1): 1 byte (TOC).
 * - Anything else: nothing, the whole frame is encrypted.
 */

export type FrameCodec = 'vp8' | 'opus' | 'other';

/** Maps a codec name or MIME type ("video/VP8", "opus") to the prefix rule it follows. */
export function frameCodec(nameOrMimeType: string | undefined): FrameCodec {
  const name = (nameOrMimeType ?? '').toLowerCase();
  const subtype = name.includes('/') ? name.slice(name.indexOf('/') + 1) : name;
  if (subtype === 'vp8') return 'vp8';
  if (subtype === 'opus') return 'opus';
  return 'other';
}

export const VP8_KEY_FRAME_PREFIX = 10;
export const VP8_DELTA_FRAME_PREFIX = 3;
export const OPUS_PREFIX = 1;

export function isVp8KeyFrame(frame: Uint8Array): boolean {
  return frame.length > 0 && (frame[0]! & 1) === 0;
}

/** Length of the clear prefix of `frame`; throws FRAME_TOO_SHORT if the frame cannot hold it. */
export function clearPrefixLength(codec: FrameCodec, frame: Uint8Array): number {
  let length = 0;
  if (codec === 'vp8') length = isVp8KeyFrame(frame) ? VP8_KEY_FRAME_PREFIX : VP8_DELTA_FRAME_PREFIX;
  else if (codec === 'opus') length = OPUS_PREFIX;
  if (frame.length < length) {
    throw new E2eeError(
      'FRAME_TOO_SHORT',
      `${codec} frame of ${frame.length} bytes is shorter than its prefix`,
    );
  }
  return length;
}
