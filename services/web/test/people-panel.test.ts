/**
 * The People panel in Chromium. In a real meeting of three (host and two others, on the real
 * stack): the order (own entry, raised hands, names), a search that ignores accents and stays
 * while the meeting changes, and a host action on a person found by it. Then, since a meeting
 * of a thousand browsers cannot run here, the panel's list (views/meeting/people-list.ts, the
 * module the meeting uses) in a page of its own under the app's stylesheet and content security
 * policy, given a roster of 1,000 synthetic entries: it keeps a few dozen rows in the DOM,
 * scrolls by keyboard to the last names, finds one name of the thousand, and reports how long
 * rendering and a search keystroke take.
 */
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { build } from 'esbuild';
import type { Page } from 'playwright-core';
import { contentSecurityPolicy } from '../src/server/web-routes.ts';
import type { RosterEntry } from '../src/app/meeting/types.ts';
import { orderPeople } from '../src/app/views/meeting/people-order.ts';
import { assertAccessible } from './support/axe.ts';
import {
  createMeeting,
  diagnostics,
  eventually,
  joinMeeting,
  openPanel,
  startTestEnv,
  type TestEnv,
  SUITE_TIMEOUT_MS,
} from './support/harness.ts';

const WEB = fileURLToPath(new URL('..', import.meta.url));
const ORIGIN = 'http://people-list.test';

/** The test page's script: the panel's list with host actions that record what they are asked. */
const PAGE_SCRIPT = `
import { peopleList } from './src/app/views/meeting/people-list.ts';
const calls = [];
const people = peopleList({
  mute: (leaf) => calls.push('mute ' + leaf),
  allowMic: (leaf) => calls.push('allow ' + leaf),
  stopVideo: (leaf) => calls.push('stop-video ' + leaf),
  remove: (leaf) => calls.push('remove ' + leaf),
});
document.querySelector('.people-panel').append(...people.nodes);
globalThis.peopleTest = {
  calls,
  show(entries, ownLeaf) {
    const t0 = performance.now();
    people.update({
      people: entries,
      count: entries.length,
      ownLeaf,
      isHost: true,
      recording: (r) => r.leaf % 250 === 1,
      muted: (r) => r.leaf % 2 === 0,
    });
    return performance.now() - t0;
  },
  type(text) {
    const input = document.querySelector('#people-search');
    input.value = text;
    const t0 = performance.now();
    input.dispatchEvent(new Event('input', { bubbles: true }));
    return performance.now() - t0;
  },
};
`;

const PAGE_HTML = `<!doctype html><html lang="en"><meta charset="utf-8"><title>People</title>
<link rel="stylesheet" href="/app.css"><link rel="stylesheet" href="/test.css">
<main><aside class="side" id="side-panel"><div class="side-body">
<section class="people-panel" aria-labelledby="people-title"><h2 id="people-title">People (1000)</h2></section>
</div></aside></main><script src="/test.js"></script>`;

/** Serves the test page at ORIGIN to `page`, with the app's stylesheet and content security policy. */
async function servePeoplePage(page: Page): Promise<void> {
  const [script, css] = await Promise.all([
    build({
      stdin: { contents: PAGE_SCRIPT, resolveDir: WEB, sourcefile: 'people-page.ts', loader: 'ts' },
      bundle: true,
      format: 'iife',
      target: 'chrome120',
      write: false,
      logLevel: 'warning',
    }),
    build({
      entryPoints: [`${WEB}/src/app/styles.css`],
      bundle: true,
      write: false,
      logLevel: 'warning',
      outfile: 'app.css',
    }),
  ]);
  const files: Record<string, [string, string]> = {
    '/': [PAGE_HTML, 'text/html; charset=utf-8'],
    '/test.js': [script.outputFiles[0]!.text, 'text/javascript; charset=utf-8'],
    '/app.css': [css.outputFiles[0]!.text, 'text/css; charset=utf-8'],
    '/test.css': ['.side { height: 600px; }', 'text/css; charset=utf-8'],
  };
  const csp = contentSecurityPolicy([]);
  await page.route(`${ORIGIN}/**`, (route) => {
    const found = files[new URL(route.request().url()).pathname];
    if (!found) return route.fulfill({ status: 404 });
    return route.fulfill({
      status: 200,
      headers: { 'content-security-policy': csp, 'content-type': found[1] },
      body: found[0],
    });
  });
}

const FIRST = ['Ana', 'Émile', 'Björn', 'Chloé', 'Dev', 'Inès', 'Jürgen', 'Kofi', 'Léa', 'Mateo'];
const LAST = ['Okafor', 'Núñez', 'Schröder', 'Dubois', 'Sato', 'Kowalski', 'Haddad', 'Rossi', 'Berg', 'Öz'];

/** A roster of 1,000: leaf 0 is the page's own, every 97th raised a hand, one Zoë Ekström. */
function syntheticRoster(): RosterEntry[] {
  return Array.from({ length: 1000 }, (_, leaf) => ({
    leaf,
    name:
      leaf === 613
        ? 'Zoë Ekström'
        : `${FIRST[leaf % 10]} ${LAST[Math.floor(leaf / 10) % 10]} ${Math.floor(leaf / 100) + 1}`,
    peerId: `peer-${leaf}`,
    member: `member-${leaf}`,
    hand: leaf % 97 === 0 && leaf > 0,
    host: leaf === 0,
  }));
}

/** The rows in the DOM: their names, positions and the set size they announce. */
function rows(page: Page): Promise<{ name: string; pos: number; size: number; leaf: number }[]> {
  return page.$$eval('#people-list > li', (lis) =>
    lis.map((li) => ({
      name: li.querySelector('.person-name')?.textContent ?? '',
      pos: Number(li.getAttribute('aria-posinset')),
      size: Number(li.getAttribute('aria-setsize')),
      leaf: Number(li.getAttribute('data-leaf')),
    })),
  );
}

describe('the people panel', { timeout: SUITE_TIMEOUT_MS }, () => {
  let env: TestEnv;

  before(async () => {
    env = await startTestEnv();
  });

  after(async () => {
    await env?.close();
  });

  describe('in a meeting of three', () => {
    let host: Page;
    let alice: Page;
    let bob: Page;

    before(async () => {
      host = await env.newPage();
      alice = await env.newPage();
      bob = await env.newPage();
      for (const page of [host, alice, bob]) page.on('dialog', (d) => void d.accept());
      const { link, hostLink } = await createMeeting(host, env.origin);
      await joinMeeting(host, hostLink, 'Hosty', { camera: false });
      await joinMeeting(alice, link, 'Alice Ångström', { camera: false });
      await joinMeeting(bob, link, 'Bob', { camera: false });
    });

    it('lists you first, then raised hands, then everyone by name', async () => {
      await openPanel(host, 'people');
      await eventually(
        'Alice and Bob listed',
        () => rows(host),
        (r) => r.length === 3,
      );
      await bob.click('#toggle-hand');
      const listed = await eventually(
        'Bob’s hand puts him before Alice',
        () => rows(host),
        (r) => r.map((x) => x.name).join('|') === 'Hosty (you) · host|Bob|Alice Ångström',
      );
      assert.deepEqual(
        listed.map((r) => [r.pos, r.size]),
        [
          [1, 3],
          [2, 3],
          [3, 3],
        ],
      );
      assert.equal(await host.textContent('#people-title'), 'People (3)');
      assert.equal(await host.getAttribute('#people-list', 'tabindex'), '0');
    });

    it('finds a person whatever the accents, and keeps the search while the meeting changes', async () => {
      await host.fill('#people-search', 'angstrom');
      await eventually(
        'only Alice',
        () => rows(host),
        (r) => r.length === 1 && r[0]!.name === 'Alice Ångström',
      );
      assert.equal(await host.textContent('#people-matches'), '1 of 3 matches');
      assert.equal(await host.textContent('#people-title'), 'People (3)', 'the heading counts everyone');
      await assertAccessible(host, 'the People panel with a search');
      // The meeting changes (Bob lowers his hand) and renders every second: the search stays,
      // and so does the focus in it.
      await bob.click('#toggle-hand');
      await eventually(
        'Bob’s hand down at the host',
        () => diagnostics(host),
        (d) => d.roster.length === 3,
      );
      await new Promise((r) => setTimeout(r, 1500));
      assert.equal(await host.inputValue('#people-search'), 'angstrom');
      assert.equal(await host.evaluate(() => document.activeElement?.id), 'people-search');
      assert.equal((await rows(host)).length, 1);
      // Away to the chat and back: still there.
      await openPanel(host, 'chat');
      await openPanel(host, 'people');
      assert.equal(await host.inputValue('#people-search'), 'angstrom');
      assert.deepEqual(
        (await rows(host)).map((r) => r.name),
        ['Alice Ångström'],
      );
    });

    it('lets the host mute the person found by the search', async () => {
      const alicePeer = (await diagnostics(alice)).peerId;
      await host.click('#people-list .person button[data-action="mute"]');
      await eventually(
        'Alice sees she is muted',
        () => alice.textContent('#toggle-mic'),
        (t) => t === 'Unmute',
      );
      await eventually(
        'Alice’s microphone paused at the host',
        () => diagnostics(host),
        (d) => d.remote.some((r) => r.peerId === alicePeer && r.source === 'mic' && r.paused),
      );
      await eventually(
        'the muted badge on her row',
        () => host.$$eval('#people-list [aria-label="muted"]', (els) => els.length),
        (n) => n === 1,
      );
      // Escape empties the search first, then closes the panel.
      await host.press('#people-search', 'Escape');
      assert.equal(await host.inputValue('#people-search'), '');
      assert.equal((await rows(host)).length, 3);
      assert.equal(await host.textContent('#people-matches'), '');
      assert.equal(await host.isVisible('#side-panel'), true);
      await host.press('#people-search', 'Escape');
      assert.equal(await host.isVisible('#side-panel'), false);
    });
  });

  describe('with a thousand names', () => {
    let page: Page;
    const roster = syntheticRoster();
    const expected = orderPeople(roster, 0).map((r) => r.leaf);

    before(async () => {
      page = await env.newPage();
      await servePeoplePage(page);
      await page.goto(`${ORIGIN}/`);
      await page.waitForFunction(() => 'peopleTest' in globalThis);
    });

    it('keeps a few dozen rows in the DOM while a thousand are listed, in order', async (t) => {
      const ms = await page.evaluate(
        (entries) =>
          (
            globalThis as unknown as { peopleTest: { show(e: unknown, own: number): number } }
          ).peopleTest.show(entries, 0),
        roster,
      );
      t.diagnostic(`rendering 1,000 entries: ${ms.toFixed(1)} ms`);
      const shown = await rows(page);
      assert.ok(shown.length >= 10 && shown.length <= 60, `${shown.length} rows in the DOM`);
      assert.ok(shown.every((r) => r.size === 1000));
      assert.deepEqual(
        shown.map((r) => r.leaf),
        expected.slice(0, shown.length),
      );
      assert.equal(shown[0]!.pos, 1);
      assert.match(shown[0]!.name, /\(you\)/);
      assert.ok(
        shown.slice(1, 11).every((r) => roster[r.leaf]!.hand),
        'the ten raised hands next',
      );
      const box = await page.$eval('#people-list', (ul) => ({
        scrollHeight: ul.scrollHeight,
        clientHeight: ul.clientHeight,
        row: ul.querySelector('li')!.getBoundingClientRect().height,
      }));
      assert.ok(box.clientHeight > 300, `the list fills the panel: ${JSON.stringify(box)}`);
      assert.ok(
        Math.abs(box.scrollHeight - 1000 * box.row) <= box.row,
        `the scrollbar spans 1,000 rows: ${JSON.stringify(box)}`,
      );
      // The host's actions fit on their line in the 340 px panel, scrollbar included.
      const overflowing = await page.$$eval(
        '#people-list .host-actions',
        (divs) =>
          divs.filter(
            (d) =>
              d.scrollWidth > d.clientWidth + 1 ||
              d.getBoundingClientRect().right > d.parentElement!.getBoundingClientRect().right,
          ).length,
      );
      assert.equal(overflowing, 0, 'no row’s actions overflow');
    });

    it('scrolls by keyboard to the last names, and keeps its place when the roster changes', async () => {
      await page.focus('#people-list');
      await page.keyboard.press('End');
      const last = await eventually(
        'the last names',
        () => rows(page),
        (r) => r.at(-1)?.pos === 1000,
      );
      assert.ok(last.length <= 60, `${last.length} rows in the DOM`);
      assert.deepEqual(
        last.map((r) => r.leaf),
        expected.slice(1000 - last.length),
      );
      const visible = await page.$$eval('#people-list > li', (lis) => {
        const box = document.querySelector('#people-list')!.getBoundingClientRect();
        return lis
          .filter((li) => {
            const r = li.getBoundingClientRect();
            return r.top >= box.top - 1 && r.bottom <= box.bottom + 1;
          })
          .map((li) => Number(li.getAttribute('data-leaf')));
      });
      assert.equal(visible.at(-1), expected[999], 'the last name is in view');
      const top = await page.$eval('#people-list', (ul) => ul.scrollTop);
      // Someone near the end raises a hand: the list re-renders, the scroll position stays.
      const changed = roster.map((r) => (r.leaf === expected[500] ? { ...r, hand: true } : r));
      await page.evaluate(
        (entries) =>
          (
            globalThis as unknown as { peopleTest: { show(e: unknown, own: number): number } }
          ).peopleTest.show(entries, 0),
        changed,
      );
      assert.equal(await page.$eval('#people-list', (ul) => ul.scrollTop), top);
      await page.evaluate(
        (entries) =>
          (
            globalThis as unknown as { peopleTest: { show(e: unknown, own: number): number } }
          ).peopleTest.show(entries, 0),
        roster,
      );
    });

    it('finds one name of the thousand, and its actions act on that person', async (t) => {
      await page.fill('#people-search', 'zoe ekstro');
      const ms = await page.evaluate(() =>
        (globalThis as unknown as { peopleTest: { type(text: string): number } }).peopleTest.type(
          'zoe ekstrom',
        ),
      );
      t.diagnostic(`a search keystroke over 1,000 entries: ${ms.toFixed(1)} ms`);
      const found = await rows(page);
      assert.deepEqual(
        found.map((r) => [r.name, r.pos, r.size]),
        [['Zoë Ekström', 1, 1]],
      );
      assert.equal(await page.textContent('#people-matches'), '1 of 1000 matches');
      await page.click('#people-list .person button[data-action="mute"]');
      assert.deepEqual(
        await page.evaluate(
          () => (globalThis as unknown as { peopleTest: { calls: string[] } }).peopleTest.calls,
        ),
        ['mute 613'],
      );
      await assertAccessible(page, 'a list of a thousand, searched');
      await page.fill('#people-search', '');
      const all = await rows(page);
      assert.ok(all.length <= 60 && all[0]!.pos === 1, `${all.length} rows again from the top`);
      await assertAccessible(page, 'a list of a thousand');
    });
  });
});
