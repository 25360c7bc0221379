/**
 * A browser's VP8 encoder as a clip maker: MediaRecorder writes WebM of a picture for a few
 * seconds, taken apart into a VP8 clip in Node. The picture is the fake camera (Chromium's
 * `--use-fake-device-for-media-stream` test pattern) or a canvas of coarse moving noise, whose
 * detail makes the encoder reach the rates a real camera's picture does.
 */
import type { Page } from 'playwright-core';
import { type MediaClip, vp8Clip } from './media-clip.ts';

export type Picture =
  | { kind: 'camera'; width: number; height: number; frameRate: number }
  /** Random blocks of 2·`block` pixels a side, panning a few pixels each frame. */
  | { kind: 'noise'; width: number; height: number; block: number };

/** Records `ms` of `picture` at `bitsPerSecond` in `page` (an http(s) page of the app). */
export async function recordVp8(
  page: Page,
  picture: Picture,
  bitsPerSecond: number,
  ms: number,
): Promise<MediaClip> {
  const recorded = await page.evaluate(
    async ({ picture, bitsPerSecond, duration }) => {
      const stops: (() => void)[] = [];
      const noiseStream = (width: number, height: number, block: number) => {
        const canvas = document.createElement('canvas');
        canvas.width = width;
        canvas.height = height;
        const context = canvas.getContext('2d')!;
        const noise = new ImageData(Math.ceil(width / block), Math.ceil(height / block));
        for (let i = 0; i < noise.data.length; i += 65536)
          crypto.getRandomValues(noise.data.subarray(i, i + 65536));
        for (let i = 3; i < noise.data.length; i += 4) noise.data[i] = 255;
        const tile = document.createElement('canvas');
        tile.width = noise.width;
        tile.height = noise.height;
        tile.getContext('2d')!.putImageData(noise, 0, 0);
        let frame = 0;
        const draw = setInterval(() => {
          frame++;
          context.drawImage(tile, -((frame * 3) % width), -((frame * 2) % height), width * 2, height * 2);
        }, 33);
        stops.push(() => clearInterval(draw));
        return canvas.captureStream(30);
      };
      const stream =
        picture.kind === 'camera'
          ? await navigator.mediaDevices.getUserMedia({
              video: { width: picture.width, height: picture.height, frameRate: picture.frameRate },
            })
          : noiseStream(picture.width, picture.height, picture.block);
      const recorder = new MediaRecorder(stream, {
        mimeType: 'video/webm;codecs=vp8',
        videoBitsPerSecond: bitsPerSecond,
      });
      const chunks: Blob[] = [];
      recorder.ondataavailable = (e) => chunks.push(e.data);
      const stopped = new Promise((resolve) => {
        recorder.onstop = resolve;
      });
      recorder.start();
      await new Promise((r) => setTimeout(r, duration));
      recorder.stop();
      await stopped;
      for (const stop of stops) stop();
      for (const track of stream.getTracks()) track.stop();
      const bytes = new Uint8Array(await new Blob(chunks).arrayBuffer());
      let text = '';
      for (let i = 0; i < bytes.length; i += 0x8000)
        text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
      return btoa(text);
    },
    { picture, bitsPerSecond, duration: ms },
  );
  return vp8Clip(Buffer.from(recorded, 'base64'));
}
