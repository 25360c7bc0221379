/**
 * The rest of the meeting features, with a participant whose browser only has the legacy
 * encoded-streams API (no RTCRtpScriptTransform): hands, reactions, camera off, screen share,
 * the host stopping someone's video, and ending the meeting for all.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import {
  createMeeting,
  diagnostics,
  eventually,
  joinMeeting,
  openPanel,
  startSharing,
  startTestEnv,
  type TestEnv,
  SUITE_TIMEOUT_MS,
} from './support/harness.ts';

describe('meeting features', { timeout: SUITE_TIMEOUT_MS }, () => {
  let env: TestEnv;
  let host: Page;
  let legacy: Page;

  before(async () => {
    env = await startTestEnv();
    host = await env.newPage();
    legacy = await env.newPage();
    await legacy.addInitScript(() => {
      delete (globalThis as unknown as Record<string, unknown>)['RTCRtpScriptTransform'];
    });
    for (const page of [host, legacy]) page.on('dialog', (d) => void d.accept());
    const { link, hostLink } = await createMeeting(host, env.origin);
    await joinMeeting(host, hostLink, 'Host');
    await joinMeeting(legacy, link, 'Lena');
  });

  after(async () => {
    await env?.close();
  });

  it('encrypts and decrypts with legacy encoded streams when RTCRtpScriptTransform is missing', async () => {
    const cams = (d: Awaited<ReturnType<typeof diagnostics>>) =>
      d.remote.filter((r) => r.source === 'camera');
    const [h, l] = await Promise.all(
      [host, legacy].map((p) =>
        eventually(
          'remote camera decoding',
          () => diagnostics(p),
          (d) => cams(d).some((c) => c.framesDecoded > 10),
        ),
      ),
    );
    assert.equal(l!.cryptoMode, 'encoded-streams');
    assert.equal(h!.cryptoMode, 'script-transform');
    assert.ok(l!.crypto.encrypted > 20 && l!.crypto.decrypted > 20, JSON.stringify(l!.crypto));
    assert.equal(h!.securityCode, l!.securityCode);
  });

  it('shows a raised hand and reactions to the others', async () => {
    await legacy.click('#toggle-hand');
    await openPanel(host, 'people');
    await eventually(
      'hand in the list',
      () => host.getAttribute('#people-list [aria-label="hand raised"]', 'role'),
      (role) => role === 'img',
    );
    assert.equal(await legacy.getAttribute('#toggle-hand', 'aria-pressed'), 'true');
    await legacy.click('#react');
    await legacy.click('button[aria-label="React 🎉"]');
    await eventually(
      'reaction',
      () => host.textContent('.reactions'),
      (t) => !!t?.includes('🎉 Lena'),
    );
  });

  it('works from the keyboard: Enter opens a panel, Escape closes it and returns focus', async () => {
    await legacy.focus('#open-info');
    await legacy.keyboard.press('Enter');
    await legacy.waitForSelector('#security-code');
    assert.equal(await legacy.getAttribute('#open-info', 'aria-pressed'), 'true');
    await legacy.keyboard.press('Escape');
    assert.equal(await legacy.isHidden('#side-panel'), true);
    assert.equal(await legacy.evaluate(() => document.activeElement?.id), 'open-info');
  });

  it('turns the camera off and on', async () => {
    const lenaPeer = (await diagnostics(legacy)).peerId;
    const cameraAtHost = async () =>
      (await diagnostics(host)).remote.some((r) => r.peerId === lenaPeer && r.source === 'camera');
    await legacy.click('#toggle-cam');
    await eventually('camera gone at the host', cameraAtHost, (v) => !v);
    await legacy.click('#toggle-cam');
    await eventually('camera back at the host', cameraAtHost, (v) => v);
  });

  it('shares a screen, decrypted at the others', async () => {
    await startSharing(host);
    await eventually(
      'screen decoding at Lena',
      () => diagnostics(legacy),
      (d) => d.remote.some((r) => r.source === 'screen' && r.framesDecoded > 5),
    );
    await host.click('#toggle-screen');
    await eventually(
      'screen gone',
      () => diagnostics(legacy),
      (d) => !d.remote.some((r) => r.source === 'screen'),
    );
  });

  it('lets the host stop someone’s video', async () => {
    const lenaLeaf = (await diagnostics(host)).roster.find((r) => r.name === 'Lena')!.leaf;
    const lenaPeer = (await diagnostics(legacy)).peerId;
    await openPanel(host, 'people');
    await host.click(`li[data-leaf="${lenaLeaf}"] button[data-action="stop-video"]`);
    await eventually(
      'Lena’s camera stopped',
      () => legacy.textContent('#toggle-cam'),
      (t) => t === 'Start video',
    );
    await eventually(
      'no camera from Lena at the host',
      () => diagnostics(host),
      (d) => !d.remote.some((r) => r.peerId === lenaPeer && r.source === 'camera' && !r.paused),
    );
  });

  it('lets the host allow a muted participant to unmute again', async () => {
    const lenaLeaf = (await diagnostics(host)).roster.find((r) => r.name === 'Lena')!.leaf;
    const lenaPeer = (await diagnostics(legacy)).peerId;
    const micAtHost = async () =>
      (await diagnostics(host)).remote.find((r) => r.peerId === lenaPeer && r.source === 'mic');
    await openPanel(host, 'people');
    await host.click(`li[data-leaf="${lenaLeaf}"] button[data-action="mute"]`);
    await eventually('Lena muted', micAtHost, (m) => m?.paused === true);
    await host.click(`li[data-leaf="${lenaLeaf}"] button[data-action="allow"]`);
    await eventually(
      'Lena told',
      () => legacy.textContent('.toast:last-of-type'),
      (t) => !!t?.includes('allows you to unmute'),
    );
    await legacy.click('#toggle-mic');
    const m = await eventually('Lena audible again', micAtHost, (x) => x?.paused === false);
    await new Promise((r) => setTimeout(r, 1000));
    assert.ok((await micAtHost())!.packetsReceived > m!.packetsReceived, 'audio packets flow again');
  });

  it('ends the meeting for everyone', async () => {
    await openPanel(host, 'people');
    await host.click('#end-for-all');
    await legacy.waitForSelector('#app[data-ended="ended"]', { timeout: 15_000 });
    assert.match((await legacy.textContent('#app'))!, /The meeting has ended/);
    await host.waitForSelector('#app[data-ended="ended"]');
  });
});
