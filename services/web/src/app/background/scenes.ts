/**
 * The replacement backgrounds the app ships, drawn here at the camera's size rather than
 * downloaded: a few gradients and shapes, nothing fetched.
 */
import type { SceneName } from './choice.ts';

type Paint = (g: CanvasRenderingContext2D, w: number, h: number) => void;

const SCENES: Record<SceneName, Paint> = {
  dusk(g, w, h) {
    const sky = g.createLinearGradient(0, 0, 0, h);
    sky.addColorStop(0, '#1d2b53');
    sky.addColorStop(0.6, '#7e2553');
    sky.addColorStop(1, '#ff7e4f');
    g.fillStyle = sky;
    g.fillRect(0, 0, w, h);
    g.fillStyle = '#2a1a3a';
    g.beginPath();
    g.moveTo(0, h);
    for (let x = 0; x <= w; x += w / 8) g.lineTo(x, h * (0.78 + 0.08 * Math.sin((x / w) * 9)));
    g.lineTo(w, h);
    g.fill();
  },
  studio(g, w, h) {
    const light = g.createRadialGradient(w / 2, h * 0.4, h * 0.05, w / 2, h * 0.5, Math.max(w, h) * 0.75);
    light.addColorStop(0, '#d9dde3');
    light.addColorStop(1, '#5b6470');
    g.fillStyle = light;
    g.fillRect(0, 0, w, h);
  },
  shelves(g, w, h) {
    g.fillStyle = '#e8e1d4';
    g.fillRect(0, 0, w, h);
    const hues = ['#3f6e8c', '#b5543a', '#6b8f4e', '#d4a23c', '#5d4a7a'];
    for (let row = 0; row < 3; row++) {
      const base = h * (0.3 + row * 0.27);
      g.fillStyle = '#8a6a48';
      g.fillRect(0, base, w, h * 0.025);
      for (let x = w * 0.03, i = row; x < w * 0.97; i++) {
        const bw = w * (0.018 + ((i * 7) % 5) * 0.004);
        const bh = h * (0.12 + ((i * 3) % 4) * 0.02);
        g.fillStyle = hues[i % hues.length]!;
        g.fillRect(x, base - bh, bw, bh);
        x += bw + w * 0.004;
      }
    }
  },
};

/** The scene drawn at this size (kept while the size holds). */
export function drawScene(scene: SceneName, width: number, height: number): HTMLCanvasElement {
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  SCENES[scene](canvas.getContext('2d')!, width, height);
  return canvas;
}
