/**
 * Real encoded media for simulated participants, made by a browser from its fake camera and
 * microphone (Chromium's `--use-fake-device-for-media-stream`: a moving test picture and a
 * periodic beep), recorded for a few seconds. Audio goes through WebCodecs' Opus encoder in
 * 20 ms packets, as WebRTC sends it (MediaRecorder's 60 ms packets would arrive too sparsely for
 * the SFU's loudness windows, which need 10 packets in 250 ms); video through MediaRecorder
 * (vp8-recorder.ts). A browser in the meeting decodes these frames as it would its own.
 */
import type { Page } from 'playwright-core';
import { type MediaClip, opusPacketsClip } from './media-clip.ts';
import { recordVp8 } from './vp8-recorder.ts';

/** Opus packet length WebRTC uses, in microseconds. */
const OPUS_FRAME_US = 20_000;
const CAMERA = { kind: 'camera', width: 640, height: 360, frameRate: 20 } as const;
const CAMERA_BITS_PER_SECOND = 400_000;

export interface RecordedClips {
  audio: MediaClip;
  video: MediaClip;
}

/** Records `ms` of the page's fake devices; the page must be on an http(s) origin of the app. */
export async function recordClips(page: Page, ms = 3000): Promise<RecordedClips> {
  const [audio, video] = await Promise.all([
    recordOpus(page, ms),
    recordVp8(page, CAMERA, CAMERA_BITS_PER_SECOND, ms),
  ]);
  return { audio, video };
}

/** Encodes `ms` of the fake microphone with the page's WebCodecs Opus encoder. */
async function recordOpus(page: Page, ms: number): Promise<MediaClip> {
  const packets = await page.evaluate(
    async ({ duration, frameUs }) => {
      const stream = await navigator.mediaDevices.getUserMedia({ audio: { channelCount: 1 } });
      const [track] = stream.getAudioTracks();
      if (!track) throw new Error('no microphone track');
      const packets: string[] = [];
      let failure: unknown;
      const encoder = new AudioEncoder({
        output: (chunk) => {
          const data = new Uint8Array(chunk.byteLength);
          chunk.copyTo(data);
          packets.push(btoa(String.fromCharCode(...data)));
        },
        error: (e) => {
          failure = e;
        },
      });
      encoder.configure({
        codec: 'opus',
        sampleRate: track.getSettings().sampleRate ?? 48_000,
        numberOfChannels: 1,
        bitrate: 32_000,
        opus: { frameDuration: frameUs },
      } as AudioEncoderConfig);
      // Chromium's insertable-streams reader (not yet in TypeScript's DOM types).
      const Processor = (
        globalThis as unknown as {
          MediaStreamTrackProcessor: new (init: {
            track: MediaStreamTrack;
          }) => { readable: ReadableStream<AudioData> };
        }
      ).MediaStreamTrackProcessor;
      const reader = new Processor({ track }).readable.getReader();
      const end = performance.now() + duration;
      while (performance.now() < end) {
        const { value } = await reader.read();
        if (!value) break;
        encoder.encode(value);
        value.close();
      }
      await encoder.flush();
      track.stop();
      if (failure) throw failure;
      return packets;
    },
    { duration: ms, frameUs: OPUS_FRAME_US },
  );
  return opusPacketsClip(packets.map((p) => Buffer.from(p, 'base64')));
}
