/**
 * Background blur cost: the app's real pipeline (MediaPipe model, compositor, canvas capture) on
 * Chromium's fake camera at 640×480 and 1280×720, headless, in a page served with the app's CSP
 * and the built model files. For each size: the camera's frame rate (the pipeline with no
 * background passes every frame), the output frame rate with strong blur and the real model,
 * masks per second, and per-frame segmentation and composite times (p50/p95); and the compositor
 * alone (a fixed mask instead of the model), to show what the model costs.
 *
 *   npm run bench:background -w @conclave/web      (BENCH_SECONDS=15 per measurement by default)
 */
import { chromium, type Page } from 'playwright-core';
import type { StartOptions } from '../test/support/background-page.ts';
import { serveBackgroundPage } from '../test/support/background-server.ts';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../test/support/harness.ts';

const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 15);

interface Stats {
  framesIn: number;
  framesOut: number;
  segmentations: number;
  segmentMs: number[];
  compositeMs: number[];
  errors: string[];
}
type Scope = { backgroundTest: { start(o: StartOptions): Promise<void>; stats(): Stats; stop(): void } };

const pct = (list: number[], p: number) => {
  const s = [...list].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]! : Number.NaN;
};
const f1 = (n: number) => n.toFixed(1);

async function measure(page: Page, options: StartOptions) {
  const stats = () => page.evaluate(() => (globalThis as unknown as Scope).backgroundTest.stats());
  await page.evaluate((o) => (globalThis as unknown as Scope).backgroundTest.start(o), options);
  // Past the model's loading: from the first mask on.
  const loadStart = Date.now();
  for (;;) {
    const s = await stats();
    if (s.errors.length) throw new Error(s.errors.join('; '));
    if (options.value === 'off' ? s.framesOut > 5 : s.segmentations > 0) break;
    if (Date.now() - loadStart > 90_000) throw new Error('no mask within 90 s');
    await page.waitForTimeout(100);
  }
  const loadMs = Date.now() - loadStart;
  const a = await stats();
  const t0 = Date.now();
  await page.waitForTimeout(SECONDS * 1000);
  const b = await stats();
  const secs = (Date.now() - t0) / 1000;
  await page.evaluate(() => (globalThis as unknown as Scope).backgroundTest.stop());
  const segments = b.segmentMs.slice(-(b.segmentations - a.segmentations) || b.segmentMs.length);
  const composites = b.compositeMs.slice(-(b.framesOut - a.framesOut));
  return {
    loadMs,
    inFps: (b.framesIn - a.framesIn) / secs,
    outFps: (b.framesOut - a.framesOut) / secs,
    masksPerSec: (b.segmentations - a.segmentations) / secs,
    segment: [pct(segments, 50), pct(segments, 95)],
    composite: [pct(composites, 50), pct(composites, 95)],
  };
}

const server = await serveBackgroundPage();
const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
try {
  const page = await (await browser.newContext({ permissions: ['camera'] })).newPage();
  await page.goto(`${server.origin}/`);
  console.log(
    `background blur, headless Chromium (${CHROMIUM_ARGS.includes('--disable-gpu') ? 'no GPU: WebGL in software' : 'GPU'}), ${SECONDS} s each`,
  );
  console.log(
    'size       | camera fps | out fps blur | masks/s | segment p50/p95 ms | composite p50/p95 ms | first mask ms | compositor alone: out fps, composite p50/p95',
  );
  for (const [width, height] of [
    [640, 480],
    [1280, 720],
  ] as const) {
    const camera = await measure(page, { value: 'off', width, height });
    const blur = await measure(page, { value: 'blur-strong', width, height });
    const fixed = await measure(page, { value: 'blur-strong', width, height, mask: [0.3, 0.3, 0.4, 0.7] });
    console.log(
      `${`${width}×${height}`.padEnd(10)} | ${f1(camera.inFps).padStart(10)} | ${f1(blur.outFps).padStart(12)} | ${f1(blur.masksPerSec).padStart(7)} | ` +
        `${`${f1(blur.segment[0]!)} / ${f1(blur.segment[1]!)}`.padStart(18)} | ${`${f1(blur.composite[0]!)} / ${f1(blur.composite[1]!)}`.padStart(20)} | ` +
        `${String(blur.loadMs).padStart(13)} | ${f1(fixed.outFps)} fps, ${f1(fixed.composite[0]!)} / ${f1(fixed.composite[1]!)} ms`,
    );
  }
} finally {
  await browser.close();
  await server.close();
}
