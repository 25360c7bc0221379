/**
 * Renders samples through the app's own RNNoise worklet (/assets/rnnoise-worklet.js with its
 * WebAssembly, loaded by a page of the app's origin under its CSP) in an OfflineAudioContext.
 */
import type { Page } from 'playwright-core';

export interface Rendered {
  /** Empty with `keepOutput: false`. */
  output: Float32Array;
  /** Wall time of `startRendering`, in ms. */
  renderMs: number;
}

/**
 * `worklet: false` renders the same graph without the worklet (the cost of the rest);
 * `seconds` renders that long, the samples looped; `keepOutput: false` returns only the time.
 */
export async function renderThroughWorklet(
  page: Page,
  samples: Float32Array,
  options: { simd?: boolean; worklet?: boolean; seconds?: number; keepOutput?: boolean } = {},
): Promise<Rendered> {
  const result = await page.evaluate(
    async ({ input, simd, worklet, length, keepOutput }) => {
      const context = new OfflineAudioContext(1, length, 48_000);
      const buffer = context.createBuffer(1, input.length, 48_000);
      buffer.copyToChannel(Float32Array.from(input), 0);
      const source = context.createBufferSource();
      source.buffer = buffer;
      source.loop = true;
      if (worklet) {
        const wasm = await (
          await fetch(simd ? '/assets/rnnoise-simd.wasm' : '/assets/rnnoise.wasm')
        ).arrayBuffer();
        await context.audioWorklet.addModule('/assets/rnnoise-worklet.js');
        const node = new AudioWorkletNode(context, 'conclave-rnnoise', {
          outputChannelCount: [1],
          channelCount: 1,
          channelCountMode: 'explicit',
          processorOptions: { wasm },
        });
        await new Promise<void>((resolve, reject) => {
          node.port.onmessage = (e: MessageEvent) =>
            e.data === 'ready' ? resolve() : reject(new Error(String(e.data?.failed)));
        });
        source.connect(node).connect(context.destination);
      } else {
        source.connect(context.destination);
      }
      source.start();
      const started = performance.now();
      const rendered = await context.startRendering();
      const renderMs = performance.now() - started;
      return { output: keepOutput ? Array.from(rendered.getChannelData(0)) : [], renderMs };
    },
    {
      input: Array.from(samples),
      simd: options.simd ?? true,
      worklet: options.worklet ?? true,
      length: options.seconds === undefined ? samples.length : Math.round(options.seconds * 48_000),
      keepOutput: options.keepOutput ?? true,
    },
  );
  return { output: Float32Array.from(result.output), renderMs: result.renderMs };
}
