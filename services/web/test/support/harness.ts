/**
 * End-to-end harness: builds the web client, starts the embedded stack (API + DS + SFU, real
 * mediasoup worker) on free loopback ports serving that build, and drives Debian's Chromium
 * (Playwright) with fake camera and microphone; Firefox ESR pages come from firefox.ts.
 */
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import type { ReceiverReport } from '@conclave/e2ee';
import { type EmbeddedStack, startEmbeddedStack } from '@conclave/embedded';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { buildWebClient, WEB_DIST } from '../../build.ts';

export const CHROMIUM_PATH = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
/** How every test launches Chromium: headless, fake camera and microphone, no background traffic. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--use-fake-device-for-media-stream',
  '--use-fake-ui-for-media-stream',
  '--autoplay-policy=no-user-gesture-required',
];

/**
 * The limit of a browser suite: a backstop against a hang, not a speed check. Every wait inside a
 * suite has its own bound, and a loaded CI machine takes two to three times as long as an idle one.
 */
export const SUITE_TIMEOUT_MS = 600_000;

async function freeTcpPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A port free for both UDP and TCP (the SFU's WebRtcServer takes both). */
async function freeRtcPort(): Promise<number> {
  for (;;) {
    const port = 42000 + Math.floor(Math.random() * 8000);
    const tcpOk = await new Promise<boolean>((resolve) => {
      const s = createServer();
      s.once('error', () => resolve(false));
      s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
    });
    if (!tcpOk) continue;
    const udpOk = await new Promise<boolean>((resolve) => {
      const s = createSocket('udp4');
      s.once('error', () => resolve(false));
      s.bind(port, '127.0.0.1', () => s.close(() => resolve(true)));
    });
    if (udpOk) return port;
  }
}

export interface TestEnv {
  stack: EmbeddedStack;
  origin: string;
  browser: Browser;
  /** `phone`: a touch screen (coarse pointer, mobile viewport) as on a phone. */
  newPage(options?: { viewport?: { width: number; height: number }; phone?: boolean }): Promise<Page>;
  close(): Promise<void>;
}

/**
 * `env` overrides the stack's environment (e.g. a benchmark lifting the per-meeting join limit);
 * `sfuWorkers`: the SFU's mediasoup workers (one unless a benchmark spreads a room over more).
 */
export async function startTestEnv(
  options: { env?: Record<string, string>; sfuWorkers?: number } = {},
): Promise<TestEnv> {
  if (!process.env['MEDIASOUP_WORKER_BIN'] || !existsSync(process.env['MEDIASOUP_WORKER_BIN'])) {
    throw new Error(
      'MEDIASOUP_WORKER_BIN is not set or missing: run `export MEDIASOUP_WORKER_BIN=$(scripts/build-mediasoup-worker.sh)`. ' +
        'The web client end-to-end tests need the real SFU.',
    );
  }
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `Chromium not found at ${CHROMIUM_PATH}: install Debian's chromium or set CHROMIUM_PATH.`,
    );
  }
  await buildWebClient();
  const stack = await startEmbeddedStack({
    host: '127.0.0.1',
    apiPort: await freeTcpPort(),
    dsPort: await freeTcpPort(),
    sfuPort: await freeTcpPort(),
    rtcPortBase: await freeRtcPort(),
    sfuWorkers: options.sfuWorkers ?? 1,
    webRoot: WEB_DIST,
    logLevel: 'warn',
    ...(options.env ? { env: { ...process.env, ...options.env } } : {}),
  });
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: CHROMIUM_ARGS,
    timeout: 30_000,
  });
  const contexts: BrowserContext[] = [];
  return {
    stack,
    origin: stack.apiUrl,
    browser,
    async newPage(options = {}) {
      const context = await browser.newContext({
        viewport: options.viewport ?? { width: 1100, height: 700 },
        permissions: ['camera', 'microphone'],
        ...(options.phone ? { hasTouch: true, isMobile: true, deviceScaleFactor: 2 } : {}),
      });
      contexts.push(context);
      const page = await context.newPage();
      page.on('pageerror', (e) => console.error(`[page error] ${e.message}`));
      page.on('console', (m) => {
        if (m.type() === 'warning' || m.type() === 'error' || process.env['WEB_TEST_CONSOLE'])
          console.error(`[page ${m.type()}] ${m.text()}`);
      });
      return page;
    },
    async close() {
      await browser.close().catch(() => {});
      await stack.close();
    },
  };
}

// ---- page helpers -------------------------------------------------------------------------

/**
 * What the helpers below need of a page. Playwright's Page (Chromium) has all of it; a Firefox
 * page from `launchFirefox` is adapted to it.
 */
export interface MeetingPage {
  goto(url: string): Promise<unknown>;
  url(): string;
  click(selector: string): Promise<void>;
  fill(selector: string, value: string): Promise<void>;
  press(selector: string, key: string): Promise<void>;
  textContent(selector: string): Promise<string | null>;
  inputValue(selector: string): Promise<string>;
  getAttribute(selector: string, name: string): Promise<string | null>;
  waitForSelector(selector: string, options: { timeout: number }): Promise<unknown>;
  evaluate<R>(fn: () => R | Promise<R>): Promise<R>;
  /** Runs `fn` in every document the page loads from now on, before its own scripts. */
  addInitScript(fn: () => void): Promise<unknown>;
}

export interface Diagnostics {
  role: string;
  epoch: number;
  size: number;
  securityCode: string;
  roster: { leaf: number; name: string; peerId: string }[];
  peerId: string;
  cryptoMode: string;
  crypto: { encrypted: number; decrypted: number; decryptFailures: Record<string, number> };
  remote: {
    peerId: string;
    source: string;
    kind: string;
    paused: boolean;
    /** Video: the SFU forwards it now (its tile is on screen), and at which simulcast layer. */
    receiving: boolean;
    layer: number | null;
    framesDecoded: number;
    frameHeight: number;
    packetsReceived: number;
    totalAudioEnergy: number;
    /** What the frame worker made of this consumer's frames (null: no transform reported yet). */
    frames: ReceiverReport | null;
  }[];
  ended: string | null;
  /** This page's DS member ID: a new one for each membership of the group. */
  member: string;
  /** Times the page came back from the background. */
  returns: number;
  /** The video inputs the page found (the camera switch shows with two or more). */
  cameras: number;
  /** Connection quality measured in the page: its own sending, and each SFU peer it receives. */
  quality: { self: Quality; peers: Record<string, Quality> };
}

export type Quality = 'good' | 'fair' | 'poor' | 'unknown';

export function diagnostics(page: MeetingPage): Promise<Diagnostics> {
  return page.evaluate(() =>
    (globalThis as unknown as { conclaveDiagnostics: () => Promise<Diagnostics> }).conclaveDiagnostics(),
  );
}

export async function createMeeting(
  page: MeetingPage,
  origin: string,
): Promise<{ link: string; hostLink: string }> {
  await page.goto(`${origin}/`);
  await page.click('#new-meeting');
  await page.waitForSelector('#host-link', { timeout: 20_000 });
  return {
    link: await page.inputValue('#participant-link'),
    hostLink: await page.inputValue('#host-link'),
  };
}

/**
 * Opens a link, fills the pre-join form and waits until the page is in the MLS group.
 * `camera: false` joins with the camera off (a meeting of several pages on two cores).
 */
export async function joinMeeting(
  page: MeetingPage,
  link: string,
  name: string,
  options: PrejoinOptions = {},
): Promise<void> {
  // The page takes the fragment out of the address bar: going to the same path with one would
  // be a same-document navigation (the page then reloads itself). Start from a blank page.
  if (new URL(page.url(), 'http://x').pathname === new URL(link).pathname) await page.goto('about:blank');
  await page.goto(link);
  await submitPrejoin(page, name, options);
}

export interface PrejoinOptions {
  /** Joins with the camera on (the default) or off. */
  camera?: boolean;
  /** Joins with the microphone on (the default) or off. */
  mic?: boolean;
}

/** Fills the pre-join form shown now and waits until the page is in the MLS group. */
export async function submitPrejoin(
  page: MeetingPage,
  name: string,
  { camera = true, mic = true }: PrejoinOptions = {},
): Promise<void> {
  await page.fill('#display-name', name);
  // The boxes start ticked: a click turns one off (the Firefox adapter has no uncheck).
  if (!camera) await page.click('#cam-on');
  if (!mic) await page.click('#mic-on');
  await page.click('#join-button');
  await page.waitForSelector('#app[data-epoch]:not([data-epoch=""])', { timeout: 60_000 });
}

/** Opens a side panel unless it is already open (the buttons toggle). */
export async function openPanel(
  page: MeetingPage,
  which: 'chat' | 'people' | 'info' | 'settings',
): Promise<void> {
  if ((await page.getAttribute(`#open-${which}`, 'aria-pressed')) !== 'true')
    await page.click(`#open-${which}`);
}

/** The host locks the meeting from the People panel and waits for the lock badge. */
export async function lockMeeting(host: Page): Promise<void> {
  await setMeetingLock(host, true);
}

/** The host locks or unlocks the meeting from the People panel and waits for the lock badge to follow. */
export async function setMeetingLock(host: Page, locked: boolean): Promise<void> {
  await openPanel(host, 'people');
  if ((await host.isVisible('#lock-badge')) === locked) return;
  await host.click('#toggle-lock');
  await eventually(
    locked ? 'lock badge' : 'lock badge gone',
    () => host.isVisible('#lock-badge'),
    (v) => v === locked,
  );
}

/** Two pages' diagnostics, read at once: `h` the host's, `a` the other's. */
export async function pairDiagnostics(host: MeetingPage, other: MeetingPage): Promise<PairDiagnostics> {
  const [h, a] = await Promise.all([diagnostics(host), diagnostics(other)]);
  return { h, a };
}

export interface PairDiagnostics {
  h: Diagnostics;
  a: Diagnostics;
}

/** Each of the two decodes the other's camera, the host that of the other's current SFU peer. */
export function cameraBothWays({ h, a }: PairDiagnostics): boolean {
  return (
    h.remote.some((r) => r.source === 'camera' && r.framesDecoded > 10 && r.peerId === a.peerId) &&
    a.remote.some((r) => r.source === 'camera' && r.framesDecoded > 10)
  );
}

/** Clicks Share screen and waits until the page shares (its button offers to stop). */
export async function startSharing(page: MeetingPage): Promise<void> {
  await page.click('#toggle-screen');
  await eventually(
    'screen share button',
    () => page.textContent('#toggle-screen'),
    (t) => t === 'Stop sharing',
    10_000,
  );
}

/** Opens both pages' chat, then each sends a line that the other must show. */
export async function chatBothWays(a: MeetingPage, b: MeetingPage, lines: [string, string]): Promise<void> {
  await openPanel(a, 'chat');
  await openPanel(b, 'chat');
  for (const [from, to, line] of [[a, b, lines[0]] as const, [b, a, lines[1]] as const]) {
    await from.fill('#chat-input', line);
    await from.press('#chat-input', 'Enter');
    await eventually(
      `chat line "${line}"`,
      () => to.textContent('#chat-log'),
      (t) => !!t?.includes(line),
    );
  }
}

/** Waits until the page's connection status (e.g. "Reconnecting…") is gone. */
export async function statusCleared(page: MeetingPage): Promise<void> {
  await eventually(
    'status cleared',
    () => page.textContent('.status'),
    (t) => t === '',
  );
}

/** How long a single probe may run past the wait's own deadline before the wait fails. */
const PROBE_GRACE_MS = 30_000;

/**
 * Polls `probe` until `ok` holds or `timeoutMs` passes. A probe that never settles (a page
 * whose evaluate never answers) fails the wait too, with a message saying so, instead of
 * holding the suite until its overall limit.
 */
export async function eventually<T>(
  what: string,
  probe: () => Promise<T>,
  ok: (value: T) => boolean,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    last = await within(probe(), Math.max(deadline - Date.now(), 0) + PROBE_GRACE_MS, what);
    if (ok(last)) return last;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}; last: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** `value`, or a failure naming `what` if it has not settled in `ms`. */
export function within<T>(value: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`timed out waiting for ${what}: a probe did not answer in ${ms} ms`)),
      ms,
    );
  });
  return Promise.race([value, expired]).finally(() => clearTimeout(timer));
}
