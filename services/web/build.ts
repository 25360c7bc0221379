/**
 * Builds the static web client into dist/: the page script, the media encryption worker, the MLS
 * group's worker, the HTML shell, the stylesheet, the web app manifest and icons, the noise suppression worklet with
 * RNNoise's WebAssembly (served from the page's own origin), and last the service worker that
 * keeps all of them (src/server/client-files.ts lists them). No inline script or style, so the
 * CSP can forbid both.
 */
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { type BuildOptions, build } from 'esbuild';
import { iconPng, iconSvg } from './build/app-icon.ts';
import { MEDIAPIPE_DIR, MEDIAPIPE_NAMES } from './src/server/mediapipe-files.ts';
import { buildServiceWorker } from './build/service-worker.ts';
import { webManifest } from './build/web-manifest.ts';

export const WEB_DIST = fileURLToPath(new URL('./dist', import.meta.url));

export async function buildWebClient(outDir = WEB_DIST): Promise<void> {
  const src = (path: string) => fileURLToPath(new URL(`./src/${path}`, import.meta.url));
  const rnnoise = (file: string) =>
    fileURLToPath(new URL(file, import.meta.resolve('@sapphi-red/web-noise-suppressor/rnnoise.wasm')));
  await mkdir(`${outDir}/assets`, { recursive: true });
  await mkdir(`${outDir}/${MEDIAPIPE_DIR}`, { recursive: true });
  // The background effect's model, served from this origin (src/server/mediapipe-files.ts).
  const mediapipe = fileURLToPath(new URL('.', import.meta.resolve('@mediapipe/selfie_segmentation')));
  const common: BuildOptions = {
    bundle: true,
    platform: 'browser',
    target: 'chrome120',
    minify: true,
    sourcemap: false,
    // Bundled libraries' licences (Lucide's icons, mediasoup-client, …) travel with the code.
    legalComments: 'eof',
    // tssrp6a's CommonJS build mentions require("crypto") on a path browsers never take.
    external: ['crypto'],
    logLevel: 'warning',
  };
  await Promise.all([
    build({
      ...common,
      entryPoints: [src('app/main.ts')],
      format: 'esm',
      outfile: `${outDir}/assets/app.js`,
    }),
    build({
      ...common,
      entryPoints: [
        fileURLToPath(import.meta.resolve('@conclave/e2ee')).replace(
          /index\.ts$/,
          'frame-transform/worker-entry.ts',
        ),
      ],
      format: 'iife',
      outfile: `${outDir}/assets/media-worker.js`,
    }),
    // The meeting's MLS group, off the page's thread (commits in large meetings).
    build({
      ...common,
      entryPoints: [src('app/mls-worker.ts')],
      format: 'iife',
      outfile: `${outDir}/assets/mls-worker.js`,
    }),
    build({
      ...common,
      entryPoints: [src('app/noise/worklet-processor.ts')],
      format: 'iife',
      outfile: `${outDir}/assets/rnnoise-worklet.js`,
    }),
    copyFile(rnnoise('rnnoise.wasm'), `${outDir}/assets/rnnoise.wasm`),
    copyFile(rnnoise('rnnoise_simd.wasm'), `${outDir}/assets/rnnoise-simd.wasm`),
    // The scheduled-meetings list's key derivation, off the page's thread.
    build({
      ...common,
      entryPoints: [src('app/schedule/kdf-worker.ts')],
      format: 'iife',
      outfile: `${outDir}/assets/kdf-worker.js`,
    }),
    copyFile(src('app/index.html'), `${outDir}/index.html`),
    // styles.css imports the others, in order (later rules win).
    build({
      entryPoints: [src('app/styles.css')],
      bundle: true,
      minify: true,
      target: 'chrome120',
      legalComments: 'none',
      logLevel: 'warning',
      outfile: `${outDir}/assets/app.css`,
    }),
    writeFile(`${outDir}/manifest.webmanifest`, webManifest()),
    ...MEDIAPIPE_NAMES.map((name) => copyFile(`${mediapipe}${name}`, `${outDir}/${MEDIAPIPE_DIR}/${name}`)),
    writeFile(`${outDir}/assets/icon.svg`, iconSvg()),
    writeFile(`${outDir}/assets/icon-192.png`, iconPng(192)),
    writeFile(`${outDir}/assets/icon-512.png`, iconPng(512)),
  ]);
  await buildServiceWorker(outDir);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await buildWebClient();
  console.log(`built ${WEB_DIST}`);
}
