/**
 * Every state of the meeting page's controls, on a desktop (1280×800) and a phone (390×844,
 * touch): each is photographed into CONCLAVE_SCREENSHOTS (default: a temporary folder) and
 * checked — each button's icon, label and pressed state; the bar inside the screen; touch-sized
 * targets on the phone; tooltips on the desktop only; no serious accessibility violation.
 * Then the failure states a person can hit: camera and microphone blocked, the camera in use by
 * another app (joining with the microphone only), the connection lost, removed by the host,
 * and the meeting ended, each at both sizes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import {
  createMeeting,
  diagnostics,
  eventually,
  joinMeeting,
  lockMeeting,
  openPanel,
  startSharing,
  startTestEnv,
  statusCleared,
  type TestEnv,
  SUITE_TIMEOUT_MS,
  within,
} from './support/harness.ts';
import { controlSockets } from './support/network-control.ts';
import { background, capture, controls, DANGER_FILL, DESKTOP, PHONE, tooltip } from './support/screens.ts';

describe('the meeting page’s controls in every state, on a desktop and a phone', {
  timeout: SUITE_TIMEOUT_MS,
}, () => {
  let env: TestEnv;
  let desk: Page;
  let phone: Page;
  let link: string;
  let phoneSockets: Awaited<ReturnType<typeof controlSockets>>;

  before(async () => {
    env = await startTestEnv();
    desk = await env.newPage({ viewport: DESKTOP });
    phone = await env.newPage({ viewport: PHONE, phone: true });
    phoneSockets = await controlSockets(phone);
    const links = await createMeeting(desk, env.origin);
    link = links.link;
    await joinMeeting(desk, links.hostLink, 'Dana at the desk');
    await joinMeeting(phone, link, 'Pat on the phone');
    await eventually(
      'each sees the other',
      () => Promise.all([desk.textContent('#grid'), phone.textContent('#grid')]),
      ([d, p]) => !!d?.includes('Pat on the phone') && !!p?.includes('Dana at the desk'),
      30_000,
    );
  });

  after(async () => {
    await env?.close();
  });

  for (const [size, pageOf] of [
    ['desktop', () => desk],
    ['phone', () => phone],
  ] as const) {
    it(`shows each control's state with its icon and label (${size})`, async () => {
      const page = pageOf();
      await capture(page, size, 'default');
      const initial = await controls(page);
      assert.deepEqual(initial['toggle-mic'], {
        icon: 'mic',
        label: 'Mute',
        pressed: 'false',
        hidden: false,
      });
      assert.deepEqual(initial['toggle-cam'], {
        icon: 'camera',
        label: 'Stop video',
        pressed: 'false',
        hidden: false,
      });
      assert.equal(initial['switch-camera']?.hidden, true, 'one camera: no switch');
      assert.equal(initial['toggle-hand']?.icon, 'hand');
      assert.deepEqual(initial['leave'], { icon: 'leave', label: 'Leave', pressed: null, hidden: false });
      const micBefore = await page.locator('#toggle-mic').screenshot();

      await page.click('#toggle-mic');
      await eventually(
        'muted',
        () => controls(page),
        (c) => c['toggle-mic']?.pressed === 'true',
      );
      const muted = await controls(page);
      assert.deepEqual(muted['toggle-mic'], {
        icon: 'micOff',
        label: 'Unmute',
        pressed: 'true',
        hidden: false,
      });
      assert.equal(await background(page, 'toggle-mic'), DANGER_FILL, 'a muted microphone shows in red');
      assert.notDeepEqual(
        await page.locator('#toggle-mic').screenshot(),
        micBefore,
        'the button looks different',
      );
      await capture(page, size, 'microphone-off');

      await page.click('#toggle-cam');
      await eventually(
        'camera off',
        () => controls(page),
        (c) => c['toggle-cam']?.pressed === 'true',
      );
      assert.deepEqual((await controls(page))['toggle-cam'], {
        icon: 'cameraOff',
        label: 'Start video',
        pressed: 'true',
        hidden: false,
      });
      assert.equal(await background(page, 'toggle-cam'), DANGER_FILL, 'a stopped camera shows in red');
      await capture(page, size, 'camera-off');

      await page.click('#toggle-hand');
      await eventually(
        'hand up',
        () => controls(page),
        (c) => c['toggle-hand']?.label === 'Lower hand',
      );
      assert.equal((await controls(page))['toggle-hand']?.pressed, 'true');
      await capture(page, size, 'hand-raised');

      await page.click('#react');
      assert.equal(await page.getAttribute('#react', 'aria-expanded'), 'true');
      await capture(page, size, 'reactions-open');
      await page.keyboard.press('Escape');

      for (const panel of ['chat', 'people', 'info', 'settings'] as const) {
        await openPanel(page, panel);
        const c = await controls(page);
        assert.equal(c[`open-${panel}`]?.pressed, 'true', `${panel} shows as open`);
        for (const other of ['chat', 'people', 'info', 'settings'].filter((p) => p !== panel))
          assert.equal(c[`open-${other}`]?.pressed, 'false');
        await capture(page, size, `${panel}-open`);
        await page.click(size === 'phone' ? '#close-panel' : `#open-${panel}`);
      }

      // Back as it was, for the next states.
      await page.click('#toggle-mic');
      await page.click('#toggle-cam');
      await page.click('#toggle-hand');
      await eventually(
        'all back on',
        () => controls(page),
        (c) => c['toggle-mic']?.pressed === 'false' && c['toggle-cam']?.pressed === 'false',
      );
    });
  }

  it('shows tooltips on hover and keyboard focus on the desktop, never on the phone', async () => {
    await desk.hover('#toggle-mic');
    assert.equal(await tooltip(desk, 'toggle-mic'), '"Turn off your microphone"');
    await capture(desk, 'desktop', 'tooltip');
    await desk.mouse.move(5, 5);
    assert.equal(await tooltip(desk, 'toggle-mic'), 'none', 'gone when the pointer leaves');
    await desk.focus('#open-info');
    await desk.keyboard.press('Shift+Tab');
    await desk.keyboard.press('Tab');
    assert.equal(await tooltip(desk, 'open-info'), '"Meeting link and security code"', 'on keyboard focus');
    await phone.tap('#toggle-hand');
    assert.equal(await tooltip(phone, 'toggle-hand'), 'none', 'a touch leaves no tooltip behind');
    await phone.tap('#toggle-hand');
  });

  it('marks unread chat, screen sharing and people waiting in the lobby', async () => {
    await openPanel(desk, 'chat');
    await desk.fill('#chat-input', 'Hello, phone');
    await desk.press('#chat-input', 'Enter');
    await desk.click('#open-chat');
    await eventually(
      'unread chat on the phone',
      () => phone.getAttribute('#open-chat', 'class'),
      (c) => !!c?.includes('unread'),
    );
    await capture(phone, 'phone', 'chat-unread');

    await startSharing(desk);
    assert.deepEqual((await controls(desk))['toggle-screen'], {
      icon: 'screenOff',
      label: 'Stop sharing',
      pressed: null,
      hidden: false,
    });
    await capture(desk, 'desktop', 'sharing-screen');
    await desk.click('#toggle-screen');

    await lockMeeting(desk);
    const knocker = await env.newPage({ viewport: DESKTOP });
    await knocker.goto(link);
    await knocker.fill('#knock-name', 'Kim Knocker');
    await knocker.click('#ask-to-join');
    await knocker.waitForSelector('#app[data-knock="waiting"]', { timeout: 20_000 });
    await eventually(
      'one waiting',
      () => desk.textContent('#open-people'),
      (t) => t === 'People 1 waiting',
    );
    assert.equal(await desk.isVisible('#lobby-badge'), true);
    assert.equal(await desk.isVisible('#lock-badge'), true);
    await capture(desk, 'desktop', 'lobby-waiting');
    await knocker.click('#cancel-knock');
    await knocker.close();
    await eventually(
      'nobody waiting',
      () => desk.textContent('#open-people'),
      (t) => t === 'People',
    );
    await desk.click('#toggle-lock');
    await eventually(
      'unlocked',
      () => desk.isVisible('#lock-badge'),
      (v) => !v,
    );
  });

  it('tells a person the host muted them, and that the connection is lost', async () => {
    const pat = (await diagnostics(desk)).roster.find((r) => r.name === 'Pat on the phone')!;
    await openPanel(desk, 'people');
    await desk.click(`li[data-leaf="${pat.leaf}"] button[data-action="mute"]`);
    await eventually(
      'muted by the host',
      () => controls(phone),
      (c) => c['toggle-mic']?.pressed === 'true',
    );
    assert.equal(await phone.getAttribute('#toggle-mic', 'data-tip'), 'The host muted you');
    await capture(phone, 'phone', 'muted-by-host');

    await phoneSockets.offline(true);
    await phoneSockets.blip();
    await eventually(
      'the connection-lost banner',
      () => phone.textContent('.status.reconnecting'),
      (t) => t === 'Connection lost. Reconnecting…',
    );
    await capture(phone, 'phone', 'connection-lost');
    await phone.setViewportSize(DESKTOP);
    await capture(phone, 'desktop', 'connection-lost');
    await phone.setViewportSize(PHONE);
    await phoneSockets.offline(false);
    await eventually(
      'reconnected',
      () => phone.isVisible('.status.reconnecting'),
      (v) => !v,
      30_000,
    );
  });

  it('tells a removed person, and everyone when the host ends the meeting', async () => {
    // After the lost connection the phone may be back as a new member (new leaf, new SFU peer):
    // remove the one the host's roster names with the phone's current peer.
    await statusCleared(phone);
    const { roster } = await eventually(
      'the host sees the phone as it is now',
      async () => ({ roster: (await diagnostics(desk)).roster, peerId: (await diagnostics(phone)).peerId }),
      (v) => {
        const pats = v.roster.filter((r) => r.name === 'Pat on the phone');
        return pats.length === 1 && pats[0]!.peerId === v.peerId;
      },
    );
    const pat = roster.find((r) => r.name === 'Pat on the phone')!;
    desk.once('dialog', (d) => void d.accept());
    await desk.click(`li[data-leaf="${pat.leaf}"] button[data-action="remove"]`);
    await eventually(
      'the phone told it was removed',
      () => phone.getAttribute('#app', 'data-ended'),
      (v) => v === 'removed',
    );
    assert.equal(await phone.textContent('#error-title'), 'You were removed from the meeting');
    // An ended page still answers its diagnostics (its media worker is gone).
    assert.equal((await within(diagnostics(phone), 5000, 'diagnostics of an ended page')).ended, 'removed');
    await capture(phone, 'phone', 'removed');
    await phone.setViewportSize(DESKTOP);
    await capture(phone, 'desktop', 'removed');

    const other = await env.newPage({ viewport: PHONE, phone: true });
    await joinMeeting(other, link, 'Ola on another phone');
    await openPanel(desk, 'people');
    desk.once('dialog', (d) => void d.accept());
    await desk.click('#end-for-all');
    await other.waitForSelector('#app[data-ended="ended"]', { timeout: 20_000 });
    assert.equal(await other.textContent('#error-title'), 'The meeting has ended');
    await capture(other, 'phone', 'meeting-ended');
    await other.setViewportSize(DESKTOP);
    await capture(other, 'desktop', 'meeting-ended');
    await Promise.all([other.close(), phone.close(), desk.close()]);
  });

  it('explains blocked and busy devices before joining, and joins with what works', async () => {
    const { link: fresh } = await createMeeting(await env.newPage(), env.origin);
    /** A pre-join page on a desktop or a phone whose getUserMedia is changed by `script`. */
    const prejoin = async (size: 'desktop' | 'phone', script: () => void) => {
      const page = await env.newPage(
        size === 'phone' ? { viewport: PHONE, phone: true } : { viewport: DESKTOP },
      );
      await page.addInitScript(script);
      await page.goto(fresh, { waitUntil: 'domcontentloaded' });
      await page.waitForSelector('#media-retry', { timeout: 20_000 });
      return page;
    };
    const blockedScript = () => {
      navigator.mediaDevices.getUserMedia = () =>
        Promise.reject(new DOMException('denied', 'NotAllowedError'));
    };
    // The camera is held by another app; the microphone works.
    const busyScript = () => {
      const open = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
      const scope = globalThis as unknown as { cameraBusy: boolean };
      scope.cameraBusy = true;
      navigator.mediaDevices.getUserMedia = (c) =>
        c?.video && scope.cameraBusy
          ? Promise.reject(new DOMException('Could not start video source', 'NotReadableError'))
          : open(c);
    };
    for (const size of ['desktop', 'phone'] as const) {
      const blocked = await prejoin(size, blockedScript);
      const said = (await blocked.textContent('#media-error'))!;
      assert.match(said, /Camera and microphone are blocked/);
      assert.match(said, /join without camera and microphone/);
      assert.ok(await blocked.isEnabled('#join-button'), 'joining without them stays possible');
      await capture(blocked, size, 'prejoin-blocked');
      await blocked.close();

      const busy = await prejoin(size, busyScript);
      const text = (await busy.textContent('#media-error'))!;
      assert.match(text, /Your camera is in use/);
      assert.doesNotMatch(text, /microphone is/, 'the microphone opened');
      assert.match(text, /join with your microphone only/);
      await capture(busy, size, 'prejoin-camera-in-use');
      // Try again, once the other app let the camera go: the preview shows it, the notice goes.
      await busy.evaluate(() => {
        (globalThis as unknown as { cameraBusy: boolean }).cameraBusy = false;
      });
      await busy.click('#media-retry');
      await eventually(
        'the camera once free',
        () =>
          busy.evaluate(() => ({
            problem: document.getElementById('media-error')?.textContent ?? '',
            video: (document.querySelector('video.preview') as HTMLVideoElement).videoWidth,
          })),
        (v) => v.problem === '' && v.video > 0,
      );
      await busy.close();
    }
  });
});
