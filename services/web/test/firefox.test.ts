/**
 * A mixed meeting against the real embedded stack: a Chromium host and a Firefox ESR participant
 * (Puppeteer over WebDriver BiDi) each decode the other's camera and hear the other's microphone
 * through the SFrame worker, see each other's names, chat, compare the same security code, and
 * decode each other's shared screen (Firefox's from its Xvfb display); when a second Chromium
 * participant joins, the keys rotate and media keeps flowing both ways.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import {
  chatBothWays,
  createMeeting,
  type Diagnostics,
  diagnostics,
  eventually,
  joinMeeting,
  type MeetingPage,
  openPanel,
  startSharing,
  startTestEnv,
  type TestEnv,
  SUITE_TIMEOUT_MS,
} from './support/harness.ts';
import { type FirefoxBrowser, firefoxMissing, launchFirefox } from './support/firefox.ts';

/** The remote camera and microphone of `peerId` as `d` receives them. */
function mediaOf(d: Diagnostics, peerId: string) {
  return {
    camera: d.remote.find((r) => r.peerId === peerId && r.source === 'camera'),
    mic: d.remote.find((r) => r.peerId === peerId && r.source === 'mic'),
  };
}

/** `d` decodes `peerId`'s camera (more than `frames` frames) and hears its microphone. */
function receives(d: Diagnostics, peerId: string, frames = 10): boolean {
  const { camera, mic } = mediaOf(d, peerId);
  return !!camera && !!mic && camera.framesDecoded > frames && mic.totalAudioEnergy > 0;
}

const authFailures = (d: Diagnostics) => d.crypto.decryptFailures['SFRAME_AUTH_FAILED'] ?? 0;

/** A camera as one page receives it: that page's index among those read, and the sender's peer. */
type Camera = readonly [page: number, peerId: string];

const framesOf = (ds: Diagnostics[], cameras: readonly Camera[]) =>
  cameras.map(([at, peer]) => mediaOf(ds[at]!, peer).camera?.framesDecoded ?? 0);

/**
 * Waits until every camera decoded more than 10 frames beyond `from`. A picture may pause while
 * the SFU moves its consumer to another simulcast layer and waits for a key frame (longer on a
 * busy machine), but it must resume. Returns the diagnostics read last.
 */
async function keepDecoding<T extends Diagnostics[]>(
  what: string,
  read: () => Promise<T>,
  from: T,
  cameras: readonly Camera[],
): Promise<T> {
  const start = framesOf(from, cameras);
  const last = await eventually(
    `${what} (frames decoded, from ${start})`,
    read,
    (now) => framesOf(now, cameras).every((n, i) => n > start[i]! + 10),
    30_000,
  );
  return last;
}

/**
 * `from` shares its screen (Firefox: its X display; Chromium: its fake screen) and `to` decodes
 * it through SFrame with no authentication failure; then `from` stops and the screen goes away.
 */
async function sharesScreen(from: MeetingPage, to: MeetingPage): Promise<void> {
  const sharer = (await diagnostics(from)).peerId;
  const screenAt = async () => {
    const d = await diagnostics(to);
    return { d, screen: d.remote.find((r) => r.peerId === sharer && r.source === 'screen') };
  };
  await startSharing(from);
  const first = await eventually(
    'the screen decoding',
    screenAt,
    ({ screen }) => (screen?.framesDecoded ?? 0) > 5,
    30_000,
  );
  const { d } = await eventually(
    'the screen still decoding',
    screenAt,
    ({ screen }) => (screen?.framesDecoded ?? 0) > first.screen!.framesDecoded + 5,
    15_000,
  );
  assert.ok(d.crypto.decrypted > first.d.crypto.decrypted, JSON.stringify(d.crypto));
  assert.equal(authFailures(d), 0, JSON.stringify(d.crypto));
  await from.click('#toggle-screen');
  await eventually('the screen gone', screenAt, ({ screen }) => !screen);
}

const skip = firefoxMissing();

describe('a meeting with a Firefox participant', { timeout: SUITE_TIMEOUT_MS, skip }, () => {
  let env: TestEnv;
  let firefox: FirefoxBrowser;
  let host: Page;
  let fox: MeetingPage;
  let link: string;

  before(async () => {
    env = await startTestEnv();
    firefox = await launchFirefox();
    host = await env.newPage();
    const created = await createMeeting(host, env.origin);
    link = created.link;
    await joinMeeting(host, created.hostLink, 'Hosty McHost');
    fox = await firefox.newPage();
    await joinMeeting(fox, link, 'Fox');
  });

  after(async () => {
    await firefox?.close();
    await env?.close();
  });

  it('puts Firefox in the same MLS group, with the security code shown in its info panel', async () => {
    const [h, f] = await eventually(
      'two members in one epoch',
      () => Promise.all([diagnostics(host), diagnostics(fox)]),
      (d) => d.every((x) => x.size === 2 && x.epoch === d[0]!.epoch && x.securityCode === d[0]!.securityCode),
    );
    assert.match(f!.securityCode, /^\d{5} \d{5} \d{5} \d{5}$/);
    assert.equal(f!.cryptoMode, 'script-transform');
    await openPanel(fox, 'info');
    assert.equal((await fox.textContent('#security-code'))?.trim(), h!.securityCode);
    assert.equal((await fox.textContent('#info-size'))?.trim(), '2');
  });

  it('decodes video and plays audio both ways, every frame through SFrame', async () => {
    const [h0, f0] = await Promise.all([diagnostics(host), diagnostics(fox)]);
    const first = await eventually(
      'camera and microphone both ways',
      () => Promise.all([diagnostics(host), diagnostics(fox)]),
      ([h, f]) => receives(h!, f0.peerId) && receives(f!, h0.peerId),
      30_000,
    );
    await keepDecoding(
      'the host decodes Firefox and Firefox the host',
      () => Promise.all([diagnostics(host), diagnostics(fox)]),
      first,
      [
        [0, f0.peerId],
        [1, h0.peerId],
      ],
    );
    // Right after joining a side may have decrypted only a few dozen frames: wait for more.
    const both = await eventually(
      'frames through the SFrame worker both ways',
      () => Promise.all([diagnostics(host), diagnostics(fox)]),
      (ds) => ds.every((d) => d.crypto.encrypted > 50 && d.crypto.decrypted > 50),
      20_000,
    );
    for (const d of both) assert.equal(authFailures(d), 0);
  });

  it('measures each other’s connection as good, shown on the tiles', async () => {
    const [h0, f0] = await Promise.all([diagnostics(host), diagnostics(fox)]);
    // Read together: on a busy machine a level can move between two separate reads.
    const tilesOf = (page: typeof fox) =>
      page.evaluate(() =>
        [...document.querySelectorAll<HTMLElement>('.tile')].map(
          (t) => `${t.dataset['quality']} ${t.querySelector('.signal')?.getAttribute('aria-label')}`,
        ),
      );
    const seen = await eventually(
      'good both ways, on both sides, and on Firefox’s tiles',
      async () => ({ h: await diagnostics(host), f: await diagnostics(fox), tiles: await tilesOf(fox) }),
      ({ h, f, tiles }) =>
        h.quality.self === 'good' &&
        h.quality.peers[f0.peerId] === 'good' &&
        f.quality.self === 'good' &&
        f.quality.peers[h0.peerId] === 'good' &&
        tiles.length === 2 &&
        tiles.every((t) => t === 'good Connection: good'),
      // A starved page decodes under 5 frames a second for a while, which reads as fair.
      60_000,
    );
    assert.deepEqual(seen.tiles, ['good Connection: good', 'good Connection: good']);
  });

  it('shows each other’s names and carries chat both ways', async () => {
    await openPanel(host, 'people');
    await eventually(
      'Fox in the host’s people list',
      () => host.textContent('#people-list'),
      (t) => !!t?.includes('Fox'),
    );
    await eventually(
      'the host’s name in Firefox’s grid',
      () => fox.textContent('#grid'),
      (t) => !!t?.includes('Hosty McHost'),
    );
    await chatBothWays(host, fox, ['hello Firefox 🦊', 'hello Chromium']);
  });

  it('turns Firefox’s camera off and on, and the host decodes it again', async () => {
    const foxPeer = (await diagnostics(fox)).peerId;
    const cameraAtHost = async () =>
      (await diagnostics(host)).remote.find((r) => r.peerId === foxPeer && r.source === 'camera');
    await fox.click('#toggle-cam');
    await eventually('camera gone at the host', cameraAtHost, (c) => !c);
    await fox.click('#toggle-cam');
    await eventually('camera decoding again at the host', cameraAtHost, (c) => (c?.framesDecoded ?? 0) > 10);
  });

  it('shares Firefox’s screen with the host and the host’s with Firefox, decrypted at the other', async () => {
    await sharesScreen(fox, host);
    await sharesScreen(host, fox);
  });

  it('rotates the keys when a third person joins, and media keeps flowing to and from Firefox', async () => {
    const before = await Promise.all([diagnostics(host), diagnostics(fox)]);
    const carol = await env.newPage();
    await joinMeeting(carol, link, 'Carol');
    const all = () => Promise.all([diagnostics(host), diagnostics(fox), diagnostics(carol)]);
    const joined = await eventually(
      'three members in a new epoch',
      all,
      (d) =>
        d.every((x) => x.size === 3 && x.epoch === d[0]!.epoch && x.securityCode === d[0]!.securityCode) &&
        d[0]!.epoch > before[0]!.epoch,
    );
    assert.notEqual(joined[0]!.securityCode, before[0]!.securityCode);
    const [hostPeer, foxPeer, carolPeer] = joined.map((d) => d.peerId);
    const flowing = await eventually(
      'everyone receives everyone',
      all,
      ([h, f, c]) =>
        receives(h!, foxPeer!) &&
        receives(h!, carolPeer!) &&
        receives(f!, hostPeer!) &&
        receives(f!, carolPeer!) &&
        receives(c!, hostPeer!) &&
        receives(c!, foxPeer!),
      30_000,
    );
    // Frames under the new key keep coming: from Firefox to both Chromium pages, and the other way.
    const [h, f, c] = await keepDecoding('after the key change', all, flowing, [
      [0, foxPeer!],
      [2, foxPeer!],
      [1, hostPeer!],
      [1, carolPeer!],
    ]);
    for (const d of [h, f, c]) assert.equal(authFailures(d), 0, JSON.stringify(d.crypto));
  });

  it('shows the not-supported page to a Firefox without encoded transforms or too old to drive', async () => {
    const pages = [
      // As with media.peerconnection.scripttransform.enabled off: no way to encrypt frames.
      () => {
        delete (globalThis as unknown as Record<string, unknown>)['RTCRtpScriptTransform'];
      },
      // Firefox 117–119 have encoded transforms but no media handler to drive them with.
      () => {
        const ua = navigator.userAgent.replace(/Firefox\/\d+/, 'Firefox/119');
        Object.defineProperty(Navigator.prototype, 'userAgent', { get: () => ua });
      },
    ];
    for (const init of pages) {
      const page = await firefox.newPage();
      await page.addInitScript(init);
      await page.goto(link);
      await page.waitForSelector('#app[data-unsupported="true"]', { timeout: 30_000 });
      assert.match((await page.textContent('#app'))!, /cannot join encrypted meetings/);
    }
  });
});
