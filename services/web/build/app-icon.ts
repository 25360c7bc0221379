/**
 * The app icon, one shape in two forms: SVG for browsers that take it and PNG (192 and 512
 * pixels) for installation. A ring and a dot on the page background, inside the central 80 %
 * so it also works as a maskable icon (launchers crop it to a circle or a squircle).
 */
import { encodePng } from './png.ts';

/** The page's colours (src/app/styles/base.css: --bg, --accent, --text). */
export const APP_COLOURS = { background: '#0f1115', accent: '#4f8cff', text: '#e8eaf0' } as const;

// On a 512 grid: the ring's radius and width, the dot's radius.
const RING_RADIUS = 143;
const RING_WIDTH = 46;
const DOT_RADIUS = 41;

export function iconSvg(): string {
  const { background, accent, text } = APP_COLOURS;
  return (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 512 512">' +
    `<rect width="512" height="512" fill="${background}"/>` +
    `<circle cx="256" cy="256" r="${RING_RADIUS}" fill="none" stroke="${accent}" stroke-width="${RING_WIDTH}"/>` +
    `<circle cx="256" cy="256" r="${DOT_RADIUS}" fill="${text}"/>` +
    '</svg>\n'
  );
}

function rgb(hex: string): [number, number, number] {
  const n = Number.parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

/** Which colour a point of the 512 grid has. */
function colourAt(x: number, y: number): string {
  const r = Math.hypot(x - 256, y - 256);
  if (r <= DOT_RADIUS) return APP_COLOURS.text;
  if (Math.abs(r - RING_RADIUS) <= RING_WIDTH / 2) return APP_COLOURS.accent;
  return APP_COLOURS.background;
}

/** The same shape as `iconSvg`, rasterised with 4 × 4 samples per pixel for smooth edges. */
export function iconPng(size: number): Buffer {
  const samples = 4;
  const pixels = new Uint8Array(size * size * 4);
  const scale = 512 / size;
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      const sum = [0, 0, 0];
      for (let sy = 0; sy < samples; sy++) {
        for (let sx = 0; sx < samples; sx++) {
          const c = rgb(colourAt((px + (sx + 0.5) / samples) * scale, (py + (sy + 0.5) / samples) * scale));
          for (let i = 0; i < 3; i++) sum[i]! += c[i]!;
        }
      }
      const at = (py * size + px) * 4;
      for (let i = 0; i < 3; i++) pixels[at + i] = Math.round(sum[i]! / samples ** 2);
      pixels[at + 3] = 255;
    }
  }
  return encodePng(size, size, pixels);
}
