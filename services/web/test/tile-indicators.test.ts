/**
 * The tiles' indicators in two Chromium pages: each sees the other's connection as good (a
 * labelled signal icon, the tile's data-quality, the diagnostics) and a level on its own tile;
 * the speaking indicator follows the SFU's active speaker (Chromium's fake microphone beeps)
 * and leaves someone who mutes; a camera turned off and a muted microphone are not a poor
 * connection.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import {
  createMeeting,
  diagnostics,
  eventually,
  joinMeeting,
  startTestEnv,
  type TestEnv,
  SUITE_TIMEOUT_MS,
} from './support/harness.ts';

/** What one tile shows: its data-quality, speaking state and the signal icon's label and icon. */
function tileState(page: Page, key: string) {
  return page.evaluate((k) => {
    const tile = document.querySelector<HTMLElement>(`.tile[data-key="${k}"]`);
    if (!tile) return null;
    const signal = tile.querySelector<HTMLElement>('.signal');
    const speakingIcon = tile.querySelector<HTMLElement>('.speaking-icon');
    return {
      quality: tile.dataset['quality'] ?? null,
      label: tile.getAttribute('aria-label'),
      speaking: tile.classList.contains('speaking'),
      speakingIconShown: !!speakingIcon && !speakingIcon.hidden && speakingIcon.getClientRects().length > 0,
      signalRole: signal?.getAttribute('role') ?? null,
      signalLabel: signal?.getAttribute('aria-label') ?? null,
      signalTitle: signal?.getAttribute('title') ?? null,
      signalIcon: signal?.querySelector('svg')?.dataset['icon'] ?? null,
      signalColor: signal ? getComputedStyle(signal).color : null,
    };
  }, key);
}

describe('tile indicators', { timeout: SUITE_TIMEOUT_MS }, () => {
  let env: TestEnv;
  let ada: Page;
  let bo: Page;
  let adaPeer: string;
  let boPeer: string;

  before(async () => {
    env = await startTestEnv();
    ada = await env.newPage();
    bo = await env.newPage();
    const { link, hostLink } = await createMeeting(ada, env.origin);
    await joinMeeting(ada, hostLink, 'Ada');
    await joinMeeting(bo, link, 'Bo');
    adaPeer = (await diagnostics(ada)).peerId;
    boPeer = (await diagnostics(bo)).peerId;
  });

  after(async () => {
    await env?.close();
  });

  it('each sees the other’s connection as good, with a labelled signal icon, and a level on their own tile', async () => {
    for (const [page, other] of [
      [ada, boPeer],
      [bo, adaPeer],
    ] as const) {
      // The tile and the diagnostics are read together: on a busy machine a level can move
      // between two separate reads (a starved page decodes under 5 frames a second for a while).
      const { tile } = await eventually(
        `good quality on the tile of ${other}`,
        async () => ({ tile: await tileState(page, `peer:${other}`), d: await diagnostics(page) }),
        ({ tile, d }) => tile?.quality === 'good' && d.quality.peers[other] === 'good',
        60_000,
      );
      assert.equal(tile?.signalRole, 'img');
      assert.equal(tile?.signalLabel, 'Connection: good');
      assert.equal(tile?.signalTitle, 'Connection: good');
      assert.equal(tile?.signalIcon, 'signalGood');
      assert.ok(
        !tile?.label?.includes('onnection'),
        `only a poor connection is in the tile's label: ${tile?.label}`,
      );
      const self = await eventually(
        'a good level on the own tile',
        async () => ({ tile: await tileState(page, 'self'), d: await diagnostics(page) }),
        ({ tile, d }) => tile?.quality === 'good' && d.quality.self === 'good',
        60_000,
      );
      assert.equal(self.tile?.signalLabel, 'Connection: good');
    }
    // Neither a screen tile nor anything else shows more than one signal per person.
    assert.equal(await ada.locator('.tile .signal:not([hidden])').count(), 2);
  });

  it('the speaking indicator shows on the active speaker’s tile and leaves one who mutes', async () => {
    // Both fake microphones beep. The SFU names the dominant speaker when it changes, so someone
    // who joined after it last changed learns it at the next change: each mutes in turn.
    const speaking = async (page: Page, other: string) => {
      const [self, peer] = await Promise.all([tileState(page, 'self'), tileState(page, `peer:${other}`)]);
      return {
        self: self?.speaking,
        selfIcon: self?.speakingIconShown,
        peer: peer?.speaking,
        peerIcon: peer?.speakingIconShown,
      };
    };
    const speakerIsPeer = { self: false, selfIcon: false, peer: true, peerIcon: true };
    const speakerIsSelf = { self: true, selfIcon: true, peer: false, peerIcon: false };
    await ada.click('#toggle-mic');
    assert.deepEqual(
      await eventually(
        'Bo speaking on Ada’s page',
        () => speaking(ada, boPeer),
        (s) => s.peer === true,
      ),
      speakerIsPeer,
      'the muted one (Ada) is not shown speaking',
    );
    assert.deepEqual(
      await eventually(
        'Bo speaking on his own tile',
        () => speaking(bo, adaPeer),
        (s) => s.self === true,
      ),
      speakerIsSelf,
    );
    await ada.screenshot({ path: '/tmp/conclave-tile-indicators.png' });
    await ada.click('#toggle-mic');
    await bo.click('#toggle-mic');
    assert.deepEqual(
      await eventually(
        'Ada speaking on Bo’s page',
        () => speaking(bo, adaPeer),
        (s) => s.peer === true,
      ),
      speakerIsPeer,
    );
    assert.deepEqual(
      await eventually(
        'Ada speaking on her own tile',
        () => speaking(ada, boPeer),
        (s) => s.self === true,
      ),
      speakerIsSelf,
    );
  });

  it('a camera turned off and a muted microphone are not a poor connection', async () => {
    await bo.click('#toggle-cam');
    await eventually(
      'Bo’s camera gone from Ada’s tile',
      () =>
        ada.evaluate(
          (k) => document.querySelector(`.tile[data-key="${k}"]`)?.classList.contains('no-video'),
          `peer:${boPeer}`,
        ),
      (v) => v === true,
    );
    // Over several samples (one a second), nothing Bo sends is measured as poor.
    const seen = new Set<string | null | undefined>();
    for (let i = 0; i < 12; i++) {
      seen.add((await tileState(ada, `peer:${boPeer}`))?.quality);
      seen.add((await tileState(bo, 'self'))?.quality);
      seen.add((await diagnostics(ada)).quality.peers[boPeer]);
      await new Promise((r) => setTimeout(r, 500));
    }
    assert.ok(!seen.has('poor'), `paused media is not a poor connection: ${[...seen].join(', ')}`);
    const paused = await tileState(ada, `peer:${boPeer}`);
    assert.equal(paused?.quality, 'unknown', 'nothing to measure');
    assert.equal(paused?.signalLabel, 'Connection: unknown');
    assert.equal(paused?.signalIcon, 'signalNone');
    assert.equal((await tileState(bo, 'self'))?.quality, 'unknown');
    // Back on: measured again.
    await bo.click('#toggle-cam');
    await bo.click('#toggle-mic');
    await eventually(
      'Bo good again on Ada’s page',
      () => tileState(ada, `peer:${boPeer}`),
      (t) => t?.quality === 'good',
      60_000,
    );
  });
});
