/**
 * Video follows the screen, with five Chromium pages and four tiles a page: a page receives
 * video only for the people its grid shows (read from getStats and counted at the SFU), the
 * next page swaps who is received, a tile's simulcast layer follows its size, and a pinned
 * person stays on every page. Microphones are off so the active speaker does not move people.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { diagnostics, eventually, SUITE_TIMEOUT_MS, type TestEnv } from './support/harness.ts';
import { cameras, sfuVideoConsumers, startFivePages, tilePeers } from './support/grid.ts';

describe('video follows the screen', { timeout: SUITE_TIMEOUT_MS }, () => {
  let env: TestEnv;
  let ada: Page;

  before(async () => {
    ({ env, ada } = await startFivePages());
  });

  after(async () => {
    await env?.close();
  });

  it('the first page receives the three people it shows and nothing of the fourth', async () => {
    const d = await eventually(
      'three cameras decoding on the first page, one not received',
      () => diagnostics(ada),
      (x) => {
        const cams = cameras(x);
        return (
          cams.length === 4 &&
          cams.filter((c) => c.receiving && c.framesDecoded > 10).length === 3 &&
          cams.filter((c) => !c.receiving).length === 1
        );
      },
      60_000,
    );
    assert.equal(await ada.textContent('#grid-page'), 'Page 1 of 2');
    assert.equal(await ada.isVisible('#grid-pager'), true);
    const shown = await tilePeers(ada);
    assert.equal(shown.length, 3);
    const off = cameras(d).find((c) => !c.receiving)!;
    assert.ok(!shown.includes(off.peerId), 'the camera not received is the one without a tile');
    // Nothing of it arrives: its packets stand still while the others' rise.
    const later = await eventually(
      'the shown cameras decoding on',
      () => diagnostics(ada),
      (x) =>
        cameras(x).every(
          (c) =>
            !c.receiving ||
            c.framesDecoded > cameras(d).find((b) => b.peerId === c.peerId)!.framesDecoded + 30,
        ),
      30_000,
    );
    const offLater = cameras(later).find((c) => c.peerId === off.peerId)!;
    assert.equal(offLater.packetsReceived, off.packetsReceived, 'no packet of the fourth camera arrived');
    assert.equal(offLater.framesDecoded, off.framesDecoded);
    // Every page shows itself and three others: 5 × 4 video consumers, 5 × 3 forwarded.
    const counted = await eventually(
      'the SFU forwarding three of four cameras to each page',
      () => sfuVideoConsumers(env),
      (c) => c.all === 20 && c.forwarding === 15,
      30_000,
    );
    assert.deepEqual(counted, { all: 20, forwarding: 15 });
  });

  it('the next page receives the fourth person and drops the others', async () => {
    const before = cameras(await diagnostics(ada));
    const fourth = before.find((c) => !c.receiving)!;
    await ada.click('#grid-next');
    assert.equal(await ada.textContent('#grid-page'), 'Page 2 of 2');
    assert.deepEqual(await tilePeers(ada), [fourth.peerId]);
    const after = await eventually(
      'the fourth camera decoding, the others not received',
      () => diagnostics(ada),
      (x) => {
        const cams = cameras(x);
        const it = cams.find((c) => c.peerId === fourth.peerId)!;
        return (
          it.receiving &&
          it.framesDecoded > fourth.framesDecoded + 10 &&
          cams.filter((c) => c.receiving).length === 1
        );
      },
      60_000,
    );
    const stopped = cameras(after).filter((c) => c.peerId !== fourth.peerId);
    await eventually(
      'the SFU forwarding one camera to Ada',
      () => sfuVideoConsumers(env),
      (c) => c.all === 20 && c.forwarding === 13,
      30_000,
    );
    const later = cameras(await diagnostics(ada));
    for (const c of stopped)
      assert.equal(
        later.find((x) => x.peerId === c.peerId)!.packetsReceived,
        c.packetsReceived,
        'a camera off the page receives nothing',
      );
  });

  it('a tile that shrinks gets a lower simulcast layer, and a higher one when it grows again', async () => {
    const [fourth] = await tilePeers(ada);
    const camera = async () => cameras(await diagnostics(ada)).find((c) => c.peerId === fourth)!;
    // One tile beside Ada's own, most of a 1280 × 720 window: the top layer.
    const big = await eventually('the top layer', camera, (c) => c.layer === 2 && c.frameHeight > 0, 30_000);
    // A sender short of CPU sends its top layer at fewer lines (WebRTC's CPU adaptation); at
    // 360 or fewer, frame sizes no longer tell it from the layer below, and only the layer the
    // SFU forwards is checked.
    const sizesTell = big.frameHeight > 360;
    await ada.setViewportSize({ width: 480, height: 360 });
    const small = await eventually(
      'a lower layer, and smaller frames',
      camera,
      (c) =>
        c.layer !== null &&
        c.layer < 2 &&
        c.frameHeight > 0 &&
        (!sizesTell || c.frameHeight < big.frameHeight),
      60_000,
    );
    await ada.setViewportSize({ width: 1280, height: 720 });
    // The SFU goes up as its bandwidth estimate allows: the frames grow back.
    const back = await eventually(
      'the top layer again, and taller frames',
      camera,
      (c) => c.layer === 2 && (!sizesTell || c.frameHeight > small.frameHeight),
      60_000,
    );
    console.log(
      `layer 2 at ${big.frameHeight} lines → layer ${small.layer} at ${small.frameHeight} → layer 2 at ${back.frameHeight}`,
    );
  });

  it('a pinned person stays on every page, first', async () => {
    const [fourth] = await tilePeers(ada);
    await ada.click(`.tile[data-key="peer:${fourth}"] .pin`);
    assert.equal(await ada.getAttribute(`.tile[data-key="peer:${fourth}"] .pin`, 'aria-pressed'), 'true');
    assert.equal(await ada.textContent('#grid-page'), 'Page 2 of 2', 'three others left, two places a page');
    await ada.click('#grid-previous');
    const firstPage = await tilePeers(ada);
    assert.equal(firstPage.length, 3);
    assert.equal(firstPage[0], fourth, 'the pinned person leads the first page too');
    await eventually(
      'the pinned camera and the first page’s two received',
      () => diagnostics(ada),
      (x) => {
        const receiving = cameras(x)
          .filter((c) => c.receiving)
          .map((c) => c.peerId);
        return receiving.length === 3 && firstPage.every((p) => receiving.includes(p));
      },
      30_000,
    );
  });
});
