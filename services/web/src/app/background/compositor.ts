/**
 * Draws one output frame: the person, cut out by the mask with a soft edge, over the chosen
 * background (the frame itself blurred, a scene, or an image). Canvas 2D only: the blur is done
 * on a quarter-size copy, which is both cheaper and blurrier, then scaled back up.
 */
import type { Background } from './choice.ts';
import { drawScene } from './scenes.ts';

/** The blur radius, in output pixels, of each strength. */
const BLUR_PX = { light: 8, strong: 20 } as const;
/** How wide the mask's soft edge is, in mask pixels. */
const EDGE_PX = 1.5;
/** The blurred background is worked on at this fraction of the frame's size. */
const BLUR_SCALE = 0.25;

type Ctx = CanvasRenderingContext2D;

function canvas2d(): [HTMLCanvasElement, Ctx] {
  const c = document.createElement('canvas');
  return [c, c.getContext('2d', { willReadFrequently: false })!];
}

function fit(c: HTMLCanvasElement, w: number, h: number): void {
  if (c.width !== w) c.width = w;
  if (c.height !== h) c.height = h;
}

/** `source` drawn to cover `w`×`h` (cropped, never stretched). */
function cover(g: Ctx, source: HTMLCanvasElement | ImageBitmap, w: number, h: number): void {
  const s = Math.max(w / source.width, h / source.height);
  const sw = w / s;
  const sh = h / s;
  g.drawImage(source, (source.width - sw) / 2, (source.height - sh) / 2, sw, sh, 0, 0, w, h);
}

export class Compositor {
  /** What is sent and shown. */
  readonly output: HTMLCanvasElement;
  readonly #out: Ctx;
  readonly #person: HTMLCanvasElement;
  readonly #p: Ctx;
  readonly #small: HTMLCanvasElement;
  readonly #s: Ctx;
  /** The mask with its edge softened, at the mask's own (small) size. */
  readonly #soft: HTMLCanvasElement;
  readonly #m: Ctx;
  #scene: { key: string; canvas: HTMLCanvasElement } | undefined;

  constructor() {
    [this.output, this.#out] = canvas2d();
    [this.#person, this.#p] = canvas2d();
    [this.#small, this.#s] = canvas2d();
    [this.#soft, this.#m] = canvas2d();
  }

  /**
   * Draws `frame` (w×h) with `background` behind the person `mask` shows. Without a mask yet,
   * only the background is drawn: the room is never sent unblurred by mistake.
   */
  draw(
    frame: CanvasImageSource,
    w: number,
    h: number,
    mask: CanvasImageSource | undefined,
    background: Background,
  ): void {
    fit(this.output, w, h);
    const g = this.#out;
    g.globalCompositeOperation = 'source-over';
    if (background.kind === 'off') {
      g.drawImage(frame, 0, 0, w, h);
      return;
    }
    this.#background(frame, w, h, background);
    if (!mask) return;
    // The person: the mask, its edge softened where it is small (cheap) and scaled up smoothly,
    // keeps only the frame's pixels inside it.
    const [mw, mh] = sizeOf(mask, w, h);
    fit(this.#soft, mw, mh);
    const m = this.#m;
    m.globalCompositeOperation = 'copy';
    m.filter = `blur(${EDGE_PX}px)`;
    m.drawImage(mask, 0, 0);
    m.filter = 'none';
    fit(this.#person, w, h);
    const p = this.#p;
    p.globalCompositeOperation = 'copy';
    p.imageSmoothingEnabled = true;
    p.drawImage(this.#soft, 0, 0, w, h);
    p.globalCompositeOperation = 'source-in';
    p.drawImage(frame, 0, 0, w, h);
    g.drawImage(this.#person, 0, 0);
  }

  #background(
    frame: CanvasImageSource,
    w: number,
    h: number,
    background: Exclude<Background, { kind: 'off' }>,
  ): void {
    const g = this.#out;
    if (background.kind === 'blur') {
      const sw = Math.max(1, Math.round(w * BLUR_SCALE));
      const sh = Math.max(1, Math.round(h * BLUR_SCALE));
      fit(this.#small, sw, sh);
      const r = BLUR_PX[background.strength] * BLUR_SCALE;
      // Drawn larger than the canvas by the radius, so the blur has no faded border.
      const s = this.#s;
      s.filter = `blur(${r}px)`;
      s.drawImage(frame, -2 * r, -2 * r, sw + 4 * r, sh + 4 * r);
      s.filter = 'none';
      g.imageSmoothingEnabled = true;
      g.imageSmoothingQuality = 'low';
      g.drawImage(this.#small, 0, 0, w, h);
    } else if (background.kind === 'scene') {
      const key = `${background.scene} ${w}x${h}`;
      if (this.#scene?.key !== key) this.#scene = { key, canvas: drawScene(background.scene, w, h) };
      g.drawImage(this.#scene.canvas, 0, 0);
    } else {
      cover(g, background.image, w, h);
    }
  }
}

/** A mask's own size (a canvas's or an ImageBitmap's); the frame's when it has none. */
function sizeOf(mask: CanvasImageSource, w: number, h: number): [number, number] {
  const { width, height } = mask as { width?: unknown; height?: unknown };
  return typeof width === 'number' && typeof height === 'number' && width > 0 && height > 0
    ? [width, height]
    : [w, h];
}
