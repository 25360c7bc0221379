/**
 * Runs in a test page (bundled by background-server.ts): the app's real background pipeline on
 * the page's camera, with either a known mask (a rectangle, given through the segmenter
 * interface) or the real MediaPipe model, and measures what comes out of the output track.
 */
import { BackgroundPipeline } from '../../src/app/background/pipeline.ts';
import { backgroundOf } from '../../src/app/background/choice.ts';
import { drawScene } from '../../src/app/background/scenes.ts';
import { mediapipeSegmenter, type SegmenterFactory } from '../../src/app/background/segmenter.ts';

/** The foreground, in fractions of the frame: x, y, width, height. */
export type Rect = [number, number, number, number];

export interface StartOptions {
  value: string;
  width: number;
  height: number;
  /** A known mask; absent: the real model. */
  mask?: Rect;
  /** Replace with a generated image of this colour pattern (stands for a picked photo). */
  image?: boolean;
}

export interface Measured {
  width: number;
  height: number;
  /** Mean absolute difference from the raw frame, foreground (inside the mask, away from the edge). */
  foregroundDiff: number;
  /** Mean absolute difference between neighbouring pixels' luma in the background: its detail. */
  rawDetail: number;
  outDetail: number;
  /** Mean absolute difference from the expected replacement, background; -1 without one. */
  replacementDiff: number;
}

let pipeline: BackgroundPipeline | undefined;
let camera: MediaStreamTrack | undefined;
let options: StartOptions | undefined;
let image: ImageBitmap | undefined;
const errors: string[] = [];

function maskCanvas(w: number, h: number, [x, y, rw, rh]: Rect): HTMLCanvasElement {
  const c = Object.assign(document.createElement('canvas'), { width: w, height: h });
  const g = c.getContext('2d')!;
  g.fillStyle = '#fff';
  g.fillRect(x * w, y * h, rw * w, rh * h);
  return c;
}

async function testImage(): Promise<ImageBitmap> {
  const c = Object.assign(document.createElement('canvas'), { width: 320, height: 240 });
  const g = c.getContext('2d')!;
  g.fillStyle = '#2060c0';
  g.fillRect(0, 0, 320, 240);
  g.fillStyle = '#e0a020';
  g.fillRect(0, 0, 160, 120);
  return createImageBitmap(c);
}

async function start(o: StartOptions): Promise<void> {
  options = o;
  const stream = await navigator.mediaDevices.getUserMedia({
    video: { width: { exact: o.width }, height: { exact: o.height } },
  });
  camera = stream.getVideoTracks()[0]!;
  if (o.image) image = await testImage();
  const known = o.mask;
  const factory: SegmenterFactory = known
    ? async () => ({
        segment: async (frame) => {
          frame.close();
          return maskCanvas(o.width, o.height, known);
        },
        close() {},
      })
    : mediapipeSegmenter;
  pipeline = new BackgroundPipeline(camera, backgroundOf(o.value, image), factory, (e) =>
    errors.push(String(e)),
  );
}

/** One frame of a track, as pixels. */
async function grab(track: MediaStreamTrack): Promise<ImageData> {
  type Processor = new (init: { track: MediaStreamTrack }) => { readable: ReadableStream<VideoFrame> };
  const P = (globalThis as unknown as { MediaStreamTrackProcessor: Processor }).MediaStreamTrackProcessor;
  const reader = new P({ track: track.clone() }).readable.getReader();
  // A few frames in: the first ones may be from before the mask.
  let frame: VideoFrame | undefined;
  for (let i = 0; i < 3; i++) {
    frame?.close();
    frame = (await reader.read()).value!;
  }
  const c = Object.assign(document.createElement('canvas'), {
    width: frame!.displayWidth,
    height: frame!.displayHeight,
  });
  const g = c.getContext('2d', { willReadFrequently: true })!;
  g.drawImage(frame!, 0, 0);
  frame!.close();
  await reader.cancel();
  return g.getImageData(0, 0, c.width, c.height);
}

const luma = (d: Uint8ClampedArray, i: number) => 0.299 * d[i]! + 0.587 * d[i + 1]! + 0.114 * d[i + 2]!;

async function measure(margin: number): Promise<Measured> {
  const o = options!;
  const [raw, out] = await Promise.all([grab(camera!), grab(pipeline!.track)]);
  const { width: w, height: h } = out;
  const [fx, fy, fw, fh] = o.mask ?? [0, 0, 0, 0];
  const inFg = (x: number, y: number, m: number) =>
    x >= fx * w + m && x < (fx + fw) * w - m && y >= fy * h + m && y < (fy + fh) * h - m;
  let expected: Uint8ClampedArray | undefined;
  if (o.value.startsWith('scene-') || o.image) {
    const c = Object.assign(document.createElement('canvas'), { width: w, height: h });
    const g = c.getContext('2d', { willReadFrequently: true })!;
    if (o.image) {
      // The compositor covers the frame with the image (same aspect here: scaled).
      g.drawImage(image!, 0, 0, w, h);
    } else g.drawImage(drawScene(o.value.slice(6) as 'dusk', w, h), 0, 0);
    expected = g.getImageData(0, 0, w, h).data;
  }
  let fgSum = 0;
  let fgN = 0;
  let rawDetail = 0;
  let outDetail = 0;
  let bgN = 0;
  let repSum = 0;
  for (let y = 0; y < h - 1; y++) {
    for (let x = 0; x < w - 1; x++) {
      const i = (y * w + x) * 4;
      if (inFg(x, y, margin)) {
        for (let c = 0; c < 3; c++) fgSum += Math.abs(raw.data[i + c]! - out.data[i + c]!);
        fgN += 3;
      } else if (!inFg(x, y, -margin)) {
        const right = i + 4;
        const down = i + w * 4;
        rawDetail +=
          Math.abs(luma(raw.data, i) - luma(raw.data, right)) +
          Math.abs(luma(raw.data, i) - luma(raw.data, down));
        outDetail +=
          Math.abs(luma(out.data, i) - luma(out.data, right)) +
          Math.abs(luma(out.data, i) - luma(out.data, down));
        if (expected) for (let c = 0; c < 3; c++) repSum += Math.abs(expected[i + c]! - out.data[i + c]!);
        bgN++;
      }
    }
  }
  return {
    width: w,
    height: h,
    foregroundDiff: fgN ? fgSum / fgN : 0,
    rawDetail: rawDetail / bgN,
    outDetail: outDetail / bgN,
    replacementDiff: expected ? repSum / (bgN * 3) : -1,
  };
}

function stats() {
  const s = pipeline!.stats;
  return { ...s, settings: camera!.getSettings(), outSettings: pipeline!.track.getSettings(), errors };
}

function stop(): void {
  pipeline?.stop();
  camera?.stop();
}

function setBackground(value: string): void {
  pipeline!.background = backgroundOf(value, image);
}

Object.assign(globalThis, { backgroundTest: { start, measure, stats, stop, setBackground } });
