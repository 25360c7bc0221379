/**
 * Accessibility in the browser: axe-core's WCAG 2.1 A/AA rules on every page a person meets
 * (home, pre-join, the meeting with each panel, the lobby on both sides, the end), every
 * meeting control reached and operated by keyboard with a visible focus ring, and the live
 * region telling screen readers who joined, left, raised a hand or knocked.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { assertAccessible } from './support/axe.ts';
import {
  createMeeting,
  eventually,
  joinMeeting,
  lockMeeting,
  openPanel,
  startTestEnv,
  type TestEnv,
  SUITE_TIMEOUT_MS,
} from './support/harness.ts';

/** Presses Tab up to `limit` times; the ids (or tag names) of what took focus, in order. */
async function tabOrder(page: Page, limit: number): Promise<{ id: string; ring: boolean }[]> {
  const seen: { id: string; ring: boolean }[] = [];
  for (let i = 0; i < limit; i++) {
    await page.keyboard.press('Tab');
    seen.push(
      await page.evaluate(() => {
        const el = document.activeElement as HTMLElement | null;
        if (!el || el === document.body) return { id: 'body', ring: false };
        const style = getComputedStyle(el);
        const ring =
          (style.outlineStyle !== 'none' && Number.parseFloat(style.outlineWidth) >= 2) ||
          style.boxShadow !== 'none';
        return { id: el.id || el.tagName.toLowerCase(), ring };
      }),
    );
  }
  return seen;
}

const announcer = (page: Page) => page.textContent('#announcer').then((t) => t ?? '');

describe('accessibility', { timeout: SUITE_TIMEOUT_MS }, () => {
  let env: TestEnv;
  let host: Page;
  let alice: Page;
  let link: string;
  let hostLink: string;

  before(async () => {
    env = await startTestEnv();
    host = await env.newPage();
    alice = await env.newPage();
    for (const page of [host, alice]) page.on('dialog', (d) => void d.accept());
    ({ link, hostLink } = await createMeeting(host, env.origin));
  });

  after(async () => {
    await env?.close();
  });

  it('the home page, with a new meeting’s links and without', async () => {
    await assertAccessible(host, 'the home page with its new links');
    await alice.goto(`${env.origin}/`);
    await alice.waitForSelector('#new-meeting');
    await assertAccessible(alice, 'the home page');
  });

  it('the pre-join page', async () => {
    await alice.goto(link);
    await alice.waitForSelector('#display-name');
    await assertAccessible(alice, 'the pre-join page');
  });

  it('the meeting page, with each side panel open', async () => {
    await joinMeeting(host, hostLink, 'Hosty');
    await joinMeeting(alice, link, 'Alice');
    await assertAccessible(host, 'the meeting page');
    for (const panel of ['chat', 'people', 'info', 'settings'] as const) {
      await openPanel(host, panel);
      await assertAccessible(host, `the meeting page with the ${panel} panel`);
    }
    await host.click('#react');
    await assertAccessible(host, 'the meeting page with the reactions menu');
    await host.keyboard.press('Escape');
  });

  it('every meeting control is reached by Tab with a visible focus ring, and works from the keyboard', async () => {
    await host.keyboard.press('Escape'); // closes the side panel left open above
    await host.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    const order = await tabOrder(host, 40);
    const controls = ['toggle-mic', 'toggle-cam', 'toggle-screen', 'toggle-hand', 'react', 'open-chat'];
    for (const id of [...controls, 'open-people', 'open-info', 'open-settings', 'leave']) {
      const stop = order.find((o) => o.id === id);
      assert.ok(stop, `Tab reaches #${id} (order: ${order.map((o) => o.id).join(' ')})`);
      assert.ok(stop.ring, `#${id} shows a focus ring`);
    }
    // Operable: Enter on the microphone button mutes, Space on the people button opens the panel
    // and Escape closes it, giving focus back to the button.
    await host.focus('#toggle-mic');
    await host.keyboard.press('Enter');
    await eventually(
      'muted by keyboard',
      () => host.getAttribute('#toggle-mic', 'aria-pressed'),
      (v) => v === 'true',
    );
    await host.keyboard.press('Enter');
    await host.focus('#open-people');
    await host.keyboard.press('Space');
    assert.equal(await host.isVisible('#side-panel'), true, 'Space opens the People panel');
    await host.keyboard.press('Escape');
    assert.equal(await host.isVisible('#side-panel'), false, 'Escape closes it');
    assert.equal(await host.evaluate(() => document.activeElement?.id), 'open-people');
  });

  it('the live region tells who joined, raised a hand and left', async () => {
    const bob = await env.newPage();
    await joinMeeting(bob, link, 'Bob');
    await eventually(
      'Bob’s join announced',
      () => announcer(host),
      (t) => t.includes('Bob joined'),
    );
    assert.equal(
      (await host.textContent('.meeting'))?.includes('Bob joined'),
      false,
      'a join is told to screen readers, not shown',
    );
    await bob.click('#toggle-hand');
    await eventually(
      'the hand announced',
      () => announcer(alice),
      (t) => t.includes('Bob raised their hand'),
    );
    await bob.click('#leave');
    await eventually(
      'Bob’s leave announced',
      () => announcer(host),
      (t) => t.includes('Bob left'),
      30_000,
    );
    assert.equal(
      await host.getAttribute('#announcer', 'aria-live'),
      'polite',
      'the announcements come through a polite live region',
    );
  });

  it('the lobby, for the knocker and for the host, and the page after the end', async () => {
    await lockMeeting(host);
    const carol = await env.newPage();
    await carol.goto(link);
    await carol.waitForSelector('#app[data-error="meeting_locked"]', { timeout: 20_000 });
    await assertAccessible(carol, 'the locked meeting’s knock page');
    await carol.fill('#knock-name', 'Carol');
    await carol.click('#ask-to-join');
    await carol.waitForSelector('#app[data-knock="waiting"]', { timeout: 20_000 });
    await assertAccessible(carol, 'the knocker’s waiting page');
    await eventually(
      'the knock announced',
      () => announcer(host),
      (t) => t.includes('Carol is asking to join'),
    );
    await assertAccessible(host, 'the host’s people panel with someone in the lobby');
    await alice.click('#leave');
    await alice.waitForSelector('#app[data-ended="left"]', { timeout: 20_000 });
    await assertAccessible(alice, 'the page after leaving');
  });
});
