/**
 * The cost of noise suppression in headless Chromium on this machine, for the SIMD and the
 * plain WebAssembly builds of RNNoise:
 *
 *   npm run bench:noise -w @conclave/web        (BENCH_NOISE_SECONDS=60 of audio per run)
 *
 * - per 10 ms frame: RNNoise with the worklet's reframing, driven 128 samples at a time as the
 *   audio thread does, timed frame by frame (p50, p95) on the page's main thread (an audio
 *   worklet has no fine clock; a page that is not cross-origin isolated reads it in 0.1 ms
 *   steps, so the mean is printed too);
 * - the real worklet: the same audio rendered through /assets/rnnoise-worklet.js in an
 *   OfflineAudioContext, minus the same graph without it, per 10 ms of audio, and the real-time
 *   factor (audio time / processing time; above 1 keeps up), over 5 runs.
 */
import { build } from 'esbuild';
import { chromium } from 'playwright-core';
import { buildWebClient, WEB_DIST } from '../build.ts';
import { serveBuild } from '../test/support/build-server.ts';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../test/support/harness.ts';
import { noisySignal } from '../test/support/noisy-signal.ts';
import { renderThroughWorklet } from '../test/support/rnnoise-render.ts';

const SECONDS = Number(process.env['BENCH_NOISE_SECONDS'] ?? 60);
const RUNS = 5;
const FRAME_MS = 10;

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

await buildWebClient();
const server = await serveBuild(WEB_DIST);
const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
try {
  const page = await browser.newPage();
  await page.goto(`${server.origin}/`, { waitUntil: 'domcontentloaded' });
  // The page's own denoiser and reframer, bundled for the frame-by-frame timing. Added through
  // the debugging protocol, which the page's CSP does not govern.
  const bundled = await build({
    stdin: {
      contents:
        "export { createDenoiser } from './rnnoise-wasm.ts'; export { Reframer } from './reframer.ts';",
      resolveDir: new URL('../src/app/noise/', import.meta.url).pathname,
      loader: 'ts',
    },
    bundle: true,
    format: 'iife',
    globalName: 'benchNoise',
    write: false,
  });
  await page.evaluate(`${bundled.outputFiles[0]!.text}; globalThis.benchNoise = benchNoise;`);
  const signal = Array.from(noisySignal(10).noisy);

  console.log(`RNNoise in headless Chromium, ${SECONDS} s of noisy speech-like audio per run`);
  for (const simd of [true, false]) {
    const wasmUrl = simd ? '/assets/rnnoise-simd.wasm' : '/assets/rnnoise.wasm';
    const frames = await page.evaluate(
      async ({ url, input, seconds }) => {
        type Bench = {
          createDenoiser(bytes: ArrayBuffer): Promise<{ process(f: Float32Array): number }>;
          Reframer: new (
            denoise: (f: Float32Array) => void,
          ) => { process(i: Float32Array, o: Float32Array): void };
        };
        const { createDenoiser, Reframer } = (globalThis as unknown as { benchNoise: Bench }).benchNoise;
        const denoiser = await createDenoiser(await (await fetch(url)).arrayBuffer());
        const times: number[] = [];
        const reframer = new Reframer((frame) => {
          const started = performance.now();
          denoiser.process(frame);
          times.push(performance.now() - started);
        });
        const source = Float32Array.from(input);
        const block = new Float32Array(128);
        const out = new Float32Array(128);
        const total = seconds * 48_000;
        for (let at = 0; at + 128 <= total; at += 128) {
          for (let i = 0; i < 128; i++) block[i] = source[(at + i) % source.length]!;
          reframer.process(block, out);
        }
        return times;
      },
      { url: wasmUrl, input: signal, seconds: SECONDS },
    );
    const worklet: number[] = [];
    const input = Float32Array.from(signal);
    for (let run = 0; run < RUNS; run++) {
      const options = { simd, seconds: SECONDS, keepOutput: false };
      const withIt = await renderThroughWorklet(page, input, options);
      const without = await renderThroughWorklet(page, input, { ...options, worklet: false });
      worklet.push((withIt.renderMs - without.renderMs) / ((SECONDS * 1000) / FRAME_MS));
    }
    const name = simd ? 'SIMD' : 'plain';
    const mean = frames.reduce((a, b) => a + b, 0) / frames.length;
    console.log(
      `  ${name.padEnd(5)} per frame: p50 ${percentile(frames, 50).toFixed(3)} ms, p95 ${percentile(frames, 95).toFixed(3)} ms, ` +
        `mean ${mean.toFixed(3)} ms, real-time factor ${(FRAME_MS / mean).toFixed(0)}× (${frames.length} frames)`,
    );
    const w50 = percentile(worklet, 50);
    console.log(
      `  ${name.padEnd(5)} worklet, per 10 ms of audio: p50 ${w50.toFixed(3)} ms, p95 ${percentile(worklet, 95).toFixed(3)} ms, ` +
        `real-time factor ${(FRAME_MS / w50).toFixed(0)}× (${RUNS} runs)`,
    );
  }
} finally {
  await browser.close();
  await server.close();
}
