/**
 * The background chosen for one camera: with none, the camera's own track is used; with one, a
 * pipeline's track is, and it stays the same track across background changes and camera
 * switches (only turning the effect on or off changes the track that is sent and shown). The
 * pre-join page hands its effect to the meeting with the camera, so the model is loaded once and
 * an image picked there stays in use.
 */
import { type Background, rememberBackground, rememberedBackground } from './choice.ts';
import { backgroundFailure } from './errors.ts';
import { BackgroundPipeline } from './pipeline.ts';
import { mediapipeSegmenter, type SegmenterFactory } from './segmenter.ts';

/** Effects handed over by the pre-join page, by the camera they were made for. */
const handedOver = new WeakMap<MediaStreamTrack, CameraEffect>();

export class CameraEffect {
  #background: Background;
  #pipeline: BackgroundPipeline | undefined;
  readonly #factory: SegmenterFactory;
  /** The effect failed (no WebGL, model missing): told in words; the caller goes back to the camera. */
  #failed: (message: string) => void;

  constructor(
    failed: (message: string) => void,
    background = rememberedBackground(),
    factory = mediapipeSegmenter,
  ) {
    this.#failed = failed;
    this.#background = background;
    this.#factory = factory;
  }

  /** The effect the pre-join page made for this camera (told failures from now on), else none. */
  static adopt(camera: MediaStreamTrack, failed: (message: string) => void): CameraEffect | undefined {
    const effect = handedOver.get(camera);
    handedOver.delete(camera);
    if (effect) effect.#failed = failed;
    return effect;
  }

  /** Leaves this effect, running, to whoever adopts `camera` next. */
  handOver(camera: MediaStreamTrack): void {
    handedOver.set(camera, this);
  }

  get background(): Background {
    return this.#background;
  }

  /** The pipeline at work, if any (its statistics). */
  get pipeline(): BackgroundPipeline | undefined {
    return this.#pipeline;
  }

  /** Chooses a background, kept for the next meeting; `output` then gives the track to use. */
  set(background: Background): void {
    this.#background = background;
    rememberBackground(background);
    if (this.#pipeline) this.#pipeline.background = background;
  }

  /**
   * The track to send and show for this camera track: the camera's own without a background,
   * else the pipeline's (started here, or switched to read this camera).
   */
  output(camera: MediaStreamTrack): MediaStreamTrack {
    if (this.#background.kind === 'off') {
      this.stop();
      return camera;
    }
    if (!this.#pipeline) {
      const pipeline = new BackgroundPipeline(camera, this.#background, this.#factory, (error) => {
        if (this.#pipeline !== pipeline) return;
        this.#background = { kind: 'off' };
        this.#failed(backgroundFailure(error));
      });
      this.#pipeline = pipeline;
    }
    this.#pipeline.use(camera);
    return this.#pipeline.track;
  }

  /** Stops the pipeline and releases the model (the camera itself is the caller's). */
  stop(): void {
    this.#pipeline?.stop();
    this.#pipeline = undefined;
  }
}
