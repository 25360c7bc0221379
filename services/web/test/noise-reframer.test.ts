/**
 * The worklet's reframing without a browser: 128-sample blocks in, 480-sample frames to the
 * denoiser, blocks out exactly 448 samples later, never running dry; and RNNoise's WebAssembly
 * driven through its three imports, both builds, adding its own 480-sample delay.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { REFRAME_DELAY, Reframer } from '../src/app/noise/reframer.ts';
import { createDenoiser, RNNOISE_DELAY, RNNOISE_FRAME } from '../src/app/noise/rnnoise-wasm.ts';
import { delayOf, noisySignal } from './support/noisy-signal.ts';

const wasm = (name: string) =>
  readFile(new URL(import.meta.resolve(`@sapphi-red/web-noise-suppressor/${name}`)));

describe('noise suppression reframing', () => {
  it('hands the denoiser whole frames and plays them 448 samples later, without gaps', () => {
    const sizes: number[] = [];
    const reframer = new Reframer((frame) => sizes.push(frame.length));
    const total = 48_000;
    const input = Float32Array.from({ length: total }, (_, i) => i + 1);
    const output = new Float32Array(total);
    for (let at = 0; at < total; at += 128)
      reframer.process(input.subarray(at, at + 128), output.subarray(at, at + 128));
    assert.ok(sizes.every((n) => n === RNNOISE_FRAME));
    assert.equal(sizes.length, Math.floor(total / RNNOISE_FRAME));
    for (let i = 0; i < REFRAME_DELAY; i++) assert.equal(output[i], 0, 'silence while the first frame fills');
    for (let i = REFRAME_DELAY; i < total; i++)
      assert.equal(output[i], input[i - REFRAME_DELAY], `sample ${i}`);
  });

  for (const build of ['rnnoise.wasm', 'rnnoise_simd.wasm']) {
    it(`runs RNNoise (${build}) with its one-frame delay`, async () => {
      const denoiser = await createDenoiser(await wasm(build));
      const { clean } = noisySignal(3, 0);
      const out = new Float32Array(clean.length);
      const reframer = new Reframer((frame) => denoiser.process(frame));
      for (let at = 0; at < clean.length; at += 128)
        reframer.process(clean.subarray(at, at + 128), out.subarray(at, at + 128));
      denoiser.destroy();
      const lag = delayOf(clean, out, 2000);
      assert.ok(Math.abs(lag - (REFRAME_DELAY + RNNOISE_DELAY)) <= 2, `delay ${lag}`);
    });
  }

  it('refuses bytes that are not RNNoise with a typed error', async () => {
    await assert.rejects(createDenoiser(new Uint8Array([1, 2, 3])), { name: 'RnnoiseLoadError' });
  });
});
