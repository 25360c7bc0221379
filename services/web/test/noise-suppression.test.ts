/**
 * Noise suppression in real Chromium: the app's RNNoise worklet (served by the app, under its
 * CSP) lowers the noise floor of speech-like bursts over white and pink noise while keeping the
 * bursts, and adds at most 20 ms; in a meeting, a participant whose microphone is a WAV file of
 * that signal is heard with a lower noise floor while suppression is on, and switching it
 * keeps the same producer. Where AudioWorklet is missing the browser's own suppression is used.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Browser, chromium, type Page } from 'playwright-core';
import {
  CHROMIUM_ARGS,
  CHROMIUM_PATH,
  createMeeting,
  type Diagnostics,
  diagnostics,
  eventually,
  joinMeeting,
  openPanel,
  startTestEnv,
  type TestEnv,
  SUITE_TIMEOUT_MS,
} from './support/harness.ts';
import { db, delayOf, gaps, noisySignal, RATE, rms, rmsOver, wav } from './support/noisy-signal.ts';
import { renderThroughWorklet } from './support/rnnoise-render.ts';

/** Measured on this machine: about 30 dB (SIMD) less noise; asserted with a wide margin. */
const MIN_NOISE_DROP_DB = 15;
/** The bursts lose less than this much energy. */
const MAX_BURST_LOSS_DB = 6;
const MAX_LATENCY_MS = 20;

type Extra = Diagnostics & { producers: Record<string, string>; noise: string };
const extra = (page: Page) => diagnostics(page) as Promise<Extra>;

describe('noise suppression', { timeout: SUITE_TIMEOUT_MS }, () => {
  let env: TestEnv;
  let page: Page;

  before(async () => {
    env = await startTestEnv();
    page = await env.newPage();
    // A page of the app's origin: the worklet and its WebAssembly load under the app's CSP.
    await page.goto(`${env.origin}/`, { waitUntil: 'domcontentloaded' });
  });

  after(async () => {
    await env?.close();
  });

  for (const simd of [true, false]) {
    it(`lowers the noise floor and keeps speech-like bursts (${simd ? 'SIMD' : 'plain'} WebAssembly)`, async () => {
      const signal = noisySignal(8);
      const { output } = await renderThroughWorklet(page, signal.noisy, { simd });
      const lag = delayOf(signal.clean, output, 2 * RATE * (MAX_LATENCY_MS / 1000));
      // Noise-only stretches, after a second for the network to settle, 50 ms clear of bursts.
      const noiseOnly = gaps(signal, RATE, 0.05 * RATE);
      const noiseDrop = db(rmsOver(signal.noisy, noiseOnly) / rmsOver(output, noiseOnly, lag));
      const burstLoss = db(rmsOver(signal.clean, signal.bursts) / rmsOver(output, signal.bursts, lag));
      console.log(
        `RNNoise ${simd ? 'SIMD' : 'plain'}: noise ${noiseDrop.toFixed(1)} dB lower, bursts ${burstLoss.toFixed(1)} dB lower, delay ${lag} samples`,
      );
      assert.ok(noiseDrop >= MIN_NOISE_DROP_DB, `noise floor drops ${noiseDrop.toFixed(1)} dB`);
      assert.ok(burstLoss <= MAX_BURST_LOSS_DB, `bursts lose ${burstLoss.toFixed(1)} dB`);
    });
  }

  it(`adds at most ${MAX_LATENCY_MS} ms of latency`, async () => {
    const signal = noisySignal(4, 0);
    const { output } = await renderThroughWorklet(page, signal.clean);
    assert.ok(rms(output) > 0.01, 'the bursts come out');
    const lag = delayOf(signal.clean, output, RATE / 10);
    const ms = (lag / RATE) * 1000;
    console.log(`RNNoise worklet latency: ${lag} samples = ${ms.toFixed(2)} ms`);
    assert.ok(lag > 0, 'a real delay was measured');
    assert.ok(ms <= MAX_LATENCY_MS, `latency ${ms.toFixed(2)} ms`);
  });

  describe('in a meeting', () => {
    let noisyBrowser: Browser;
    let host: Page;
    let guest: Page;
    let guestPeer: string;

    before(async () => {
      // The guest's microphone plays the noisy signal (Chromium loops the file).
      const dir = mkdtempSync(join(tmpdir(), 'conclave-noise-'));
      const file = join(dir, 'noisy.wav');
      writeFileSync(file, wav(noisySignal(6, 0.03).noisy));
      noisyBrowser = await chromium.launch({
        executablePath: CHROMIUM_PATH,
        args: [...CHROMIUM_ARGS, `--use-file-for-fake-audio-capture=${file}`],
      });
      const context = await noisyBrowser.newContext({ permissions: ['camera', 'microphone'] });
      guest = await context.newPage();
      guest.on('pageerror', (e) => console.error(`[guest page error] ${e.message}`));
      // Every AudioContext the page makes (the meters' and the denoiser's), to see them closed.
      await guest.addInitScript(() => {
        const scope = globalThis as unknown as { testContexts: AudioContext[] };
        scope.testContexts = [];
        const Native = AudioContext;
        globalThis.AudioContext = class extends Native {
          constructor(options?: AudioContextOptions) {
            super(options);
            scope.testContexts.push(this);
          }
        };
      });
      host = await env.newPage();
      const { link, hostLink } = await createMeeting(host, env.origin);
      await joinMeeting(host, hostLink, 'Host');
      await joinMeeting(guest, link, 'Guest');
      guestPeer = (await diagnostics(guest)).peerId;
    });

    after(async () => {
      await noisyBrowser?.close();
    });

    /** The guest's microphone level at the host, sampled for `ms`: its quietest fifth and its loudest. */
    async function heardAtHost(ms: number): Promise<{ floorDb: number; peakDb: number }> {
      const levels = await host.evaluate(
        ([peer, duration]) =>
          new Promise<number[]>((resolve) => {
            const out: number[] = [];
            const end = Date.now() + duration;
            const sample = async () => {
              const d = await (
                globalThis as unknown as { conclaveDiagnostics: () => Promise<Diagnostics> }
              ).conclaveDiagnostics();
              const mic = d.remote.find((r) => r.peerId === peer && r.source === 'mic') as
                | { audioLevel?: number }
                | undefined;
              out.push(mic?.audioLevel ?? 0);
              if (Date.now() < end) setTimeout(sample, 50);
              else resolve(out);
            };
            void sample();
          }),
        [guestPeer, ms] as const,
      );
      const sorted = levels.sort((a, b) => a - b);
      const at = (q: number) => sorted[Math.floor(q * (sorted.length - 1))]!;
      const toDb = (v: number) => 20 * Math.log10(Math.max(v, 1e-5));
      return { floorDb: toDb(at(0.2)), peakDb: toDb(at(0.95)) };
    }

    it('is on by default: the receiver hears less noise, and switching keeps the producer', async () => {
      await eventually(
        'the host receives the guest microphone',
        async () =>
          (await diagnostics(host)).remote.find((r) => r.peerId === guestPeer && r.source === 'mic'),
        (mic) => (mic?.packetsReceived ?? 0) > 100,
      );
      const first = await extra(guest);
      assert.equal(first.noise, 'rnnoise', 'noise suppression is on by default');
      const producer = first.producers['mic'];
      assert.ok(producer, 'the microphone is produced');
      const on = await heardAtHost(6000);

      await openPanel(guest, 'settings');
      assert.equal(await guest.isChecked('#settings-noise'), true);
      // What the meter shows is what is sent: the bursts move it.
      await eventually(
        'the settings meter moves',
        () => guest.evaluate(() => document.querySelector<HTMLMeterElement>('#settings-mic-level')!.value),
        (v) => v > 0.2,
        10_000,
      );
      await guest.click('#settings-noise');
      await eventually(
        'suppression off',
        () => extra(guest),
        (d) => d.noise === 'off',
      );
      assert.equal((await extra(guest)).producers['mic'], producer, 'same producer after switching off');
      const off = await heardAtHost(6000);
      console.log(
        `received guest mic: noise floor ${on.floorDb.toFixed(1)} dB with suppression, ${off.floorDb.toFixed(1)} dB without; peaks ${on.peakDb.toFixed(1)} / ${off.peakDb.toFixed(1)} dB`,
      );
      assert.ok(off.floorDb - on.floorDb >= 10, 'the noise floor is at least 10 dB lower with suppression');
      assert.ok(on.peakDb > on.floorDb + 10, 'the bursts are still heard with suppression');

      await guest.click('#settings-noise');
      const back = await eventually(
        'suppression on again',
        () => extra(guest),
        (d) => d.noise === 'rnnoise',
      );
      assert.equal(back.producers['mic'], producer, 'same producer after switching on');
      const again = await heardAtHost(4000);
      assert.ok(off.floorDb - again.floorDb >= 10, 'the noise floor drops again');

      // Another microphone, with suppression on: denoised too, through the same producer.
      const other = await guest.evaluate(() => {
        const select = document.querySelector<HTMLSelectElement>('#settings-mic')!;
        return [...select.options].map((o) => o.value).find((v) => v !== select.value);
      });
      assert.ok(other, 'Chromium lists a second fake microphone');
      await guest.selectOption('#settings-mic', other);
      await eventually(
        'the other microphone is used',
        () => guest.inputValue('#settings-mic'),
        (v) => v === other,
      );
      const switched = await extra(guest);
      assert.equal(switched.noise, 'rnnoise', 'the new microphone is denoised');
      assert.equal(switched.producers['mic'], producer, 'same producer after a microphone switch');
      assert.ok((await heardAtHost(3000)).peakDb > -60, 'the host hears the new microphone');
      // Remembered on this device: the next pre-join page starts with the choice.
      await guest.click('#settings-noise');
      await eventually(
        'suppression off',
        () => extra(guest),
        (d) => d.noise === 'off',
      );
      assert.equal(await guest.evaluate(() => localStorage.getItem('conclave:noise-suppression')), 'off');
    });

    it('closes the denoiser’s AudioContext when the microphone is released', async () => {
      const open = () =>
        guest.evaluate(
          () =>
            (globalThis as unknown as { testContexts: AudioContext[] }).testContexts.filter(
              (c) => c.state !== 'closed',
            ).length,
        );
      await guest.click('#settings-noise');
      await eventually(
        'suppression on',
        () => extra(guest),
        (d) => d.noise === 'rnnoise',
      );
      assert.ok((await open()) >= 1, 'the denoiser runs in an AudioContext');
      await guest.click('#leave');
      await eventually('no AudioContext left open after leaving', open, (n) => n === 0);
    });
  });

  it('falls back to the browser’s own noise suppression without AudioWorklet, and says so', async () => {
    const other = await env.newPage();
    await other.addInitScript(() => {
      delete (globalThis as { AudioWorkletNode?: unknown }).AudioWorkletNode;
    });
    const { link } = await createMeeting(page, env.origin);
    await other.goto(link);
    await other.waitForSelector('#noise-on', { timeout: 20_000 });
    await joinMeeting(other, link, 'Fallback');
    const d = await extra(other);
    assert.equal(d.noise, 'unavailable');
    assert.ok(d.producers['mic'], 'the microphone is still sent');
    await openPanel(other, 'settings');
    await other.waitForSelector('#settings-noise-note:not([hidden])', { timeout: 15_000 });
    assert.match((await other.textContent('#settings-noise-note')) ?? '', /its own noise reduction is used/);
  });
});
