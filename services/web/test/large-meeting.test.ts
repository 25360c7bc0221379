/**
 * A meeting of thirty: three Chromium pages (cameras on, microphones off, four tiles a page) and
 * twenty-seven simulated participants (test/simulator/), six of them with a camera and nine with
 * an open microphone (as in most meetings of this size, the rest are muted). Each page receives video only for the tiles it shows, counted by the SFU
 * and read from getStats; a tile that grows (the speaker view's stage) gets the top simulcast
 * layer and taller frames; and the page hears the participants who speak, while the SFU
 * forwards no more microphones than its limit.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { cameras, sfuVideoConsumers, tilePeers } from './support/grid.ts';
import {
  createMeeting,
  type Diagnostics,
  diagnostics,
  eventually,
  joinMeeting,
  SUITE_TIMEOUT_MS,
  startTestEnv,
  type TestEnv,
} from './support/harness.ts';
import { recordClips } from './simulator/browser-clips.ts';
import { SimulatedParticipant } from './simulator/participant.ts';

const PAGES = ['Ada', 'Bo', 'Cy'];
const SIMULATED = 27;
const WITH_CAMERA = 6;
/** The last nine to join have their microphones open; the last three of them speak. */
const OPEN_MICS = 9;
/** Microphones the SFU forwards at once when more are open (SFU_AUDIBLE_SPEAKERS' default). */
const AUDIBLE_LIMIT = 5;
const SILENT = 127;
const LOUD = 20;
const PARTICIPANT_LIFETIME_MS = 300_000;

const receiving = (d: Diagnostics) => cameras(d).filter((c) => c.receiving);

const sameSet = (a: string[], b: string[]) => a.length === b.length && a.every((x) => b.includes(x));

describe('a meeting of thirty, three of them browsers', { timeout: SUITE_TIMEOUT_MS }, () => {
  let env: TestEnv;
  const pages: Page[] = [];
  const sims: SimulatedParticipant[] = [];

  before(async () => {
    env = await startTestEnv();
    const recorder = await env.newPage();
    await recorder.goto(`${env.origin}/`);
    const clips = await recordClips(recorder);
    await recorder.context().close();
    for (const _ of PAGES) {
      const page = await env.newPage({ viewport: { width: 1280, height: 720 } });
      await page.addInitScript(() => localStorage.setItem('conclave:tiles-per-page', '4'));
      pages.push(page);
    }
    const { link, hostLink } = await createMeeting(pages[0]!, env.origin);
    for (const [i, page] of pages.entries())
      await joinMeeting(page, i === 0 ? hostLink : link, PAGES[i]!, { mic: false });
    // A crowd arriving in a few waves; two of them also receive and decrypt microphones.
    for (let wave = 0; wave < SIMULATED; wave += 9) {
      const joined = await Promise.all(
        Array.from({ length: Math.min(9, SIMULATED - wave) }, (_, j) => {
          const i = wave + j;
          return SimulatedParticipant.join({
            link,
            name: `Sim ${i + 1}`,
            media: [
              ...(i >= SIMULATED - OPEN_MICS ? [{ source: 'mic' as const, clip: clips.audio }] : []),
              ...(i < WITH_CAMERA ? [{ source: 'camera' as const, clip: clips.video }] : []),
            ],
            receiveAudio: i < 2,
            maxDurationMs: PARTICIPANT_LIFETIME_MS,
          });
        }),
      );
      for (const sim of joined) sim.setAudioLevel(SILENT);
      sims.push(...joined);
    }
  });

  after(async () => {
    for (const sim of sims) sim.leave();
    await env?.close();
  });

  it('holds all thirty in one group, one epoch, one security code', async () => {
    const all = PAGES.length + SIMULATED;
    await eventually(
      `a group of ${all} in the same epoch everywhere`,
      () => Promise.all(pages.map((p) => diagnostics(p))),
      (ds) =>
        ds.every(
          (d) => d.size === all && d.epoch === ds[0]!.epoch && d.securityCode === ds[0]!.securityCode,
        ) && sims.every((s) => s.state().size === all && s.state().epoch === ds[0]!.epoch),
      // Generous: thirty joining on a busy 2-core machine; this asserts the outcome, not speed.
      180_000,
    );
  });

  it('receives video only for the tiles each page shows, counted by the SFU and by getStats', async () => {
    const cameraCount = PAGES.length + WITH_CAMERA;
    // Four tiles a page: a page shows itself and three others; of those, the ones with a
    // camera are received, and no other of the eight cameras.
    const shownNow = () =>
      Promise.all(
        pages.map(async (p) => {
          const shown = await tilePeers(p);
          return { shown, d: await diagnostics(p) };
        }),
      );
    const views = await eventually(
      'every page receiving exactly the cameras of the tiles it shows',
      shownNow,
      (all) =>
        all.every(
          ({ shown, d }) =>
            shown.length === 3 &&
            cameras(d).length === cameraCount - 1 &&
            sameSet(
              receiving(d).map((c) => c.peerId),
              cameras(d)
                .map((c) => c.peerId)
                .filter((id) => shown.includes(id)),
            ) &&
            receiving(d).every((c) => c.framesDecoded > 5),
        ),
      90_000,
    );
    const forwarded = views.reduce((n, { d }) => n + receiving(d).length, 0);
    // Only browsers consume video here: 3 pages × 8 cameras, and the SFU forwards what they show.
    const sfu = await eventually(
      'the SFU forwarding only the shown cameras',
      () => sfuVideoConsumers(env),
      (c) => c.all === PAGES.length * (cameraCount - 1) && c.forwarding === forwarded,
      30_000,
    );
    console.log(`video consumers at the SFU: ${sfu.forwarding} forwarded of ${sfu.all}`);
    // What is not shown does not arrive: its packet counts stand still.
    const notShown = views.map(({ d }) => cameras(d).filter((c) => !c.receiving));
    assert.ok(
      notShown.every((n) => n.length >= 5),
      'most cameras are off every page',
    );
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const later = await Promise.all(pages.map((p) => diagnostics(p)));
    for (const [i, d] of later.entries())
      for (const before of notShown[i]!) {
        const now = cameras(d).find((c) => c.peerId === before.peerId)!;
        if (now.receiving) continue; // a speaker brought onto the page meanwhile
        assert.equal(
          now.packetsReceived,
          before.packetsReceived,
          `${PAGES[i]} receives nothing it does not show`,
        );
      }
  });

  it('gives a tile that grows the top layer, with taller frames', async () => {
    const [ada, bo] = pages as [Page, Page];
    const boPeer = (await diagnostics(bo)).peerId;
    const boCamera = async () => cameras(await diagnostics(ada)).find((c) => c.peerId === boPeer)!;
    // Bo pinned on Ada's first page, in a small window: a small tile.
    await ada.click(`.tile[data-key="peer:${boPeer}"] .pin`);
    await ada.setViewportSize({ width: 480, height: 360 });
    const small = await eventually(
      'Bo received in a small gallery tile, below the top layer',
      boCamera,
      // Frames of the layer asked for (at most layer 1's 360 lines), not the last top-layer ones.
      (c) => c.receiving && c.layer !== null && c.layer < 2 && c.frameHeight > 0 && c.frameHeight <= 360,
      60_000,
    );
    // A large window, and the speaker view puts the pinned person on the stage: most of it.
    await ada.setViewportSize({ width: 1280, height: 720 });
    await ada.click('#layout-speaker');
    const big = await eventually(
      'Bo on the stage at the top layer, with taller frames',
      boCamera,
      (c) => c.layer === 2 && c.frameHeight > small.frameHeight,
      90_000,
    );
    console.log(
      `Bo's camera at Ada: layer ${small.layer}, ${small.frameHeight} lines → layer 2, ${big.frameHeight}`,
    );
    await ada.click('#layout-gallery');
  });

  it('hears the participants who speak, and no more microphones than the SFU forwards', async () => {
    const [ada] = pages as [Page];
    const speakers = sims.slice(-3);
    const speakerPeers = new Set(speakers.map((s) => s.state().peerId));
    const simPeers = new Set(sims.map((s) => s.state().peerId));
    const mics = (d: Diagnostics) => d.remote.filter((r) => r.source === 'mic' && simPeers.has(r.peerId));
    for (const sim of speakers) sim.setAudioLevel(LOUD);
    const heard = async () => {
      const first = mics(await diagnostics(ada));
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const second = mics(await diagnostics(ada));
      return second.map((m) => {
        const before = first.find((f) => f.peerId === m.peerId);
        return { ...m, rising: m.packetsReceived > (before?.packetsReceived ?? 0) };
      });
    };
    const now = await eventually(
      'the three speakers heard at Ada, with sound',
      heard,
      (ms) =>
        ms.length === OPEN_MICS &&
        ms.filter((m) => speakerPeers.has(m.peerId)).every((m) => m.rising && m.totalAudioEnergy > 0),
      // The SFU judges loudness on windows of at least 10 packets; a simulated sender starved
      // of CPU on a busy machine may send fewer for a while.
      60_000,
    );
    const forwarded = now.filter((m) => m.rising).length;
    console.log(`microphones reaching Ada: ${forwarded} of ${OPEN_MICS} open`);
    assert.ok(
      forwarded <= AUDIBLE_LIMIT,
      `${forwarded} microphones forwarded, the limit is ${AUDIBLE_LIMIT}`,
    );
    for (const sim of speakers) sim.setAudioLevel(SILENT);
  });
});
