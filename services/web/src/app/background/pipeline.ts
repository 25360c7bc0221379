/**
 * A camera track in, a track with the chosen background out. Each camera frame is composited and
 * sent as one output frame, so the output keeps the camera's size and frame rate. Segmentation
 * runs between frames: a frame is handed to the segmenter when the last mask is back and at least
 * as long has passed since as it took, so the model takes at most about half of the page's time;
 * every frame is drawn with the newest mask. On a fast machine that is every frame; a slow one
 * gets masks less often and keeps more of its frames.
 */
import type { Background } from './choice.ts';
import { Compositor } from './compositor.ts';
import { type FrameSource, readFrames } from './frames.ts';
import type { Segmenter, SegmenterFactory } from './segmenter.ts';

/** What the segmenter is given: the frame scaled to the model's own width (256×144 for 16:9). */
const SEGMENT_WIDTH = 256;
/** How many timings the statistics keep. */
const KEEP = 600;

type CaptureTrack = MediaStreamTrack & { requestFrame?: () => void };

export interface PipelineStats {
  framesIn: number;
  framesOut: number;
  segmentations: number;
  /** Milliseconds per segmentation (frame handed over → mask back) and per composite, oldest first. */
  segmentMs: number[];
  compositeMs: number[];
}

const release = (mask: CanvasImageSource | undefined) => {
  if (typeof ImageBitmap !== 'undefined' && mask instanceof ImageBitmap) mask.close();
};

export class BackgroundPipeline {
  background: Background;
  /** What is sent and shown in place of the camera. */
  readonly track: MediaStreamTrack;
  readonly #compositor = new Compositor();
  readonly #factory: SegmenterFactory;
  readonly #onError: (error: unknown) => void;
  #segmenter: Segmenter | undefined;
  #loading: Promise<void> | undefined;
  #segmenting = false;
  /** No segmentation starts before this time (performance.now()). */
  #nextSegmentAt = 0;
  #mask: CanvasImageSource | undefined;
  #input: MediaStreamTrack | undefined;
  #stopReading: (() => void) | undefined;
  #stopped = false;
  readonly stats: PipelineStats = {
    framesIn: 0,
    framesOut: 0,
    segmentations: 0,
    segmentMs: [],
    compositeMs: [],
  };

  constructor(
    input: MediaStreamTrack,
    background: Background,
    factory: SegmenterFactory,
    onError: (error: unknown) => void,
  ) {
    this.background = background;
    this.#factory = factory;
    this.#onError = onError;
    // Frames are pushed one by one (requestFrame), at the camera's pace.
    this.track = this.#compositor.output.captureStream(0).getVideoTracks()[0]!;
    this.use(input);
  }

  /** The camera track read from now on (a camera switch keeps the output track). */
  use(input: MediaStreamTrack): void {
    if (this.#stopped) return;
    // The output carries the person's on/off choice; the input must give real frames (LocalMedia
    // turns it off with the camera, so the camera's light goes off, and on again after).
    input.enabled = true;
    if (input === this.#input) return;
    this.#stopReading?.();
    this.#input = input;
    this.#stopReading = readFrames(input, (frame, w, h) => this.#onFrame(frame, w, h));
  }

  get input(): MediaStreamTrack | undefined {
    return this.#input;
  }

  /** Stops reading, ends the output track and releases the model. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#stopReading?.();
    this.track.stop();
    this.#segmenter?.close();
    this.#segmenter = undefined;
    release(this.#mask);
    this.#mask = undefined;
  }

  async #onFrame(frame: FrameSource, w: number, h: number): Promise<void> {
    if (this.#stopped || !w || !h) return;
    this.stats.framesIn++;
    // Camera off: nothing is drawn or segmented (the output sends black, as a disabled track does).
    if (!this.track.enabled) return;
    if (this.background.kind !== 'off') await this.#segment(frame, w, h);
    if (this.#stopped) return;
    const t0 = performance.now();
    this.#compositor.draw(frame, w, h, this.#mask, this.background);
    (this.track as CaptureTrack).requestFrame?.();
    record(this.stats.compositeMs, performance.now() - t0);
    this.stats.framesOut++;
  }

  /** Hands this frame to the segmenter unless it is busy; the mask comes back later. */
  async #segment(frame: FrameSource, w: number, h: number): Promise<void> {
    if (!this.#segmenter) {
      this.#loading ??= this.#factory().then(
        (s) => {
          if (this.#stopped) s.close();
          else this.#segmenter = s;
        },
        (e: unknown) => {
          if (!this.#stopped) this.#onError(e);
        },
      );
      return;
    }
    if (this.#segmenting || performance.now() < this.#nextSegmentAt) return;
    this.#segmenting = true;
    const segmenter = this.#segmenter;
    const t0 = performance.now();
    try {
      const height = Math.max(1, Math.round((SEGMENT_WIDTH * h) / w));
      const small = await createImageBitmap(frame, { resizeWidth: SEGMENT_WIDTH, resizeHeight: height });
      void segmenter.segment(small).then(
        (mask) => {
          this.#segmenting = false;
          const now = performance.now();
          this.#nextSegmentAt = now + (now - t0);
          if (this.#stopped || this.#segmenter !== segmenter) return release(mask);
          if (mask !== this.#mask) release(this.#mask);
          this.#mask = mask;
          this.stats.segmentations++;
          record(this.stats.segmentMs, performance.now() - t0);
        },
        (e: unknown) => {
          this.#segmenting = false;
          if (!this.#stopped) this.#onError(e);
        },
      );
    } catch (e) {
      this.#segmenting = false;
      this.#onError(e);
    }
  }
}

function record(list: number[], ms: number): void {
  list.push(ms);
  if (list.length > KEEP) list.shift();
}
