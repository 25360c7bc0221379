/**
 * Every file of the built client and the path it is served at: the web server serves these and
 * nothing else, and the service worker keeps these (but itself and those loaded on demand) for
 * offline use.
 */
export interface ClientFile {
  /** The file in the build output directory. */
  file: string;
  contentType: string;
  /** Fetched only when a feature needs it: served, but not kept by the service worker. */
  onDemand?: boolean;
}

import { mediapipeClientFiles } from './mediapipe-files.ts';

const JS = 'text/javascript; charset=utf-8';

/** The page shell, answered for `/` and for every `/m/<meetingId>`. */
export const SHELL_PATH = '/';
/** The service worker script: fetched by the browser on each load to find a new version. */
export const SERVICE_WORKER_PATH = '/sw.js';

export const CLIENT_FILES: Readonly<Record<string, ClientFile>> = {
  [SHELL_PATH]: { file: 'index.html', contentType: 'text/html; charset=utf-8' },
  '/assets/app.js': { file: 'assets/app.js', contentType: JS },
  '/assets/media-worker.js': { file: 'assets/media-worker.js', contentType: JS },
  '/assets/mls-worker.js': { file: 'assets/mls-worker.js', contentType: JS },
  '/assets/rnnoise-worklet.js': { file: 'assets/rnnoise-worklet.js', contentType: JS },
  '/assets/rnnoise.wasm': { file: 'assets/rnnoise.wasm', contentType: 'application/wasm' },
  '/assets/rnnoise-simd.wasm': { file: 'assets/rnnoise-simd.wasm', contentType: 'application/wasm' },
  '/assets/kdf-worker.js': { file: 'assets/kdf-worker.js', contentType: JS },
  '/assets/app.css': { file: 'assets/app.css', contentType: 'text/css; charset=utf-8' },
  '/assets/icon.svg': { file: 'assets/icon.svg', contentType: 'image/svg+xml' },
  '/assets/icon-192.png': { file: 'assets/icon-192.png', contentType: 'image/png' },
  '/assets/icon-512.png': { file: 'assets/icon-512.png', contentType: 'image/png' },
  '/manifest.webmanifest': { file: 'manifest.webmanifest', contentType: 'application/manifest+json' },
  [SERVICE_WORKER_PATH]: { file: 'sw.js', contentType: JS },
  ...mediapipeClientFiles(),
};
