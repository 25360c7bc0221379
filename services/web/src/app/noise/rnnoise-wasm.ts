/**
 * RNNoise, compiled to WebAssembly (the package's rnnoise.wasm or rnnoise_simd.wasm), driven
 * without the Emscripten loader: the module imports only three functions, given here. Runs in
 * the audio worklet (and in any JavaScript engine, for tests); fetches nothing.
 */

/** RNNoise works on 10 ms frames of 480 samples at 48 kHz. */
export const RNNOISE_FRAME = 480;
/** RNNoise's own delay: a frame's output is the previous frame's input (overlap-add). */
export const RNNOISE_DELAY = 480;
/** RNNoise expects 16-bit sample values in floats; Web Audio gives -1..1. */
const SCALE = 32767;

interface RnnoiseExports {
  memory: WebAssembly.Memory;
  __wasm_call_ctors(): void;
  emscripten_stack_init?(): void;
  malloc(bytes: number): number;
  free(pointer: number): void;
  rnnoise_create(model: number): number;
  rnnoise_destroy(state: number): void;
  rnnoise_process_frame(state: number, out: number, input: number): number;
}

/** One denoiser state: one audio channel. */
export interface Denoiser {
  /** Denoises one frame of 480 samples (-1..1) in place; returns RNNoise's voice probability. */
  process(frame: Float32Array): number;
  destroy(): void;
}

export class RnnoiseLoadError extends Error {
  override readonly name = 'RnnoiseLoadError';
}

/** Instantiates the module from its bytes and opens one denoiser state. */
export async function createDenoiser(bytes: BufferSource): Promise<Denoiser> {
  let memory: WebAssembly.Memory | undefined;
  const env = {
    emscripten_memcpy_big: (dest: number, src: number, count: number) => {
      new Uint8Array(memory!.buffer).copyWithin(dest, src, src + count);
    },
    emscripten_resize_heap: (requested: number) => {
      const missing = requested - memory!.buffer.byteLength;
      try {
        memory!.grow(Math.ceil(missing / 65536));
        return 1;
      } catch {
        return 0;
      }
    },
    __assert_fail: () => {
      throw new RnnoiseLoadError('RNNoise assertion failed');
    },
  };
  let exports: RnnoiseExports;
  try {
    const { instance } = await WebAssembly.instantiate(bytes, { env });
    exports = instance.exports as unknown as RnnoiseExports;
  } catch (error) {
    throw new RnnoiseLoadError(`RNNoise could not be loaded: ${(error as Error).message}`);
  }
  memory = exports.memory;
  exports.emscripten_stack_init?.();
  exports.__wasm_call_ctors();
  const state = exports.rnnoise_create(0);
  const input = exports.malloc(RNNOISE_FRAME * 4);
  const output = exports.malloc(RNNOISE_FRAME * 4);
  if (!state || !input || !output) throw new RnnoiseLoadError('RNNoise could not allocate its state');
  let destroyed = false;
  return {
    process(frame) {
      if (destroyed || frame.length !== RNNOISE_FRAME) return 0;
      // The heap may have grown (new buffer): take a fresh view each frame.
      const heap = new Float32Array(memory!.buffer);
      for (let i = 0; i < RNNOISE_FRAME; i++) heap[input / 4 + i] = frame[i]! * SCALE;
      const voice = exports.rnnoise_process_frame(state, output, input);
      for (let i = 0; i < RNNOISE_FRAME; i++) frame[i] = heap[output / 4 + i]! / SCALE;
      return voice;
    },
    destroy() {
      if (destroyed) return;
      destroyed = true;
      exports.rnnoise_destroy(state);
      exports.free(input);
      exports.free(output);
    },
  };
}
