/**
 * Draws the video grid as laid out on screen (grid, speaker or screen view alike) onto a canvas,
 * each tile's decrypted <video> with its name, a few times a second; the canvas's stream is the
 * recording's picture. Tiles that come and go are picked up at the next frame.
 */

export interface Compositor {
  stream: MediaStream;
  stop(): void;
}

// 960×540: sharp enough for a grid of faces, and far less to encode than 720p beside a call.
const WIDTH = 960;
const HEIGHT = 540;
const FPS = 15;

/** `beat`: an extra clock that keeps running in a hidden tab (audio-mix.ts `tick`). */
export function composeGrid(
  grid: HTMLElement,
  beat?: (fps: number, fn: () => void) => () => void,
): Compositor {
  const canvas = document.createElement('canvas');
  canvas.width = WIDTH;
  canvas.height = HEIGHT;
  const g = canvas.getContext('2d');
  if (!g) throw new Error('This browser cannot draw the recording (no 2D canvas).');
  const draw = () => {
    g.fillStyle = '#111418';
    g.fillRect(0, 0, WIDTH, HEIGHT);
    const area = grid.getBoundingClientRect();
    if (area.width === 0 || area.height === 0) return;
    // The grid's shape is kept: scaled to fit, centred.
    const scale = Math.min(WIDTH / area.width, HEIGHT / area.height);
    const ox = (WIDTH - area.width * scale) / 2;
    const oy = (HEIGHT - area.height * scale) / 2;
    for (const tile of grid.querySelectorAll<HTMLElement>('.tile')) {
      const r = tile.getBoundingClientRect();
      const box = {
        x: ox + (r.left - area.left) * scale,
        y: oy + (r.top - area.top) * scale,
        w: r.width * scale,
        h: r.height * scale,
      };
      if (box.w < 2 || box.h < 2) continue;
      const video = tile.querySelector('video');
      g.fillStyle = '#1f242b';
      g.fillRect(box.x, box.y, box.w, box.h);
      if (video && !tile.classList.contains('no-video') && video.videoWidth > 0)
        drawVideo(g, video, box, tile.classList.contains('screen'));
      drawName(g, tile.querySelector('.name')?.textContent ?? '', box);
    }
  };
  // Frames are handed over one per drawing (frame rate 0: none of the browser's own timing).
  const stream = canvas.captureStream(0);
  const track = stream.getVideoTracks()[0] as MediaStreamTrack & { requestFrame?: () => void };
  let drawn = 0;
  const frame = () => {
    // Two clocks drive it: whichever comes first draws, the other skips.
    if (performance.now() - drawn < 1000 / FPS / 2) return;
    drawn = performance.now();
    draw();
    track.requestFrame?.();
  };
  frame();
  const timer = setInterval(frame, 1000 / FPS);
  const stopBeat = beat?.(FPS, frame);
  return {
    stream,
    stop() {
      clearInterval(timer);
      stopBeat?.();
      for (const t of stream.getTracks()) t.stop();
    },
  };
}

type Box = { x: number; y: number; w: number; h: number };

/** As the tile shows it: a camera fills its tile (cropped), a screen fits inside it whole. */
function drawVideo(g: CanvasRenderingContext2D, video: HTMLVideoElement, box: Box, fit: boolean): void {
  const vw = video.videoWidth;
  const vh = video.videoHeight;
  const scale = fit ? Math.min(box.w / vw, box.h / vh) : Math.max(box.w / vw, box.h / vh);
  const w = vw * scale;
  const h = vh * scale;
  g.save();
  g.beginPath();
  g.rect(box.x, box.y, box.w, box.h);
  g.clip();
  g.drawImage(video, box.x + (box.w - w) / 2, box.y + (box.h - h) / 2, w, h);
  g.restore();
}

function drawName(g: CanvasRenderingContext2D, name: string, box: Box): void {
  if (!name) return;
  const size = Math.max(12, Math.min(22, box.h / 14));
  g.font = `${size}px system-ui, sans-serif`;
  const w = Math.min(box.w - 8, g.measureText(name).width + size);
  g.fillStyle = 'rgba(0, 0, 0, 0.6)';
  g.fillRect(box.x + 4, box.y + box.h - size * 1.8, w, size * 1.5);
  g.fillStyle = '#fff';
  g.fillText(name, box.x + 4 + size / 2, box.y + box.h - size * 0.7, w - size);
}
