/**
 * Real encoded media for simulated participants, made by a browser: MediaRecorder on the fake
 * camera and microphone (Chromium's `--use-fake-device-for-media-stream`: a moving test
 * picture and a periodic beep) for a few seconds, as WebM with Opus and with VP8, taken apart
 * into clips in Node. A browser in the meeting decodes these frames as it would its own.
 */
import type { Page } from 'playwright-core';
import { type MediaClip, opusClip, vp8Clip } from './media-clip.ts';

export interface RecordedClips {
  audio: MediaClip;
  video: MediaClip;
}

/** Records `ms` of the page's fake devices; the page must be on an http(s) origin of the app. */
export async function recordClips(page: Page, ms = 3000): Promise<RecordedClips> {
  const recorded = await page.evaluate(async (duration) => {
    const record = async (stream: MediaStream, mimeType: string, bits: Record<string, number>) => {
      const recorder = new MediaRecorder(stream, { mimeType, ...bits });
      const chunks: Blob[] = [];
      recorder.ondataavailable = (e) => chunks.push(e.data);
      const stopped = new Promise((resolve) => {
        recorder.onstop = resolve;
      });
      recorder.start();
      await new Promise((r) => setTimeout(r, duration));
      recorder.stop();
      await stopped;
      for (const track of stream.getTracks()) track.stop();
      const bytes = new Uint8Array(await new Blob(chunks).arrayBuffer());
      let text = '';
      for (let i = 0; i < bytes.length; i += 0x8000)
        text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
      return btoa(text);
    };
    const audio = await navigator.mediaDevices.getUserMedia({ audio: true });
    const video = await navigator.mediaDevices.getUserMedia({
      video: { width: 640, height: 360, frameRate: 20 },
    });
    const [a, v] = await Promise.all([
      record(audio, 'audio/webm;codecs=opus', { audioBitsPerSecond: 32_000 }),
      record(video, 'video/webm;codecs=vp8', { videoBitsPerSecond: 400_000 }),
    ]);
    return { audio: a, video: v };
  }, ms);
  return {
    audio: opusClip(Buffer.from(recorded.audio, 'base64')),
    video: vp8Clip(Buffer.from(recorded.video, 'base64')),
  };
}
