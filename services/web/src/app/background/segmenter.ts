/**
 * Finds the person in a camera frame. The pipeline sees only this narrow interface, so another
 * segmenter (or a known mask) can stand in. The MediaPipe one runs the selfie segmentation model
 * in this page (WebAssembly and WebGL; the package's worker mode loads its model with
 * importScripts, which fails, so it runs on the page's thread): its script, WebAssembly and model
 * are files of this app, loaded from its own origin only when a background effect is turned on;
 * frames never leave the browser.
 */
import type { SelfieSegmentation } from '@mediapipe/selfie_segmentation';
import { BackgroundError } from './errors.ts';

/** A frame the segmenter reads: a small copy of the camera frame, handed over (it closes it). */
export type SegmenterInput = ImageBitmap;

export interface Segmenter {
  /**
   * The person mask of this frame: alpha is how sure each pixel is the person (any size; it is
   * scaled to the frame). The caller owns it (an ImageBitmap is closed when replaced). One call
   * at a time.
   */
  segment(frame: SegmenterInput): Promise<CanvasImageSource>;
  /** Releases the model. */
  close(): void;
}

export type SegmenterFactory = () => Promise<Segmenter>;

/** Where the build puts the package's files (build.ts). */
export const MEDIAPIPE_BASE = '/assets/mediapipe/';

let script: Promise<void> | undefined;

/** The package's script is a classic script that defines a global: added once, on demand. */
function loadScript(): Promise<void> {
  script ??= new Promise<void>((resolve, reject) => {
    const el = document.createElement('script');
    el.src = `${MEDIAPIPE_BASE}selfie_segmentation.js`;
    el.addEventListener('load', () => resolve());
    el.addEventListener('error', () => {
      script = undefined;
      el.remove();
      reject(new BackgroundError('model-unavailable', 'The background model could not be loaded.'));
    });
    document.head.append(el);
  });
  return script;
}

/** The MediaPipe selfie segmentation model, loaded and ready. */
export const mediapipeSegmenter: SegmenterFactory = async () => {
  await loadScript();
  const Model = (globalThis as { SelfieSegmentation?: typeof SelfieSegmentation }).SelfieSegmentation;
  if (!Model) throw new BackgroundError('model-unavailable', 'The background model could not be loaded.');
  const model = new Model({ locateFile: (file) => `${MEDIAPIPE_BASE}${file}` });
  // The landscape model (256×144) is the faster one and made for video calls.
  model.setOptions({ modelSelection: 1, selfieMode: false });
  // The model's result lives in its own WebGL canvas, valid only during the callback: copied out.
  const mask = document.createElement('canvas');
  const g = mask.getContext('2d')!;
  model.onResults((results) => {
    const m = results.segmentationMask;
    if (mask.width !== m.width || mask.height !== m.height) {
      mask.width = m.width;
      mask.height = m.height;
    }
    g.clearRect(0, 0, mask.width, mask.height);
    g.drawImage(m, 0, 0);
  });
  try {
    await model.initialize();
  } catch {
    void model.close();
    throw new BackgroundError(
      'unsupported',
      'This browser cannot run the background model (it needs WebGL).',
    );
  }
  let closed = false;
  return {
    async segment(frame) {
      // The package's types omit ImageBitmap, which it takes like a canvas (width, height, texImage2D).
      await model.send({ image: frame as unknown as HTMLCanvasElement }).finally(() => frame.close());
      return mask;
    },
    close() {
      if (closed) return;
      closed = true;
      void model.close();
    },
  };
};
