/**
 * The audio worklet that denoises the microphone: one RNNoise state on a mono input. Built to
 * /assets/rnnoise-worklet.js. The page passes the WebAssembly bytes (a worklet cannot fetch);
 * the processor says `ready` once RNNoise runs, or `failed` with why. Until then it is silent.
 */
import { Reframer } from './reframer.ts';
import { createDenoiser, type Denoiser } from './rnnoise-wasm.ts';
import { PROCESSOR_NAME } from './worklet-processor-name.ts';

interface WorkletProcessor {
  readonly port: MessagePort;
}
declare const AudioWorkletProcessor: { new (): WorkletProcessor; prototype: WorkletProcessor };
declare function registerProcessor(name: string, processor: unknown): void;

class RnnoiseProcessor extends AudioWorkletProcessor {
  #denoiser: Denoiser | undefined;
  #reframer: Reframer | undefined;
  #stopped = false;

  constructor(options: { processorOptions: { wasm: ArrayBuffer } }) {
    super();
    this.port.onmessage = (event) => {
      if (event.data === 'destroy') this.#stop();
    };
    createDenoiser(options.processorOptions.wasm).then(
      (denoiser) => {
        if (this.#stopped) return denoiser.destroy();
        this.#denoiser = denoiser;
        this.#reframer = new Reframer((frame) => denoiser.process(frame));
        this.port.postMessage('ready');
      },
      (error: Error) => this.port.postMessage({ failed: error.message }),
    );
  }

  #stop(): void {
    this.#stopped = true;
    this.#denoiser?.destroy();
    this.#denoiser = undefined;
    this.#reframer = undefined;
  }

  process(inputs: Float32Array[][], outputs: Float32Array[][]): boolean {
    const input = inputs[0]?.[0];
    const output = outputs[0]?.[0];
    if (input && output && this.#reframer) this.#reframer.process(input, output);
    return !this.#stopped;
  }
}

registerProcessor(PROCESSOR_NAME, RnnoiseProcessor);
