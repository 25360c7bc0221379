/**
 * Debian's Firefox ESR for the end-to-end tests, driven by Puppeteer over WebDriver BiDi, its
 * pages adapted to the harness's MeetingPage so the meeting helpers work on both browsers.
 */
import { existsSync } from 'node:fs';
import puppeteer, { type Page as PuppeteerPage } from 'puppeteer-core';
import type { MeetingPage } from './harness.ts';
import { startXDisplay, xvfbMissing } from './x-display.ts';

export const FIREFOX_PATH = process.env['FIREFOX_PATH'] ?? '/usr/bin/firefox-esr';
/**
 * Firefox preferences for a test page: fake camera and microphone without a prompt, remote audio
 * that plays without a click, and ICE over loopback, where the embedded stack's SFU listens.
 * Firefox gathers loopback candidates only with `ice.loopback`, and gathers anything beyond the
 * default route's address only for a page holding a camera or microphone permission: without
 * the `permissions.default.*` grants (the prompt-less fake devices leave none) its only
 * candidates are on eth0, which cannot pair with the SFU's 127.0.0.1, and ICE fails.
 */
export const FIREFOX_PREFS: Record<string, unknown> = {
  'media.navigator.streams.fake': true,
  'media.navigator.permission.disabled': true,
  'permissions.default.camera': 1,
  'permissions.default.microphone': 1,
  'media.autoplay.default': 0,
  'media.autoplay.blocking_policy': 0,
  'media.peerconnection.ice.loopback': true,
};

/**
 * Why Firefox cannot be driven here, or undefined when it can. On CI (`CI=true`) a missing
 * Firefox or Xvfb is an error: the suite must not pass there without having run it.
 */
export function firefoxMissing(): string | undefined {
  const why = existsSync(FIREFOX_PATH)
    ? xvfbMissing()
    : `Firefox not found at ${FIREFOX_PATH}: install Debian's firefox-esr (scripts/install-system-deps.sh) or set FIREFOX_PATH.`;
  if (why && process.env['CI'] === 'true') throw new Error(why);
  return why;
}

export interface FirefoxBrowser {
  /** A page in a browser context of its own, as a new visitor's (no shared storage or cache). */
  newPage(): Promise<FirefoxMeetingPage>;
  close(): Promise<void>;
}

export interface FirefoxMeetingPage extends MeetingPage {
  /** Closes the page and its browser context. */
  close(): Promise<void>;
}

/**
 * Launches headless Firefox ESR through Puppeteer (WebDriver BiDi), with a virtual X display of
 * its own that getDisplayMedia captures (the page shares "Primary Monitor" without a picker, as
 * `media.navigator.permission.disabled` grants it).
 */
export async function launchFirefox(): Promise<FirefoxBrowser> {
  const x = await startXDisplay();
  const browser = await puppeteer
    .launch({
      browser: 'firefox',
      executablePath: FIREFOX_PATH,
      headless: true,
      extraPrefsFirefox: FIREFOX_PREFS,
      env: { ...process.env, DISPLAY: x.display },
      timeout: 60_000,
    })
    .catch(async (e: unknown) => {
      await x.close();
      throw e;
    });
  return {
    async newPage() {
      const context = await browser.createBrowserContext();
      const page = await context.newPage();
      await page.setViewport({ width: 1100, height: 700 });
      page.on('pageerror', (e) =>
        console.error(`[firefox page error] ${e instanceof Error ? e.message : String(e)}`),
      );
      page.on('console', (m) => {
        if (m.type() === 'warn' || m.type() === 'error' || process.env['WEB_TEST_CONSOLE'])
          console.error(`[firefox ${m.type()}] ${m.text()}`);
      });
      return new FirefoxPage(page, () => context.close());
    },
    async close() {
      await browser.close().catch(() => {});
      await x.close();
    },
  };
}

/** A Puppeteer page behind the few Playwright-style calls the meeting helpers make. */
class FirefoxPage implements FirefoxMeetingPage {
  readonly #page: PuppeteerPage;
  readonly close: () => Promise<void>;

  constructor(page: PuppeteerPage, close: () => Promise<void>) {
    this.#page = page;
    this.close = close;
  }

  goto(url: string): Promise<unknown> {
    return this.#page.goto(url);
  }

  url(): string {
    return this.#page.url();
  }

  async click(selector: string): Promise<void> {
    await this.#page.locator(selector).click();
  }

  async fill(selector: string, value: string): Promise<void> {
    await this.#page.locator(selector).fill(value);
  }

  async press(selector: string, key: string): Promise<void> {
    await this.#page.focus(selector);
    await this.#page.keyboard.press(key as never);
  }

  async textContent(selector: string): Promise<string | null> {
    await this.#page.waitForSelector(selector);
    return this.#page.$eval(selector, (e) => e.textContent);
  }

  async inputValue(selector: string): Promise<string> {
    await this.#page.waitForSelector(selector);
    return this.#page.$eval(selector, (e) => (e as HTMLInputElement).value);
  }

  async getAttribute(selector: string, name: string): Promise<string | null> {
    await this.#page.waitForSelector(selector);
    return this.#page.$eval(selector, (e, n) => e.getAttribute(n), name);
  }

  waitForSelector(selector: string, options: { timeout: number }): Promise<unknown> {
    return this.#page.waitForSelector(selector, options);
  }

  evaluate<R>(fn: () => R | Promise<R>): Promise<R> {
    return this.#page.evaluate(fn) as Promise<R>;
  }

  addInitScript(fn: () => void): Promise<unknown> {
    return this.#page.evaluateOnNewDocument(fn);
  }
}
