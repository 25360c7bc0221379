/**
 * A camera in three simulcast layers, made by a browser's VP8 encoder (MediaRecorder) at
 * 320×180, 640×360 and 1280×720 with the web client's per-layer bit rates (sfu-session.ts:
 * 150, 500 and 1,500 kbit/s), each taken apart into a VP8 clip. The picture is a canvas of
 * moving noise rather than the fake camera, whose test picture is so simple that the encoder
 * stays far below these rates at every size; noise fills them, as a real camera's picture does.
 */
import type { Page } from 'playwright-core';
import { type MediaClip, vp8Clip } from './media-clip.ts';

/** Lowest layer first, as the SFU numbers spatial layers. */
export const SIMULCAST_LAYERS = [
  { width: 320, height: 180, bitsPerSecond: 150_000 },
  { width: 640, height: 360, bitsPerSecond: 500_000 },
  { width: 1280, height: 720, bitsPerSecond: 1_500_000 },
] as const;

/** Tries per layer: the noise is made coarser when the encoder overshoots the layer's rate. */
const ATTEMPTS = 4;

export function clipBitsPerSecond(clip: MediaClip): number {
  const ms = clip.frames.reduce((a, f) => a + f.durationMs, 0);
  return (clip.frames.reduce((a, f) => a + f.data.length, 0) * 8000) / ms;
}

/**
 * Records `ms` of each layer, one after the other, in `page` (any page with MediaRecorder). The
 * encoder does not hold the rate asked for on noise, so a layer more than 30 % over its rate is
 * recorded again with noise blocks twice as large.
 */
export async function recordSimulcastClips(page: Page, ms = 3000): Promise<MediaClip[]> {
  const clips: MediaClip[] = [];
  for (const layer of SIMULCAST_LAYERS) {
    let block = 4;
    let clip = await recordLayer(page, layer, block, ms).catch(() => undefined);
    for (let i = 1; i < ATTEMPTS && (!clip || clipBitsPerSecond(clip) > 1.3 * layer.bitsPerSecond); i++) {
      // An empty recording (a starved machine) is tried again as it was.
      if (clip) block *= 2;
      clip = await recordLayer(page, layer, block, ms).catch(() => undefined);
    }
    if (!clip) throw new Error(`no ${layer.height}-line clip recorded in ${ATTEMPTS} tries`);
    clips.push(clip);
  }
  return clips;
}

async function recordLayer(
  page: Page,
  layer: (typeof SIMULCAST_LAYERS)[number],
  block: number,
  ms: number,
): Promise<MediaClip> {
  const recorded = await page.evaluate(
    async ({ duration, layer, block }) => {
      const canvas = document.createElement('canvas');
      canvas.width = layer.width;
      canvas.height = layer.height;
      const context = canvas.getContext('2d')!;
      // Coarse noise (random blocks of 2·block pixels a side: detail a camera might see),
      // panning a few pixels each frame.
      const noise = new ImageData(Math.ceil(layer.width / block), Math.ceil(layer.height / block));
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
        const x = (frame * 3) % layer.width;
        const y = (frame * 2) % layer.height;
        context.drawImage(tile, -x, -y, layer.width * 2, layer.height * 2);
      }, 33);
      const stream = canvas.captureStream(30);
      const recorder = new MediaRecorder(stream, {
        mimeType: 'video/webm;codecs=vp8',
        videoBitsPerSecond: layer.bitsPerSecond,
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
      clearInterval(draw);
      for (const track of stream.getTracks()) track.stop();
      const bytes = new Uint8Array(await new Blob(chunks).arrayBuffer());
      let text = '';
      for (let i = 0; i < bytes.length; i += 0x8000)
        text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
      return btoa(text);
    },
    { duration: ms, layer: { ...layer }, block },
  );
  return vp8Clip(Buffer.from(recorded, 'base64'));
}
