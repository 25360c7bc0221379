/**
 * Loads the RNNoise worklet and WebAssembly from the page's own origin and creates its node in
 * any audio context (live, or offline for tests and benchmarks). The context must run at 48 kHz.
 */
import { PROCESSOR_NAME } from './worklet-processor-name.ts';

export const WORKLET_URL = '/assets/rnnoise-worklet.js';
export const WASM_URL = '/assets/rnnoise.wasm';
export const WASM_SIMD_URL = '/assets/rnnoise-simd.wasm';
export const SAMPLE_RATE = 48_000;

export type NoiseSuppressionFailure = 'unsupported' | 'load-failed';

export class NoiseSuppressionError extends Error {
  override readonly name = 'NoiseSuppressionError';
  readonly code: NoiseSuppressionFailure;
  constructor(code: NoiseSuppressionFailure, message: string) {
    super(message);
    this.code = code;
  }
}

/** A tiny module using one SIMD instruction: valid only where WebAssembly SIMD runs. */
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98,
  11,
]);

/** Whether this browser can run the worklet at all (AudioWorklet and WebAssembly). */
export function canSuppressNoise(): boolean {
  return (
    typeof AudioWorkletNode === 'function' &&
    typeof WebAssembly === 'object' &&
    typeof AudioContext === 'function'
  );
}

export function simdSupported(): boolean {
  try {
    return WebAssembly.validate(SIMD_PROBE);
  } catch {
    return false;
  }
}

const wasmCache = new Map<string, Promise<ArrayBuffer>>();

/** The RNNoise binary (the SIMD build where it runs), fetched once per page. */
export function rnnoiseWasm(simd = simdSupported()): Promise<ArrayBuffer> {
  const url = simd ? WASM_SIMD_URL : WASM_URL;
  let bytes = wasmCache.get(url);
  if (!bytes) {
    bytes = fetch(url).then((r) => {
      if (!r.ok) throw new NoiseSuppressionError('load-failed', `${url} answered ${r.status}`);
      return r.arrayBuffer();
    });
    bytes.catch(() => wasmCache.delete(url));
    wasmCache.set(url, bytes);
  }
  return bytes;
}

/** Creates the denoising node in `context` and resolves once RNNoise runs in it. */
export async function createRnnoiseNode(
  context: BaseAudioContext,
  wasm?: ArrayBuffer,
): Promise<AudioWorkletNode> {
  if (!canSuppressNoise() || !context.audioWorklet) {
    throw new NoiseSuppressionError('unsupported', 'This browser has no AudioWorklet or WebAssembly');
  }
  if (context.sampleRate !== SAMPLE_RATE) {
    throw new NoiseSuppressionError('unsupported', `RNNoise needs 48 kHz, not ${context.sampleRate} Hz`);
  }
  try {
    await context.audioWorklet.addModule(WORKLET_URL);
  } catch (error) {
    throw new NoiseSuppressionError('load-failed', `The noise worklet did not load: ${String(error)}`);
  }
  const node = new AudioWorkletNode(context, PROCESSOR_NAME, {
    numberOfInputs: 1,
    numberOfOutputs: 1,
    outputChannelCount: [1],
    channelCount: 1,
    channelCountMode: 'explicit',
    channelInterpretation: 'speakers',
    processorOptions: { wasm: wasm ?? (await rnnoiseWasm()) },
  });
  await new Promise<void>((resolve, reject) => {
    node.port.onmessage = (event: MessageEvent<'ready' | { failed: string }>) => {
      if (event.data === 'ready') resolve();
      else reject(new NoiseSuppressionError('load-failed', event.data.failed));
    };
  });
  node.port.onmessage = null;
  return node;
}
