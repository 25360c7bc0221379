/** Which camera a tile shows, told by colour: the tests' second cameras are magenta canvases. */
import type { Page } from 'playwright-core';

export interface Colour {
  r: number;
  g: number;
  b: number;
}

/** The average colour of the middle of a tile's picture. */
export function tileColour(page: Page, key: string): Promise<Colour> {
  return page.evaluate((k) => {
    const video = document.querySelector<HTMLVideoElement>(`[data-key="${k}"] video`)!;
    const canvas = Object.assign(document.createElement('canvas'), { width: 8, height: 8 });
    const g = canvas.getContext('2d')!;
    g.drawImage(
      video,
      video.videoWidth / 4,
      video.videoHeight / 4,
      video.videoWidth / 2,
      video.videoHeight / 2,
      0,
      0,
      8,
      8,
    );
    const d = g.getImageData(0, 0, 8, 8).data;
    const sum = { r: 0, g: 0, b: 0 };
    for (let i = 0; i < d.length; i += 4) {
      sum.r += d[i]! / 64;
      sum.g += d[i + 1]! / 64;
      sum.b += d[i + 2]! / 64;
    }
    return sum;
  }, key);
}

export const magenta = (c: Colour) => c.r > 170 && c.b > 170 && c.g < 90;
