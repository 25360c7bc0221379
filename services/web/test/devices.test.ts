/**
 * Device choice in real browsers: the pre-join page's microphone level meter, and changing the
 * microphone, camera and speaker in the meeting's settings panel while another participant
 * keeps hearing and seeing the same, still decrypting streams. Chromium's fake devices are
 * beeping microphones (with "default") and one camera; an init script adds a second microphone
 * (a steady tone), a second, magenta, camera, and a microphone and a camera that are always busy.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import {
  createMeeting,
  type Diagnostics,
  diagnostics,
  eventually,
  joinMeeting,
  openPanel,
  startTestEnv,
  submitPrejoin,
  type TestEnv,
  SUITE_TIMEOUT_MS,
} from './support/harness.ts';
import { moreDevices, nothingByDefault, type TestScope } from './support/fake-devices.ts';
import { magenta, tileColour } from './support/tile-colour.ts';

const SECOND_MIC = 'test-second-mic';
const BUSY_MIC = 'test-busy-mic';
const MAGENTA_CAMERA = 'test-magenta-camera';
const BUSY_CAMERA = 'test-busy-camera';
/** What no request or WebSocket frame may carry: the devices' IDs and labels stay in the page. */
const PRIVATE = [
  SECOND_MIC,
  BUSY_MIC,
  MAGENTA_CAMERA,
  BUSY_CAMERA,
  'Second microphone',
  'Magenta camera',
  'Fake Audio',
];
/**
 * These tests follow which microphone track is sent and count the meters' AudioContexts: their
 * pages send the microphones themselves (noise-suppression.test.ts switches microphones with it on).
 */
const withoutNoiseSuppression = () => localStorage.setItem('conclave:noise-suppression', 'off');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The highest value a meter shows within `ms` (the fake microphones beep: a peak is short). */
function peakLevel(page: Page, selector: string, ms: number): Promise<number> {
  return page.evaluate(
    ([s, duration]) =>
      new Promise<number>((resolve) => {
        let peak = 0;
        const end = Date.now() + duration;
        const timer = setInterval(() => {
          peak = Math.max(peak, document.querySelector<HTMLMeterElement>(s)?.value ?? 0);
          if (Date.now() < end) return;
          clearInterval(timer);
          resolve(peak);
        }, 20);
      }),
    [selector, ms] as const,
  );
}

/** The page's AudioContexts (the level meters') that are not closed. */
const openContexts = (page: Page) =>
  page.evaluate(
    () => (globalThis as unknown as TestScope).testAudioContexts.filter((c) => c.state !== 'closed').length,
  );

/** Whether the microphone the page sends is the second microphone's tone. */
const sendsSecondMic = (page: Page) =>
  page.evaluate(() => {
    const scope = globalThis as unknown as TestScope;
    const id = scope.testAudioSender?.track?.id;
    return !!id && scope.testSecondMicTracks.includes(id);
  });

const remote = (d: Diagnostics, peerId: string, source: string) =>
  d.remote.filter((r) => r.peerId === peerId && r.source === source);
const failures = (d: Diagnostics) => Object.values(d.crypto.decryptFailures).reduce((a, b) => a + b, 0);

describe('choosing devices', { timeout: SUITE_TIMEOUT_MS }, () => {
  let env: TestEnv;
  let ana: Page;
  let ben: Page;
  let link: string;
  let anaPeer: string;
  const leaked: string[] = [];

  /** Ana's mic as Ben receives it: the one consumer's packets and energy. */
  async function anaMicAtBen(): Promise<{ count: number; packets: number; energy: number; paused: boolean }> {
    const mics = remote(await diagnostics(ben), anaPeer, 'mic');
    return {
      count: mics.length,
      packets: mics[0]?.packetsReceived ?? 0,
      energy: mics[0]?.totalAudioEnergy ?? 0,
      paused: mics[0]?.paused ?? true,
    };
  }

  /** Ben keeps hearing Ana: her one mic consumer's audio energy rises. */
  async function benHearsAna(what: string): Promise<void> {
    const start = await anaMicAtBen();
    const now = await eventually(
      `${what}: Ben hears Ana`,
      anaMicAtBen,
      (m) => m.energy > start.energy + 0.05 && m.packets > start.packets + 50,
    );
    assert.equal(now.count, 1, `${what}: one mic consumer for Ana at Ben`);
  }

  before(async () => {
    env = await startTestEnv();
    ana = await env.newPage();
    ben = await env.newPage();
    await ana.addInitScript(moreDevices);
    await ana.addInitScript(withoutNoiseSuppression);
    for (const page of [ana, ben]) {
      page.on('request', (r) => {
        const text = `${r.url()} ${JSON.stringify(r.headers())} ${r.postData() ?? ''}`;
        for (const p of PRIVATE) if (text.includes(p)) leaked.push(`request ${r.url()} carries ${p}`);
      });
      page.on('websocket', (ws) =>
        ws.on('framesent', (f) => {
          for (const p of PRIVATE) if (String(f.payload).includes(p)) leaked.push(`ws frame carries ${p}`);
        }),
      );
    }
  });

  after(async () => {
    await env?.close();
  });

  it('shows the microphone level before joining, follows the chosen microphone and stops on join', async () => {
    const created = await createMeeting(ana, env.origin);
    link = created.link;
    await ana.goto(created.hostLink);
    await ana.waitForSelector('#mic-level', { timeout: 20_000 });
    assert.equal(await ana.textContent('label[for="mic-level"]'), 'Microphone level');
    await eventually(
      'the meter moves with the beeping fake microphone',
      () => peakLevel(ana, '#mic-level', 1000),
      (v) => v > 0.2,
      10_000,
    );
    await ana.screenshot({ path: '/tmp/conclave-devices-prejoin.png', fullPage: true });
    await ana.uncheck('#mic-on');
    assert.equal(await peakLevel(ana, '#mic-level', 1500), 0, 'empty with the microphone off');
    await ana.check('#mic-on');
    await ana.waitForSelector(`#mic-select option[value="${SECOND_MIC}"]`, { state: 'attached' });
    await ana.selectOption('#mic-select', SECOND_MIC);
    await eventually(
      'the meter follows the second microphone',
      () => peakLevel(ana, '#mic-level', 500),
      (v) => v > 0.5,
      10_000,
    );
    await ana.selectOption('#mic-select', 'default');
    await submitPrejoin(ana, 'Ana');
    await eventually(
      'the meter’s AudioContext closed on join',
      () => openContexts(ana),
      (n) => n === 0,
    );
    await joinMeeting(ben, link, 'Ben');
    anaPeer = (await diagnostics(ana)).peerId;
    await benHearsAna('before any change');
  });

  it('switches the microphone through the same producer: the other side keeps hearing and decrypting', async () => {
    await openPanel(ana, 'settings');
    await ana.waitForSelector(`#settings-mic option[value="${SECOND_MIC}"]`, { state: 'attached' });
    assert.equal(await ana.inputValue('#settings-mic'), 'default', 'the microphone in use is selected');
    await eventually(
      'the settings meter moves with the current microphone',
      () => peakLevel(ana, '#settings-mic-level', 1000),
      (v) => v > 0.2,
      10_000,
    );
    const failed = failures(await diagnostics(ben));
    await ana.selectOption('#settings-mic', SECOND_MIC);
    await eventually(
      'the second microphone is sent',
      () => sendsSecondMic(ana),
      (v) => v,
    );
    await benHearsAna('after the switch');
    assert.equal(failures(await diagnostics(ben)), failed, 'no frame failed to decrypt');
    assert.ok(
      (await peakLevel(ana, '#settings-mic-level', 500)) > 0.5,
      'the meter follows the new microphone',
    );
  });

  it('keeps a muted person muted through a microphone switch', async () => {
    await ana.click('#toggle-mic');
    await eventually('Ana muted at Ben', anaMicAtBen, (m) => m.paused);
    await ana.selectOption('#settings-mic', 'default');
    await eventually(
      'the default microphone is sent',
      () => sendsSecondMic(ana),
      (v) => !v,
    );
    const before = await anaMicAtBen();
    await sleep(1500);
    const later = await anaMicAtBen();
    assert.ok(
      later.packets - before.packets < 5,
      `no audio while muted (${before.packets} → ${later.packets})`,
    );
    assert.equal(await ana.getAttribute('#toggle-mic', 'aria-pressed'), 'true', 'still shown as muted');
    assert.equal(await peakLevel(ana, '#settings-mic-level', 1000), 0, 'the meter is empty while muted');
    await ana.click('#toggle-mic');
    await eventually('Ana unmuted at Ben', anaMicAtBen, (m) => !m.paused);
    await benHearsAna('after unmuting');
  });

  it('switches the camera through the same consumer', async () => {
    const tile = `peer:${anaPeer}`;
    await eventually(
      'Ana’s camera at Ben',
      async () => remote(await diagnostics(ben), anaPeer, 'camera')[0]?.framesDecoded ?? 0,
      (f) => f > 10,
    );
    assert.equal(magenta(await tileColour(ben, tile)), false, 'the fake camera first');
    const frames = async () => remote(await diagnostics(ben), anaPeer, 'camera')[0]?.framesDecoded ?? 0;
    const before = await frames();
    await ana.selectOption('#settings-cam', MAGENTA_CAMERA);
    await eventually('the magenta camera at Ben', () => tileColour(ben, tile), magenta);
    const cams = remote(await diagnostics(ben), anaPeer, 'camera');
    assert.equal(cams.length, 1, 'still one camera consumer');
    assert.ok(
      cams[0]!.framesDecoded > before,
      `the same consumer kept decoding (${before} → ${cams[0]!.framesDecoded})`,
    );
    assert.equal(await ana.inputValue('#settings-cam'), MAGENTA_CAMERA);
  });

  it('plays the others on the chosen speaker, also those who join later', async () => {
    // Chromium's fake devices include audio outputs ("Fake Audio Output 1" and 2) that the
    // browser's own `setSinkId` accepts, so the test goes through the real API.
    const output = await ana.evaluate(
      () =>
        [...document.querySelectorAll<HTMLOptionElement>('#settings-speaker option')].find(
          (o) => o.value !== 'default',
        )?.value ?? '',
    );
    assert.ok(output, 'an output other than the default is offered');
    await ana.selectOption('#settings-speaker', output);
    const sinks = () =>
      ana.evaluate(() => [...document.querySelectorAll('audio')].map((a) => (a as HTMLAudioElement).sinkId));
    await eventually('Ben plays on the chosen output', sinks, (s) => s.length === 1 && s[0] === output);
    const cleo = await env.newPage();
    await joinMeeting(cleo, link, 'Cleo');
    await eventually(
      'Cleo, who joined later, too',
      sinks,
      (s) => s.length === 2 && s.every((id) => id === output),
      30_000,
    );
    await cleo.click('#leave');
  });

  it('tells when a microphone or camera cannot be opened, and keeps the one in use', async () => {
    await ana.selectOption('#settings-mic', SECOND_MIC);
    await eventually(
      'the second microphone is sent',
      () => sendsSecondMic(ana),
      (v) => v,
    );
    await ana.selectOption('#settings-mic', BUSY_MIC);
    const alert = await eventually(
      'the alert',
      () => ana.textContent('#settings-error[role="alert"]'),
      (t) => !!t,
    );
    assert.match(alert ?? '', /could not be opened.*previous microphone is still in use/);
    await ana.screenshot({ path: '/tmp/conclave-devices-settings.png' });
    assert.equal(await ana.inputValue('#settings-mic'), SECOND_MIC, 'the select shows the microphone in use');
    assert.equal(await sendsSecondMic(ana), true, 'the second microphone is still sent');
    await benHearsAna('after the failed choice');

    // A camera is released before the next is opened (phones open one at a time): the one
    // that worked is opened again.
    const tile = `peer:${anaPeer}`;
    const frames = async () => remote(await diagnostics(ben), anaPeer, 'camera')[0]?.framesDecoded ?? 0;
    await ana.selectOption('#settings-cam', BUSY_CAMERA);
    await eventually(
      'the camera alert',
      () => ana.textContent('#settings-error'),
      (t) => /This camera could not be opened.*previous camera is still in use/.test(t ?? ''),
    );
    assert.equal(await ana.inputValue('#settings-cam'), MAGENTA_CAMERA, 'the select shows the camera in use');
    const before = await frames();
    await eventually(
      'Ben sees the magenta camera again',
      () => frames(),
      (f) => f > before + 30,
    );
    assert.equal(magenta(await tileColour(ben, tile)), true, 'the magenta camera at Ben');
    assert.equal(remote(await diagnostics(ben), anaPeer, 'camera').length, 1, 'one camera consumer');
  });

  it('sends a microphone chosen by someone who joined without one', async () => {
    const dan = await env.newPage();
    await dan.addInitScript(moreDevices);
    await dan.addInitScript(withoutNoiseSuppression);
    await dan.addInitScript(nothingByDefault);
    // A preview without a camera keeps the document from its load event: do not wait for it.
    await dan.goto(link, { waitUntil: 'domcontentloaded' });
    await dan.waitForSelector('#media-error:not(:empty)', { timeout: 20_000 });
    await submitPrejoin(dan, 'Dan');
    const danPeer = (await diagnostics(dan)).peerId;
    await openPanel(dan, 'settings');
    await dan.waitForSelector(`#settings-mic option[value="${SECOND_MIC}"]`, { state: 'attached' });
    await dan.selectOption('#settings-mic', SECOND_MIC);
    const danMic = async () => remote(await diagnostics(ana), danPeer, 'mic');
    await eventually('Dan’s microphone at Ana', danMic, (m) => m.length === 1);
    await sleep(1000);
    const silent = (await danMic())[0]!.packetsReceived;
    assert.ok(silent < 5, `nothing sent while Dan’s microphone is off (${silent} packets)`);
    // Paused right after it was produced: Ana, whose consume of it was then in flight, shows it so.
    assert.equal((await danMic())[0]!.paused, true, 'shown as muted at Ana');
    assert.equal(await dan.getAttribute('#toggle-mic', 'aria-pressed'), 'true', 'off until Dan turns it on');
    await dan.click('#toggle-mic');
    await eventually(
      'Ana hears Dan',
      async () => remote(await diagnostics(ana), danPeer, 'mic')[0]?.totalAudioEnergy ?? 0,
      (e) => e > 0.05,
    );
    await dan.click('#leave');
  });

  it('stops measuring when the panel closes, and never lets a device name or ID leave the page', async () => {
    await ana.click('#open-settings');
    assert.equal(await ana.isHidden('#side-panel'), true);
    await eventually(
      'no AudioContext left open',
      () => openContexts(ana),
      (n) => n === 0,
    );
    const stored = await ana.evaluate(() => JSON.stringify({ ...localStorage, ...sessionStorage }));
    for (const p of PRIVATE) assert.equal(stored.includes(p), false, `${p} is not stored`);
    assert.deepEqual(leaked, [], 'no request or WebSocket frame carried a device name or ID');
  });
});
