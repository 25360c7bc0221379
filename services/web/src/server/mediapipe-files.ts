/**
 * The selfie segmentation model's files (script, WebAssembly, model), copied from the
 * @mediapipe/selfie_segmentation package into the build and served by this app: the background
 * effect loads them from the page's own origin, only when it is turned on.
 */
/** Where they are served and put in the build (src/app/background/segmenter.ts reads them there). */
export const MEDIAPIPE_DIR = 'assets/mediapipe';

const TYPES: Record<string, string> = {
  js: 'text/javascript; charset=utf-8',
  wasm: 'application/wasm',
};

/** The package's files the model needs, by name. */
export const MEDIAPIPE_NAMES = [
  'selfie_segmentation.js',
  'selfie_segmentation.binarypb',
  'selfie_segmentation.tflite',
  'selfie_segmentation_landscape.tflite',
  'selfie_segmentation_solution_simd_wasm_bin.js',
  'selfie_segmentation_solution_simd_wasm_bin.wasm',
  'selfie_segmentation_solution_simd_wasm_bin.data',
  'selfie_segmentation_solution_wasm_bin.js',
  'selfie_segmentation_solution_wasm_bin.wasm',
] as const;

/** The client files they make: loaded on demand, so not kept by the service worker (11 MB). */
export function mediapipeClientFiles(): Record<
  string,
  { file: string; contentType: string; onDemand: true }
> {
  return Object.fromEntries(
    MEDIAPIPE_NAMES.map((name) => [
      `/${MEDIAPIPE_DIR}/${name}`,
      {
        file: `${MEDIAPIPE_DIR}/${name}`,
        contentType: TYPES[name.split('.').pop()!] ?? 'application/octet-stream',
        onDemand: true,
      },
    ]),
  );
}
