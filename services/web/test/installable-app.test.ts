/**
 * The client as an installable app: a manifest and icons Chromium accepts, a home page that
 * opens offline and says so, a cache holding only the client's own files (never a meeting link,
 * an API answer or a name), and a new version taking over at the next load, not mid-meeting.
 */
import assert from 'node:assert/strict';
import { appendFile, cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { generatePassword } from '@conclave/e2ee';
import { type Browser, chromium, type Page } from 'playwright-core';
import { buildWebClient } from '../build.ts';
import { buildServiceWorker } from '../build/service-worker.ts';
import { CLIENT_FILES, SERVICE_WORKER_PATH } from '../src/server/client-files.ts';
import { cachedPath, isHomePage, isMeetingPage } from '../src/sw/precache-rules.ts';
import { type BuildServer, serveBuild } from './support/build-server.ts';
import {
  CHROMIUM_ARGS,
  CHROMIUM_PATH,
  createMeeting,
  eventually,
  joinMeeting,
  startTestEnv,
  type TestEnv,
  SUITE_TIMEOUT_MS,
} from './support/harness.ts';

const PRECACHED = Object.entries(CLIENT_FILES)
  .filter(([path, { onDemand }]) => path !== SERVICE_WORKER_PATH && !onDemand)
  .map(([path]) => path);

/** Every entry of every cache of the page's origin: `[cache name, URL, body]`. */
function cacheEntries(page: Page): Promise<[string, string, string][]> {
  return page.evaluate(async () => {
    const entries: [string, string, string][] = [];
    for (const name of await caches.keys()) {
      const cache = await caches.open(name);
      for (const request of await cache.keys()) {
        entries.push([name, request.url, await (await cache.match(request))!.text()]);
      }
    }
    return entries;
  });
}

/** Waits until a service worker is active for the page, and returns the cache names then. */
async function workerReady(page: Page): Promise<string[]> {
  return page.evaluate(async () => {
    await navigator.serviceWorker.ready;
    return caches.keys();
  });
}

const controlled = (page: Page) => page.evaluate(() => navigator.serviceWorker.controller !== null);

describe('which requests the service worker answers', () => {
  const origin = 'https://conclave.example';
  const files = { '/': 'h1', '/assets/app.js': 'h2' };
  const get = (url: string, mode = 'no-cors') => cachedPath({ method: 'GET', url, mode }, origin, files);

  it('answers a GET of a client file, and a navigation only to the home page', () => {
    assert.equal(get(`${origin}/assets/app.js`), '/assets/app.js');
    assert.equal(get(`${origin}/`, 'navigate'), '/');
    assert.equal(get(`${origin}/m/ABCDEFGHJK`, 'navigate'), null, 'a meeting page comes from the server');
  });

  it('leaves the API, queries, fragments, other methods and other origins to the network', () => {
    assert.equal(get(`${origin}/v1/meetings`), null);
    assert.equal(get(`${origin}/v1/ds`), null);
    assert.equal(get(`${origin}/?meeting=ABCDEFGHJK`, 'navigate'), null);
    assert.equal(get(`${origin}/#secret`, 'navigate'), null);
    assert.equal(get(`${origin}/assets/app.js?v=1`), null);
    assert.equal(get('https://other.example/assets/app.js'), null);
    const post = { method: 'POST', url: `${origin}/assets/app.js`, mode: 'cors' };
    assert.equal(cachedPath(post, origin, files), null);
  });

  it('tells meeting pages from the home page, the only one served from the cache', () => {
    assert.equal(isMeetingPage(`${origin}/m/ABCDEFGHJK`), true);
    assert.equal(isMeetingPage(`${origin}/`), false);
    assert.equal(isHomePage(`${origin}/`), true);
    assert.equal(isHomePage(`${origin}/m/ABCDEFGHJK`), false);
    assert.equal(isHomePage(`${origin}/assets/media-worker.js`), false, 'the media worker is no page');
  });
});

describe('installable app', { timeout: SUITE_TIMEOUT_MS }, () => {
  let env: TestEnv;

  before(async () => {
    env = await startTestEnv();
  });

  after(async () => {
    await env?.close();
  });

  it('serves a manifest and icons that make Chromium report the page installable', async () => {
    const res = await fetch(`${env.origin}/manifest.webmanifest`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/manifest+json');
    const manifest = (await res.json()) as Record<string, unknown> & {
      icons: { src: string; sizes: string; type: string }[];
    };
    assert.equal(manifest['start_url'], '/');
    assert.equal(manifest['scope'], '/');
    assert.equal(manifest['display'], 'standalone');
    const styles = await readFile(new URL('../src/app/styles/base.css', import.meta.url), 'utf8');
    const background = /--bg:\s*(#[0-9a-f]{6})/.exec(styles)?.[1];
    assert.equal(manifest['background_color'], background, 'the page background');
    assert.equal(manifest['theme_color'], background);
    assert.deepEqual(new Set(manifest.icons.map((i) => i.type)), new Set(['image/svg+xml', 'image/png']));
    for (const icon of manifest.icons) {
      const image = await fetch(new URL(icon.src, env.origin));
      assert.equal(image.status, 200, icon.src);
      assert.equal(image.headers.get('content-type'), icon.type, icon.src);
      const body = Buffer.from(await image.arrayBuffer());
      if (icon.type === 'image/png') {
        // The PNG header's width and height are the sizes the manifest declares.
        assert.equal(`${body.readUInt32BE(16)}x${body.readUInt32BE(20)}`, icon.sizes, icon.src);
      }
    }
    const worker = await fetch(`${env.origin}/sw.js`);
    assert.equal(worker.status, 200);
    assert.match(worker.headers.get('content-type') ?? '', /javascript/);
    assert.equal(
      worker.headers.get('cache-control'),
      'no-cache',
      'so a new version is found at the next load',
    );
    const csp = worker.headers.get('content-security-policy') ?? '';
    assert.match(csp, /worker-src 'self'/);
    assert.match(csp, /manifest-src 'self'/);

    // Chromium never offers to install from a private profile (the test contexts): use a real one.
    const profile = await mkdtemp(join(tmpdir(), 'conclave-web-profile-'));
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM_PATH,
      args: CHROMIUM_ARGS,
      timeout: 30_000,
    });
    const page = context.pages()[0] ?? (await context.newPage());
    await page.goto(`${env.origin}/`);
    assert.equal(await page.getAttribute('link[rel="manifest"]', 'href'), '/manifest.webmanifest');
    await workerReady(page);
    const cdp = await context.newCDPSession(page);
    const manifestSeen = await cdp.send('Page.getAppManifest');
    assert.deepEqual(manifestSeen.errors, [], 'Chromium parses the manifest without errors');
    const { installabilityErrors } = await eventually(
      'the page is installable',
      () => cdp.send('Page.getInstallabilityErrors'),
      (r) => r.installabilityErrors.length === 0,
    );
    assert.deepEqual(installabilityErrors, []);
    await context.close();
    await rm(profile, { recursive: true, force: true });
  });

  it('opens the home page offline, says so and disables creating and joining', async () => {
    const page = await env.newPage();
    await page.goto(`${env.origin}/`);
    await workerReady(page);
    await page.context().setOffline(true);
    await page.reload();
    assert.equal(await controlled(page), true, 'opened through the service worker');
    await page.waitForSelector('#offline-notice:not([hidden])');
    assert.match((await page.textContent('#offline-notice'))!, /You are offline/);
    assert.equal(await page.isDisabled('#new-meeting'), true, 'no meeting can be created offline');
    assert.equal(await page.isDisabled('.join-form button[type="submit"]'), true, 'nor joined');
    await page.context().setOffline(false);
    await page.waitForSelector('#offline-notice', { state: 'hidden' });
    assert.equal(await page.isEnabled('#new-meeting'), true, 'back online, the page works again');
    await page.context().close();
  });

  it('caches only the client files: never a meeting link, an API answer or a name', async () => {
    const page = await env.newPage();
    await page.goto(`${env.origin}/`);
    await workerReady(page);
    await page.reload();
    assert.equal(await controlled(page), true);
    const name = 'Ada Cachecheck';
    const { hostLink } = await createMeeting(page, env.origin);
    await joinMeeting(page, hostLink, name);
    assert.equal(await controlled(page), true, 'the meeting page ran under the service worker');
    const meetingId = new URL(hostLink).pathname.split('/')[2]!;
    const secrets = new URL(hostLink).hash.slice(1).split('.');

    const entries = await cacheEntries(page);
    assert.equal(new Set(entries.map(([cache]) => cache)).size, 1, 'one cache');
    const urls = entries.map(([, url]) => url).sort();
    assert.deepEqual(
      urls,
      PRECACHED.map((path) => `${env.origin}${path}`).sort(),
      'exactly the client files',
    );
    for (const [, url, body] of entries) {
      for (const needle of ['/v1', '#', '?', meetingId, encodeURIComponent(name), ...secrets]) {
        assert.ok(!url.includes(needle), `${url} contains ${needle}`);
      }
      for (const needle of [meetingId, name, ...secrets]) {
        assert.ok(!body.includes(needle), `the cached ${url} contains ${needle}`);
      }
    }
    await page.context().close();
  });
});

/** The value of the `--build` marker the second build adds to the stylesheet ('' in the first). */
const buildMarker = (page: Page) =>
  page.evaluate(() => getComputedStyle(document.documentElement).getPropertyValue('--build').trim());

const waitingWorker = (page: Page) =>
  page.evaluate(async () => (await navigator.serviceWorker.getRegistration())?.waiting != null);

describe('updates', { timeout: SUITE_TIMEOUT_MS }, () => {
  let dir: string;
  let server: BuildServer;
  let browser: Browser;
  let cacheA: string;
  let cacheB: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'conclave-web-builds-'));
    await buildWebClient(join(dir, 'a'));
    // Build B: the same client with one more style rule, as a release would change a file.
    await cp(join(dir, 'a'), join(dir, 'b'), { recursive: true });
    await appendFile(join(dir, 'b', 'assets', 'app.css'), '\n:root{--build:"B"}\n');
    const b = await buildServiceWorker(join(dir, 'b'));
    const a = await buildServiceWorker(join(dir, 'a'));
    assert.notEqual(a.version, b.version, 'a changed file is a new version');
    [cacheA, cacheB] = [`conclave-client-${a.version}`, `conclave-client-${b.version}`];
    server = await serveBuild(join(dir, 'a'));
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, timeout: 30_000 });
  });

  after(async () => {
    await browser?.close().catch(() => {});
    await server?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** A fresh browser profile on the home page, controlled by build A's service worker. */
  async function homeOnBuildA(): Promise<Page> {
    await server.serve(join(dir, 'a'));
    const page = await (await browser.newContext()).newPage();
    page.on('console', (m) => console.log('[home]', Date.now(), m.text()));
    await page.addInitScript(() =>
      navigator.serviceWorker.addEventListener('message', (e) => console.log(JSON.stringify(e.data))),
    );
    await page.goto(`${server.origin}/`);
    assert.deepEqual(await workerReady(page), [cacheA]);
    await page.reload();
    assert.equal(await controlled(page), true);
    assert.equal(await buildMarker(page), '');
    return page;
  }

  it('a new version takes over at the next load and deletes the old cache', async () => {
    const page = await homeOnBuildA();
    await server.serve(join(dir, 'b'));
    const checks = server.requests.get('/sw.js') ?? 0;
    await page.reload();
    assert.equal(await buildMarker(page), '', 'this load still comes from build A');
    await eventually(
      'the load looked for a new service worker',
      async () => server.requests.get('/sw.js') ?? 0,
      (n) => n > checks,
    );
    await eventually(
      'build B active, build A cache deleted',
      () => page.evaluate(() => caches.keys()),
      (names) => names.length === 1 && names[0] === cacheB,
    );
    await page.reload();
    assert.equal(await buildMarker(page), '"B"', 'the next load is build B');
    assert.deepEqual(await page.evaluate(() => caches.keys()), [cacheB]);
    await page.context().close();
  });

  it('waits while a meeting page is open, and takes over once the old version has no page', async () => {
    const home = await homeOnBuildA();
    const context = home.context();
    const meeting = await context.newPage();
    await meeting.goto(`${server.origin}/m/ABCDEFGHJK#${generatePassword()}`);
    await meeting.waitForSelector('#error-title');
    assert.equal(await buildMarker(meeting), '');
    await server.serve(join(dir, 'b'));
    await home.reload();
    await eventually(
      'build B installed and waiting',
      () => waitingWorker(home),
      (w) => w,
    );
    assert.deepEqual((await home.evaluate(() => caches.keys())).sort(), [cacheA, cacheB].sort());
    await home.reload();
    assert.equal(await buildMarker(home), '', 'still build A while the meeting page is open');
    assert.equal(await waitingWorker(home), true, 'build B still waits');
    // A meeting page always loads the files on the server: one refused as out of date reloads
    // into the new version although the old worker is still in charge.
    await meeting.reload();
    await meeting.waitForSelector('#error-title');
    assert.equal(await controlled(meeting), true);
    assert.equal(await buildMarker(meeting), '"B"', 'the meeting page reloads into build B');
    assert.equal(await waitingWorker(home), true, 'build B still waits');
    // The app is closed (both windows) and opened again: the next load is build B.
    await meeting.close();
    await home.close();
    const next = await context.newPage();
    await eventually(
      'build B loaded',
      async () => {
        await next.goto(`${server.origin}/`);
        return buildMarker(next);
      },
      (marker) => marker === '"B"',
    );
    assert.deepEqual(await next.evaluate(() => caches.keys()), [cacheB], 'build A cache deleted');
    await context.close();
  });
});
