/**
 * Encoded media to loop: Opus packets from a browser's encoder and VP8 frames taken from its
 * WebM recording, each with how long it lasts. A video clip starts at a key frame, so a loop
 * that starts over gives the decoder a picture it can begin from.
 */
import { parseWebm } from './webm.ts';

export interface ClipFrame {
  data: Uint8Array;
  /** How long the frame lasts, in milliseconds (the time until the next one). */
  durationMs: number;
  key: boolean;
}

export interface MediaClip {
  codec: 'opus' | 'vp8';
  frames: ClipFrame[];
}

/** Milliseconds of audio in one Opus packet, from its TOC byte (RFC 6716 §3.1). */
export function opusPacketMs(packet: Uint8Array): number {
  const toc = packet[0] ?? 0;
  const config = toc >> 3;
  const frameMs =
    config < 12
      ? [10, 20, 40, 60][config % 4]!
      : config < 16
        ? [10, 20][config % 2]!
        : [2.5, 5, 10, 20][config % 4]!;
  const code = toc & 3;
  const count = code === 0 ? 1 : code === 3 ? (packet[1] ?? 0) & 0x3f : 2;
  return frameMs * count;
}

/** Opus packets as an encoder gave them, in order. */
export function opusPacketsClip(packets: Uint8Array[]): MediaClip {
  const frames = packets.filter((p) => p.length > 0);
  if (frames.length === 0) throw new Error('no Opus packets were encoded');
  return {
    codec: 'opus',
    frames: frames.map((data) => ({ data, durationMs: opusPacketMs(data), key: true })),
  };
}

/** The VP8 frames of a WebM recording, from its first key frame. */
export function vp8Clip(webm: Uint8Array): MediaClip {
  const { tracks, frames } = parseWebm(webm);
  const track = tracks.find((t) => t.codec === 'V_VP8');
  if (!track) throw new Error(`no VP8 track in the recording (${tracks.map((t) => t.codec).join(', ')})`);
  const video = frames.filter((f) => f.track === track.number && f.data.length > 0);
  // VP8's own key-frame flag (RFC 6386 §9.1: P bit clear) rather than the container's.
  const first = video.findIndex((f) => (f.data[0]! & 1) === 0);
  if (first < 0) throw new Error('no VP8 key frame in the recording');
  const clip = video.slice(first);
  const frameMs = (i: number) => {
    const next = clip[i + 1];
    const gap = next ? next.timeMs - clip[i]!.timeMs : 0;
    return gap > 0 && gap < 1000 ? gap : 33;
  };
  return {
    codec: 'vp8',
    frames: clip.map((f, i) => ({ data: f.data, durationMs: frameMs(i), key: (f.data[0]! & 1) === 0 })),
  };
}
