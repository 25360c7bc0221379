/**
 * The lobby in the browser: the host locks a meeting with one participant in it, a third
 * person is refused, knocks, and the host sees their name (opened locally from the sealed name)
 * and admits them; they join the same MLS group and decode everyone's video. Another knocker is
 * denied and is told so. The name never reaches the server in clear.
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
  startTestEnv,
  type TestEnv,
  SUITE_TIMEOUT_MS,
} from './support/harness.ts';

const SCREENSHOT = '/tmp/conclave-lobby-host.png';

describe('the lobby of a locked meeting', { timeout: SUITE_TIMEOUT_MS }, () => {
  let env: TestEnv;
  let host: Page;
  let alice: Page;
  let link: string;
  const sentBodies: string[] = [];

  /** Knocks from the locked page with a name; returns once the page says it is waiting. */
  async function knockAs(page: Page, name: string): Promise<void> {
    await page.goto(link);
    await page.waitForSelector('#app[data-error="meeting_locked"]', { timeout: 20_000 });
    assert.match((await page.textContent('#app'))!, /This meeting is locked/);
    await page.fill('#knock-name', name);
    await page.click('#ask-to-join');
    await page.waitForSelector('#app[data-knock="waiting"]', { timeout: 20_000 });
    assert.match((await page.textContent('#app'))!, /Waiting for the host/);
  }

  before(async () => {
    env = await startTestEnv();
    host = await env.newPage();
    alice = await env.newPage();
    const created = await createMeeting(host, env.origin);
    link = created.link;
    await joinMeeting(host, created.hostLink, 'Host');
    await joinMeeting(alice, link, 'Alice');
    await lockMeeting(host);
  });

  after(async () => {
    await env?.close();
  });

  it('admits a knocker: the host sees the decrypted name, the knocker joins and decodes everyone', async () => {
    const dave = await env.newPage();
    dave.on('request', (r) => sentBodies.push(`${r.url()} ${r.postData() ?? ''}`));
    await knockAs(dave, 'Dave Knocker');
    await eventually(
      'the knock in the host’s lobby',
      () => host.textContent('#lobby-list'),
      (t) => !!t?.includes('Dave Knocker'),
    );
    assert.equal(await host.isVisible('#lobby-badge'), true, 'a visible notice for the host');
    assert.match((await host.textContent('#lobby-badge'))!, /1 person waiting/);
    assert.match((await host.textContent('#open-people'))!, /1 waiting/);
    assert.match(
      (await host.textContent('#announcer'))! + (await host.textContent('.toast').catch(() => '')),
      /Dave Knocker is asking to join/,
    );
    assert.equal(
      await host.getAttribute('#lobby-list [data-action="admit"]', 'aria-label'),
      'Admit Dave Knocker',
    );
    await host.locator('#side-panel').screenshot({ path: SCREENSHOT });
    await host.click('#lobby-list [data-action="admit"]');
    await dave.waitForFunction(() => document.getElementById('app')?.dataset['epoch'], undefined, {
      timeout: 90_000,
    });
    const pages = [host, alice, dave];
    const all = await eventually(
      'three members with one security code, Dave decoding the others’ video',
      () => Promise.all(pages.map(diagnostics)),
      (d) =>
        d.every((x) => x.size === 3 && x.securityCode === d[0]!.securityCode) &&
        d[2]!.remote.filter((r) => r.source === 'camera' && r.framesDecoded > 10).length === 2,
      // Pages encoding and decoding on a small CI machine take their time.
      90_000,
    );
    assert.equal(all[2]!.role, 'participant');
    assert.equal(all[2]!.cryptoMode, all[0]!.cryptoMode);
    await eventually(
      'the others decode Dave',
      () => diagnostics(host),
      (d) =>
        d.remote.some((r) => r.peerId === all[2]!.peerId && r.source === 'camera' && r.framesDecoded > 10),
      90_000,
    );
    await eventually(
      'Dave named in the host’s roster',
      () => diagnostics(host),
      (d) => d.roster.some((r) => r.name === 'Dave Knocker'),
    );
    assert.equal(await host.isVisible('#lobby-badge'), false, 'the notice goes once nobody waits');
    assert.equal(
      sentBodies.some((b) => b.includes('Dave Knocker')),
      false,
      'the name only ever leaves the page sealed',
    );
    assert.ok(sentBodies.some((b) => b.includes('/knock/verify') && b.includes('sealedName')));
  });

  it('tells a denied knocker, and the meeting stays as it was', async () => {
    const eve = await env.newPage();
    await knockAs(eve, 'Eve');
    await eventually(
      'Eve in the lobby',
      () => host.textContent('#lobby-list'),
      (t) => !!t?.includes('Eve'),
    );
    await host.click('#lobby-list [data-action="deny"]');
    await eve.waitForSelector('#app[data-knock="denied"]', { timeout: 20_000 });
    assert.match((await eve.textContent('#knock-outcome'))!, /The host did not let you in/);
    assert.equal(await eve.isVisible('#ask-to-join'), true, 'she may ask again');
    assert.equal((await diagnostics(host)).size, 3);
  });

  it('a knocker who cancels leaves the host’s list', async () => {
    const frank = await env.newPage();
    await knockAs(frank, 'Frank');
    await eventually(
      'Frank in the lobby',
      () => host.textContent('#lobby-list'),
      (t) => !!t?.includes('Frank'),
    );
    await frank.click('#cancel-knock');
    await frank.waitForSelector('#app[data-knock="form"]');
    await eventually(
      'the lobby empty again',
      () => host.isVisible('#lobby-list'),
      (v) => !v,
      35_000,
    );
  });
});
