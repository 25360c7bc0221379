/**
 * The speaker view and the screen-share layout, with five Chromium pages and four tiles a page:
 * Ada chooses the speaker view and sees one large tile and a filmstrip, receiving only their
 * video (the stage's taller than the filmstrip's, read from getStats); a pinned person takes the
 * stage; a shared screen takes it in either choice, people going to the filmstrip, and the
 * chosen layout returns when sharing stops. Microphones are off so the active speaker does not
 * move people.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { diagnostics, eventually, SUITE_TIMEOUT_MS, startSharing, type TestEnv } from './support/harness.ts';
import { cameras, startFivePages } from './support/grid.ts';

interface Shown {
  layout: string;
  /** The stage's tile key. */
  stage: string;
  /** The filmstrip's tile keys, in order. */
  strip: string[];
  pager: boolean;
}

/** What the grid shows: its layout, the stage's tile and the filmstrip's. */
function shown(page: Page): Promise<Shown> {
  return page.evaluate(() => {
    const grid = document.querySelector<HTMLElement>('#grid')!;
    const key = (el: Element | null) => (el as HTMLElement | null)?.dataset['key'] ?? '';
    return {
      layout: grid.dataset['layout'] ?? '',
      stage: key(grid.querySelector(':scope > .tile')),
      strip: [...grid.querySelectorAll('.filmstrip > .tile')].map(key),
      pager: !document.querySelector<HTMLElement>('#grid-pager')!.hidden,
    };
  });
}

/** The peer IDs of the people tiles among `keys`. */
const peersOf = (keys: string[]) => keys.filter((k) => k.startsWith('peer:')).map((k) => k.slice(5));

describe('speaker view and screen sharing', { timeout: SUITE_TIMEOUT_MS }, () => {
  let env: TestEnv;
  let ada: Page;
  let others: Page[] = [];
  let pinned = '';

  before(async () => {
    ({ env, ada, others } = await startFivePages());
  });

  after(async () => {
    await env?.close();
  });

  it('the speaker view shows one person large and two small, and receives only them', async () => {
    await eventually(
      'four cameras known to Ada, three received in the gallery',
      () => diagnostics(ada),
      (x) => cameras(x).length === 4 && cameras(x).filter((c) => c.receiving).length === 3,
      60_000,
    );
    assert.equal((await shown(ada)).layout, 'gallery');
    await ada.click('#layout-speaker');
    assert.equal(await ada.getAttribute('#layout-speaker', 'aria-pressed'), 'true');
    assert.equal(await ada.getAttribute('#layout-gallery', 'aria-pressed'), 'false');
    assert.equal(await ada.evaluate(() => localStorage.getItem('conclave:layout')), 'speaker');
    const first = await shown(ada);
    assert.equal(first.layout, 'stage');
    assert.equal(first.pager, false, 'no pages in the speaker view');
    assert.match(first.stage, /^peer:/);
    // Four tiles a page: the stage's person, two others and Ada's own tile.
    assert.equal(first.strip.length, 3);
    assert.equal(first.strip.at(-1), 'self');

    // Pinned from the filmstrip, a person takes the stage.
    pinned = peersOf(first.strip)[0]!;
    await ada.click(`.filmstrip .tile[data-key="peer:${pinned}"] .pin`);
    const now = await shown(ada);
    assert.equal(now.stage, `peer:${pinned}`);
    assert.equal(
      await ada.getAttribute(`#grid > .tile[data-key="peer:${pinned}"] .pin`, 'aria-pressed'),
      'true',
    );
    const strip = peersOf(now.strip);
    assert.equal(strip.length, 2);
    const d = await eventually(
      'the stage’s camera at the top layer, the filmstrip’s at the lowest, the fourth not received',
      () => diagnostics(ada),
      (x) => {
        const cams = cameras(x);
        const stage = cams.find((c) => c.peerId === pinned)!;
        const small = cams.filter((c) => strip.includes(c.peerId));
        return (
          cams.filter((c) => c.receiving).length === 3 &&
          stage.receiving &&
          stage.layer === 2 &&
          small.every((c) => c.receiving && c.layer === 0 && c.frameHeight > 0) &&
          small.every((c) => stage.frameHeight > c.frameHeight)
        );
      },
      60_000,
    );
    const off = cameras(d).find((c) => !c.receiving)!;
    assert.ok(off.peerId !== pinned && !strip.includes(off.peerId), 'the camera not received has no tile');
  });

  it('a shared screen takes the stage in either layout, received whole; people go to the filmstrip', async () => {
    const [bo, cy] = others as [Page, Page];
    const boPeer = (await diagnostics(bo)).peerId;
    await startSharing(bo);
    const screen = `screen:${boPeer}`;
    const withScreen = await eventually(
      'Bo’s screen on Ada’s stage',
      () => shown(ada),
      (s) => s.stage === screen,
      30_000,
    );
    assert.equal(withScreen.layout, 'stage');
    // The pinned person leads the filmstrip; the screen leaves room for three people.
    const strip = peersOf(withScreen.strip);
    assert.equal(strip.length, 3);
    assert.ok(strip.includes(pinned), 'the pinned person stays in view');
    assert.equal(withScreen.strip.at(-1), 'self');
    // Cy kept the gallery: the screen takes the stage there too.
    const atCy = await eventually(
      'Bo’s screen on Cy’s stage',
      () => shown(cy),
      (s) => s.stage === screen,
      30_000,
    );
    assert.equal(atCy.layout, 'stage');
    assert.equal(atCy.pager, false);
    await eventually(
      'the screen decoding larger than the filmstrip’s cameras, which are all received',
      () => diagnostics(ada),
      (x) => {
        const shared = x.remote.find((r) => r.source === 'screen' && r.peerId === boPeer);
        const cams = cameras(x).filter((c) => strip.includes(c.peerId));
        return (
          !!shared?.receiving &&
          shared.framesDecoded > 5 &&
          cams.length === 3 &&
          cams.every(
            (c) => c.receiving && c.layer === 0 && c.frameHeight > 0 && c.frameHeight < shared.frameHeight,
          ) &&
          cameras(x).filter((c) => c.receiving).length === 3
        );
      },
      60_000,
    );
  });

  it('when sharing stops, each page’s chosen layout returns', async () => {
    const [bo, cy] = others as [Page, Page];
    await bo.click('#toggle-screen');
    await eventually(
      'Ada’s stage back to the pinned person',
      () => shown(ada),
      (s) => s.stage === `peer:${pinned}`,
      30_000,
    );
    const atCy = await eventually(
      'Cy’s gallery back',
      () => shown(cy),
      (s) => s.layout === 'gallery',
      30_000,
    );
    assert.equal(atCy.pager, true, 'four others, three a page: the pages are back');
    assert.equal(await cy.textContent('#grid-page'), 'Page 1 of 2');
    // Back to the gallery at Ada: the pinned person leads the first page, the pages return.
    await ada.click('#layout-gallery');
    const gallery = await shown(ada);
    assert.equal(gallery.layout, 'gallery');
    assert.equal(gallery.pager, true);
    assert.equal(await ada.evaluate(() => localStorage.getItem('conclave:layout')), null);
    const tiles = await ada.evaluate(() =>
      [...document.querySelectorAll<HTMLElement>('#grid > .tile[data-key^="peer:"]')].map(
        (t) => t.dataset['key'],
      ),
    );
    assert.equal(tiles[0], `peer:${pinned}`);
    assert.equal(await ada.$$eval('.filmstrip .tile', (t) => t.length), 0);
  });
});
