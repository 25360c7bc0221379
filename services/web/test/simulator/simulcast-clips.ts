/**
 * A camera in three simulcast layers, made by a browser's VP8 encoder (vp8-recorder.ts) at
 * 320×180, 640×360 and 1280×720 with the web client's per-layer bit rates (sfu-session.ts:
 * 150, 500 and 1,500 kbit/s), each taken apart into a VP8 clip. The picture is a canvas of
 * moving noise rather than the fake camera, whose test picture is so simple that the encoder
 * stays far below these rates at every size; noise fills them, as a real camera's picture does.
 */
import type { Page } from 'playwright-core';
import type { MediaClip } from './media-clip.ts';
import { recordVp8 } from './vp8-recorder.ts';

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

function recordLayer(
  page: Page,
  layer: (typeof SIMULCAST_LAYERS)[number],
  block: number,
  ms: number,
): Promise<MediaClip> {
  return recordVp8(
    page,
    { kind: 'noise', width: layer.width, height: layer.height, block },
    layer.bitsPerSecond,
    ms,
  );
}
