/**
 * The meeting on a phone: a touch-screen page at 390×844 and 844×390 hosts a meeting with a
 * desktop participant. Its pages fit the screen with touch-sized controls, its side panels cover
 * the page and close again, it switches between two cameras without the other side losing the
 * picture, and it keeps the meeting going through a trip to the background.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { assertAccessible } from './support/axe.ts';
import { smallTargets } from './support/touch-targets.ts';
import {
  type Diagnostics,
  diagnostics,
  eventually,
  openPanel,
  startTestEnv,
  submitPrejoin,
  type TestEnv,
  SUITE_TIMEOUT_MS,
} from './support/harness.ts';
import { magenta, tileColour } from './support/tile-colour.ts';

const PORTRAIT = { width: 390, height: 844 };
const LANDSCAPE = { width: 844, height: 390 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Chromium's fake device is one camera: this adds a second ("back") one, a magenta canvas, so
 * the others can tell which camera they are seeing.
 */
function twoCameras(): void {
  const media = navigator.mediaDevices;
  const enumerate = media.enumerateDevices.bind(media);
  const open = media.getUserMedia.bind(media);
  const BACK = 'test-back-camera';
  media.enumerateDevices = async () => {
    const list = await enumerate();
    const back = { deviceId: BACK, groupId: BACK, kind: 'videoinput', label: 'Back camera' };
    return [...list, { ...back, toJSON: () => back } as MediaDeviceInfo];
  };
  media.getUserMedia = async (constraints) => {
    const video = constraints?.video;
    const wanted = typeof video === 'object' ? (video.deviceId as { exact?: string } | undefined)?.exact : '';
    if (wanted !== BACK) return open(constraints);
    const canvas = Object.assign(document.createElement('canvas'), { width: 640, height: 360 });
    const g = canvas.getContext('2d')!;
    let n = 0;
    // A canvas stream sends a frame when the canvas changes: keep it moving.
    setInterval(() => {
      g.fillStyle = '#ff00ff';
      g.fillRect(0, 0, 640, 360);
      g.fillStyle = '#000';
      g.fillRect((n++ * 8) % 640, 0, 16, 16);
    }, 33);
    return canvas.captureStream(30);
  };
}

async function assertTouchSized(page: Page, where: string): Promise<void> {
  assert.deepEqual(await smallTargets(page), [], `controls under 44×44 px on ${where}`);
}

/** The page is no wider than the screen; the grid and the control bar lie inside it. */
async function assertFits(page: Page, where: string): Promise<void> {
  const fit = await page.evaluate(() => {
    const inside = (selector: string) => {
      const r = document.querySelector(selector)!.getBoundingClientRect();
      return r.height >= 44 && r.left >= 0 && r.top >= 0 && r.right <= innerWidth && r.bottom <= innerHeight;
    };
    return {
      scrollWidth: document.documentElement.scrollWidth,
      innerWidth,
      grid: inside('#grid'),
      controls: inside('.controls'),
    };
  });
  assert.ok(fit.scrollWidth <= fit.innerWidth, `no horizontal overflow on ${where}: ${JSON.stringify(fit)}`);
  assert.ok(
    fit.grid && fit.controls,
    `grid and control bar inside the screen on ${where}: ${JSON.stringify(fit)}`,
  );
}

const remote = (d: Diagnostics, peerId: string, source: string) =>
  d.remote.find((r) => r.peerId === peerId && r.source === source);

describe('the meeting on a phone', { timeout: SUITE_TIMEOUT_MS }, () => {
  let env: TestEnv;
  let phone: Page;
  let desk: Page;
  let phonePeer: string;
  let deskPeer: string;

  before(async () => {
    env = await startTestEnv();
    phone = await env.newPage({ viewport: PORTRAIT, phone: true });
    desk = await env.newPage();
    await phone.addInitScript(twoCameras);
  });

  after(async () => {
    await env?.close();
  });

  it('has touch-sized controls on the home and pre-join pages', async () => {
    assert.equal(await phone.evaluate(() => matchMedia('(pointer: coarse)').matches), true, 'a touch screen');
    await phone.goto(`${env.origin}/`);
    await assertTouchSized(phone, 'the home page');
    await phone.tap('#new-meeting');
    await phone.waitForSelector('#host-link', { timeout: 20_000 });
    await assertTouchSized(phone, 'the home page with the new links');
    await phone.screenshot({ path: '/tmp/conclave-phone-home.png', fullPage: true });
    const link = await phone.inputValue('#participant-link');
    await phone.goto(await phone.inputValue('#host-link'));
    await phone.waitForSelector('#join-button', { timeout: 20_000 });
    await assertTouchSized(phone, 'the pre-join page');
    await phone.screenshot({ path: '/tmp/conclave-phone-prejoin.png', fullPage: true });
    await submitPrejoin(phone, 'Pat on the phone');
    await desk.goto(link);
    await submitPrejoin(desk, 'Dee at the desk');
    const both = await eventually(
      'each decodes the other’s camera',
      () => Promise.all([diagnostics(phone), diagnostics(desk)]),
      ([p, d]) =>
        !!remote(p, d.peerId, 'camera')?.framesDecoded && !!remote(d, p.peerId, 'camera')?.framesDecoded,
      30_000,
    );
    phonePeer = both[0].peerId;
    deskPeer = both[1].peerId;
  });

  for (const [name, size] of [
    ['portrait', PORTRAIT],
    ['landscape', LANDSCAPE],
  ] as const) {
    it(`fits the meeting page on the screen in ${name} (${size.width}×${size.height})`, async () => {
      await phone.setViewportSize(size);
      await eventually(
        'the other’s name in the grid',
        () => phone.textContent('#grid'),
        (t) => !!t?.includes('Dee at the desk'),
      );
      await phone.screenshot({ path: `/tmp/conclave-phone-${name}.png` });
      await assertFits(phone, name);
      await assertTouchSized(phone, `the meeting page in ${name}`);
      await assertAccessible(phone, `the meeting page in ${name}`);
      // The bar scrolls sideways: the reactions menu must still show, whole, above it.
      await phone.tap('#react');
      const menu = await phone.evaluate(() => {
        const r = document.querySelector('.react-menu')!.getBoundingClientRect();
        return (
          r.height >= 44 && r.left >= 0 && r.top >= 0 && r.right <= innerWidth && r.bottom <= innerHeight
        );
      });
      assert.ok(menu, `the reactions menu lies inside the screen in ${name}`);
      await assertTouchSized(phone, `the reactions menu in ${name}`);
      await phone.keyboard.press('Escape');
      assert.equal(await phone.isHidden('.react-menu'), true);
    });
  }

  it('opens a side panel over the whole screen, readable and closed by its button', async () => {
    await phone.setViewportSize(PORTRAIT);
    await openPanel(phone, 'people');
    const panel = await phone.evaluate(() => {
      const r = document.querySelector('#side-panel')!.getBoundingClientRect();
      return { width: r.width, height: r.height, innerWidth, innerHeight };
    });
    assert.ok(
      panel.width === panel.innerWidth && panel.height === panel.innerHeight,
      `the panel covers the screen: ${JSON.stringify(panel)}`,
    );
    assert.match((await phone.textContent('#people-list')) ?? '', /Dee at the desk/);
    await assertTouchSized(phone, 'the People panel (host actions included)');
    await assertAccessible(phone, 'the People panel on a phone');
    await phone.screenshot({ path: '/tmp/conclave-phone-panel.png' });
    await phone.tap('#close-panel');
    assert.equal(await phone.isHidden('#side-panel'), true, 'the close button closes it');
    assert.equal(await phone.getAttribute('#open-people', 'aria-pressed'), 'false');
    assert.equal(
      await phone.evaluate(() => document.activeElement?.id),
      'open-people',
      'focus back on its button',
    );
    // The settings panel: its lists and meter fit the phone, with touch-sized lists.
    await openPanel(phone, 'settings');
    await phone.waitForSelector('#settings-mic option', { state: 'attached' });
    const settings = await phone.evaluate(() => {
      const r = document.querySelector('#side-panel')!.getBoundingClientRect();
      const body = document.querySelector('#side-panel .settings')!.getBoundingClientRect();
      return {
        fits: body.right <= r.right && body.bottom <= r.bottom,
        scrollWidth: document.documentElement.scrollWidth,
      };
    });
    assert.ok(
      settings.fits && settings.scrollWidth <= PORTRAIT.width,
      `the settings panel fits: ${JSON.stringify(settings)}`,
    );
    await assertTouchSized(phone, 'the Settings panel');
    await assertAccessible(phone, 'the Settings panel on a phone');
    await phone.screenshot({ path: '/tmp/conclave-phone-settings.png' });
    await phone.tap('#close-panel');
    assert.equal(await phone.isHidden('#side-panel'), true);
  });

  it('switches between two cameras through the same producer; with one camera there is no switch', async () => {
    assert.equal((await diagnostics(desk)).cameras, 1);
    assert.equal(await desk.isHidden('#switch-camera'), true, 'no switch with one camera');
    assert.equal((await diagnostics(phone)).cameras, 2);
    const phoneTile = `peer:${phonePeer}`;
    assert.equal(magenta(await tileColour(desk, phoneTile)), false, 'the front camera first');
    const framesAt = async () => remote(await diagnostics(desk), phonePeer, 'camera')!.framesDecoded;
    const before = await framesAt();
    await phone.tap('#switch-camera');
    await eventually('the back camera at the other side', () => tileColour(desk, phoneTile), magenta);
    const cams = (await diagnostics(desk)).remote.filter(
      (r) => r.peerId === phonePeer && r.source === 'camera',
    );
    assert.equal(cams.length, 1, 'still one camera consumer');
    const after = await framesAt();
    assert.ok(after > before, `one consumer kept decoding (${before} → ${after})`);
    await sleep(1000);
    const later = await framesAt();
    assert.ok(later > after + 5, `frames keep decoding after the switch (${after} → ${later})`);
    await phone.tap('#switch-camera');
    await eventually(
      'the front camera again',
      () => tileColour(desk, phoneTile),
      (c) => !magenta(c),
    );
  });

  it('keeps audio through the background and resumes video on return', async () => {
    const cdp = await phone.context().newCDPSession(phone);
    const setVisible = (visible: boolean) =>
      phone.evaluate((v) => {
        const state = v ? 'visible' : 'hidden';
        Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => state });
        Object.defineProperty(document, 'hidden', { configurable: true, get: () => !v });
        document.dispatchEvent(new Event('visibilitychange'));
      }, visible);
    const micAtDesk = async () => remote(await diagnostics(desk), phonePeer, 'mic')!.packetsReceived;
    const phoneCamAtDesk = async () => remote(await diagnostics(desk), phonePeer, 'camera')!.framesDecoded;
    const atPhone = await diagnostics(phone);
    const deskMicAtPhone = remote(atPhone, deskPeer, 'mic')!.packetsReceived;

    // In the background a phone may take the camera away (the track ends) and freeze the page.
    await setVisible(false);
    await phone.evaluate(() => {
      const self = document.querySelector<HTMLVideoElement>('[data-key="self"] video')!;
      for (const t of (self.srcObject as MediaStream).getVideoTracks()) t.stop();
    });
    await cdp.send('Page.setWebLifecycleState', { state: 'frozen' });
    const mic0 = await micAtDesk();
    const cam0 = await phoneCamAtDesk();
    await sleep(3000);
    const mic1 = await micAtDesk();
    const cam1 = await phoneCamAtDesk();
    assert.ok(mic1 > mic0 + 50, `the phone’s audio kept flowing while in the background (${mic0} → ${mic1})`);
    assert.ok(cam1 - cam0 < 10, `the camera was really gone (${cam0} → ${cam1})`);

    await cdp.send('Page.setWebLifecycleState', { state: 'active' });
    await setVisible(true);
    const back = await diagnostics(phone);
    assert.ok(back.returns >= 1, 'the page noticed its return');
    const deskMicNow = remote(back, deskPeer, 'mic')!.packetsReceived;
    assert.ok(
      deskMicNow > deskMicAtPhone + 100,
      `audio reached the phone throughout (${deskMicAtPhone} → ${deskMicNow})`,
    );
    await eventually('the phone’s camera decoding again at the desk', phoneCamAtDesk, (f) => f > cam1 + 30);
    const deskCam0 = remote(await diagnostics(phone), deskPeer, 'camera')!.framesDecoded;
    await eventually(
      'the desk’s camera decoding at the phone',
      async () => remote(await diagnostics(phone), deskPeer, 'camera')!.framesDecoded,
      (f) => f > deskCam0 + 30,
    );
    const mic2 = await micAtDesk();
    await sleep(1000);
    assert.ok((await micAtDesk()) > mic2 + 25, 'the phone’s audio still flows after the return');
  });
});
