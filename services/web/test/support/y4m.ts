/**
 * A test camera for Chromium (`--use-file-for-fake-video-capture`): a Y4M file whose background
 * is a fine checkerboard (high-frequency detail a blur removes) and whose foreground, a known
 * rectangle, is a smooth reddish gradient. Every frame is the same.
 */
import { writeFile } from 'node:fs/promises';

/** The foreground in fractions of the frame (x, y, width, height): a torso-like block up from the bottom. */
export const FOREGROUND: [number, number, number, number] = [0.3, 0.3, 0.4, 0.7];

export async function writeTestCamera(path: string, width = 640, height = 480, frames = 15): Promise<void> {
  const [fx, fy, fw, fh] = FOREGROUND;
  const inFg = (x: number, y: number) =>
    x >= fx * width && x < (fx + fw) * width && y >= fy * height && y < (fy + fh) * height;
  const y = Buffer.alloc(width * height);
  const u = Buffer.alloc((width / 2) * (height / 2));
  const v = Buffer.alloc((width / 2) * (height / 2));
  for (let r = 0; r < height; r++) {
    for (let c = 0; c < width; c++) {
      y[r * width + c] = inFg(c, r)
        ? 80 + Math.round((c / width) * 100)
        : ((c >> 2) + (r >> 2)) % 2
          ? 210
          : 40;
    }
  }
  for (let r = 0; r < height / 2; r++) {
    for (let c = 0; c < width / 2; c++) {
      const fg = inFg(c * 2, r * 2);
      u[r * (width / 2) + c] = fg ? 100 : 128;
      v[r * (width / 2) + c] = fg ? 180 : 128;
    }
  }
  const frame = Buffer.concat([Buffer.from('FRAME\n'), y, u, v]);
  const header = Buffer.from(`YUV4MPEG2 W${width} H${height} F30:1 Ip A1:1 C420jpeg\n`);
  await writeFile(path, Buffer.concat([header, ...Array.from({ length: frames }, () => frame)]));
}
