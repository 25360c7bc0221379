/**
 * The home page, the served headers and every way a join can fail before the meeting: wrong
 * password, malformed link, a browser without encoded transforms, camera permission denied.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { generatePassword } from '@conclave/e2ee';
import {
  createMeeting,
  diagnostics,
  eventually,
  joinMeeting,
  openPanel,
  startTestEnv,
  submitPrejoin,
  type TestEnv,
  SUITE_TIMEOUT_MS,
} from './support/harness.ts';

describe('links and errors', { timeout: SUITE_TIMEOUT_MS }, () => {
  let env: TestEnv;
  let link: string;

  before(async () => {
    env = await startTestEnv();
    const page = await env.newPage();
    ({ link } = await createMeeting(page, env.origin));
  });

  after(async () => {
    await env?.close();
  });

  it('serves the page with a strict CSP, no referrer and no framing', async () => {
    const res = await fetch(`${env.origin}/m/ABCDEFGHJK`);
    assert.equal(res.status, 200);
    const csp = res.headers.get('content-security-policy') ?? '';
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'self' 'wasm-unsafe-eval'(;|$)/);
    assert.match(csp, /style-src 'self'(;|$)/);
    assert.match(csp, /connect-src 'self' ws:\/\/127\.0\.0\.1:\d+ ws:\/\/127\.0\.0\.1:\d+(;|$)/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.equal(res.headers.get('referrer-policy'), 'no-referrer');
    const html = await res.text();
    assert.doesNotMatch(html, /<script>|<style>|style=/, 'no inline script or style');
    const worker = await fetch(`${env.origin}/assets/media-worker.js`);
    assert.equal(worker.status, 200);
    assert.match(worker.headers.get('content-type') ?? '', /javascript/);
  });

  it('creates a meeting in the browser with a participant link and a host link', () => {
    const u = new URL(link);
    assert.match(u.pathname, /^\/m\/[0-9A-HJKMNP-TV-Z]{10}$/);
    assert.match(u.hash, /^#[A-Za-z0-9_-]{22}$/);
  });

  it('opens a pasted link from the home page', async () => {
    const page = await env.newPage();
    await page.goto(`${env.origin}/`);
    await page.fill('#join-link', link);
    await page.click('.join-form button[type="submit"]');
    await page.waitForSelector('#display-name');
    assert.equal(page.url(), link.split('#')[0], 'opened, and the secret taken out of the address bar');
    await page.goto(`${env.origin}/`);
    await page.fill('#join-link', 'https://example.org/m/nope');
    await page.click('.join-form button[type="submit"]');
    assert.match((await page.textContent('#join-error')) ?? '', /link is not valid/);
  });

  it('takes the secrets out of the address bar; reload, back and forward and the invite link still work', async () => {
    const host = await env.newPage();
    host.on('dialog', (d) => void d.accept());
    const created = await createMeeting(host, env.origin);
    const bare = created.hostLink.split('#')[0]!;
    await joinMeeting(host, created.hostLink, 'Host');
    const address = () => host.evaluate(() => location.href);
    assert.equal(await address(), bare, 'no fragment in the address bar');
    assert.equal((await diagnostics(host)).role, 'host');
    // History holds no entry with the fragment: back is the home page, forward the bare address,
    // and this tab still gets in from there (with the host part).
    await host.goBack();
    assert.equal(await address(), `${env.origin}/`);
    await host.goForward();
    assert.equal(await address(), bare);
    await submitPrejoin(host, 'Host');
    assert.equal((await diagnostics(host)).role, 'host', 'the host part was kept for this tab');
    await host.reload();
    await submitPrejoin(host, 'Host');
    assert.equal(await address(), bare, 'still no fragment after a reload');
    assert.equal((await diagnostics(host)).role, 'host');
    // "Copy link" gives the participant link, which joins.
    await openPanel(host, 'info');
    const invite = await host.inputValue('#invite-link');
    assert.equal(invite, created.link, 'the participant link, without the host part');
    const guest = await env.newPage();
    await joinMeeting(guest, invite, 'Guest');
    assert.equal(await guest.evaluate(() => location.href), invite.split('#')[0]);
    await eventually(
      'host and guest in one group',
      () => Promise.all([diagnostics(host), diagnostics(guest)]),
      ([a, b]) => a.size === 2 && b.size === 2 && a.securityCode === b.securityCode,
    );
    // Another tab with only the bare address has no secret: it asks for the whole link.
    const stranger = await env.newPage();
    await stranger.goto(bare);
    await stranger.waitForSelector('text=This link is not valid');
    // A live call in the background would slow down the tests after this one.
    for (const page of [host, guest, stranger]) await page.context().close();
  });

  it('rotates a permanent room: the old link dies, the new one works', async () => {
    const host = await env.newPage();
    host.on('dialog', (d) => void d.accept());
    await host.goto(`${env.origin}/`);
    await host.check('#permanent');
    await host.click('#new-meeting');
    await host.waitForSelector('#host-link', { timeout: 20_000 });
    const oldLink = await host.inputValue('#participant-link');
    await joinMeeting(host, await host.inputValue('#host-link'), 'Host');
    await openPanel(host, 'people');
    await host.click('#rotate-link');
    await host.waitForSelector('#app[data-ended] #rotated-link', { timeout: 15_000 });
    assert.match((await host.textContent('#app'))!, /This room has a new link/);
    const newLink = await host.inputValue('#rotated-link');
    assert.notEqual(new URL(newLink).pathname, new URL(oldLink).pathname);
    const guest = await env.newPage();
    await guest.goto(oldLink);
    await guest.waitForSelector('#app[data-error="meeting_not_found"]', { timeout: 15_000 });
    await guest.goto(newLink);
    await guest.waitForSelector('#display-name');
    await joinMeeting(guest, newLink, 'Guest');
    for (const page of [host, guest]) await page.context().close();
  });

  it('refuses a link with the wrong password before asking for a name', async () => {
    const page = await env.newPage();
    const wrong = `${link.split('#')[0]}#${generatePassword()}`;
    await page.goto(wrong);
    await page.waitForSelector('#app[data-error="wrong_password"]', { timeout: 15_000 });
    assert.match((await page.textContent('#app'))!, /This link is not valid.*password in the link is wrong/);
  });

  it('explains a malformed link without contacting the server', async () => {
    const page = await env.newPage();
    const apiCalls: string[] = [];
    page.on('request', (r) => {
      if (r.url().includes('/v1/')) apiCalls.push(r.url());
    });
    for (const bad of [link.split('#')[0]!, `${link}x`, `${env.origin}/m/ABCDEFGHJI#${link.split('#')[1]}`]) {
      await page.goto(bad);
      await page.waitForSelector('#error-title');
      assert.match((await page.textContent('#error-title'))!, /This link is not valid/, bad);
    }
    assert.deepEqual(apiCalls, []);
  });

  it('says so when a meeting does not exist', async () => {
    const page = await env.newPage();
    await page.goto(`${env.origin}/m/ABCDEFGHJK#${generatePassword()}`);
    await page.waitForSelector('#app[data-error="meeting_not_found"]', { timeout: 15_000 });
    assert.match((await page.textContent('#app'))!, /This meeting does not exist/);
  });

  it('shows a not-supported page instead of ever starting an unencrypted call', async () => {
    const page = await env.newPage();
    await page.addInitScript(() => {
      const g = globalThis as unknown as Record<string, unknown>;
      delete g['RTCRtpScriptTransform'];
      delete (RTCRtpSender.prototype as unknown as Record<string, unknown>)['createEncodedStreams'];
    });
    await page.goto(link);
    await page.waitForSelector('#app[data-unsupported="true"]');
    assert.match((await page.textContent('#app'))!, /cannot join encrypted meetings/);
    assert.equal(await page.$('#join-button'), null);
  });

  it('explains blocked camera and microphone and still lets the person join', async () => {
    const page = await env.newPage();
    await page.addInitScript(() => {
      navigator.mediaDevices.getUserMedia = () =>
        Promise.reject(new DOMException('denied', 'NotAllowedError'));
    });
    await page.goto(link, { waitUntil: 'domcontentloaded' });
    await page.waitForFunction(() => document.getElementById('media-error')?.textContent);
    assert.match((await page.textContent('#media-error'))!, /Camera and microphone are blocked/);
    assert.ok(await page.isEnabled('#join-button'));
  });
});
