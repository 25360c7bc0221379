/**
 * Web Audio hands a worklet 128 samples at a time; RNNoise takes 480. The reframer collects
 * input into frames, denoises each as soon as it is complete, and plays the results out 128 at
 * a time, behind by the least that never runs dry: 448 samples (9.3 ms), as 128·k mod 480
 * reaches 448 at most. (Frame-aligned schemes wait for 512.)
 */
import { RNNOISE_FRAME } from './rnnoise-wasm.ts';

export const REFRAME_DELAY = 448;

export class Reframer {
  readonly #frame = new Float32Array(RNNOISE_FRAME);
  #filled = 0;
  /** Denoised samples waiting to be played, primed with the delay's silence. */
  readonly #ready = new Float32Array(REFRAME_DELAY + 2 * RNNOISE_FRAME);
  #readyLength = REFRAME_DELAY;
  readonly #denoise: (frame: Float32Array) => void;

  constructor(denoise: (frame: Float32Array) => void) {
    this.#denoise = denoise;
  }

  /** Takes one block of input and writes the same number of output samples. */
  process(input: Float32Array, output: Float32Array): void {
    for (let at = 0; at < input.length; ) {
      const n = Math.min(RNNOISE_FRAME - this.#filled, input.length - at);
      this.#frame.set(input.subarray(at, at + n), this.#filled);
      this.#filled += n;
      at += n;
      if (this.#filled < RNNOISE_FRAME) continue;
      this.#denoise(this.#frame);
      // A block size other than 128 could outrun the buffer: drop the oldest rather than throw.
      if (this.#readyLength + RNNOISE_FRAME > this.#ready.length) this.#take(RNNOISE_FRAME);
      this.#ready.set(this.#frame, this.#readyLength);
      this.#readyLength += RNNOISE_FRAME;
      this.#filled = 0;
    }
    const n = Math.min(output.length, this.#readyLength);
    output.set(this.#ready.subarray(0, n));
    output.fill(0, n);
    this.#take(n);
  }

  #take(n: number): void {
    this.#ready.copyWithin(0, n, this.#readyLength);
    this.#readyLength -= n;
  }
}
