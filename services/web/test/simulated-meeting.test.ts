/**
 * Simulated participants (test/simulator/) in a meeting with a real browser: K of them join
 * from this process with the real protocol and cryptography (SRP, MLS, SFrame over a real
 * WebRtcTransport), and the Chromium page cannot tell them from browsers. Its MLS group holds
 * all of them in one epoch, its roster names them, and it decrypts and plays their microphones
 * and cameras; when one leaves, the group shrinks for everyone.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
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
import { type RecordedClips, recordClips } from './simulator/browser-clips.ts';
import { SimulatedParticipant } from './simulator/participant.ts';

/** Simulated participants joining the page's meeting. */
const K = 5;
/** Every participant leaves by itself after this long, should the test hang. */
const PARTICIPANT_LIFETIME_MS = 150_000;

const names = Array.from({ length: K }, (_, i) => `Sim ${i + 1}`);

describe('simulated participants in a meeting with a browser', { timeout: SUITE_TIMEOUT_MS }, () => {
  let env: TestEnv;
  let page: Page;
  let clips: RecordedClips;
  const sims: SimulatedParticipant[] = [];

  before(async () => {
    env = await startTestEnv();
    // The clips come from a page of its own, closed before the meeting starts.
    const recorder = await env.newPage();
    await recorder.goto(`${env.origin}/`);
    clips = await recordClips(recorder);
    await recorder.context().close();
    page = await env.newPage();
    const { link, hostLink } = await createMeeting(page, env.origin);
    await joinMeeting(page, hostLink, 'Ada', { camera: false });
    const media = [
      { source: 'mic' as const, clip: clips.audio },
      { source: 'camera' as const, clip: clips.video },
    ];
    // All at once, as a crowd arrives: the DS batches their KeyPackages into commits.
    sims.push(
      ...(await Promise.all(
        names.map((name) =>
          SimulatedParticipant.join({ link, name, media, maxDurationMs: PARTICIPANT_LIFETIME_MS }),
        ),
      )),
    );
  });

  after(async () => {
    for (const sim of sims) sim.leave();
    await env?.close();
  });

  it('records real Opus and VP8 clips from the browser', () => {
    assert.ok(clips.audio.frames.length > 20, `${clips.audio.frames.length} Opus packets`);
    assert.ok(clips.video.frames.length > 10, `${clips.video.frames.length} VP8 frames`);
    assert.equal(clips.video.frames[0]!.key, true);
  });

  it('puts the page and every simulated participant in one group, one epoch, one security code', async () => {
    const d = await eventually(
      `a group of ${K + 1} in the same epoch everywhere`,
      () => diagnostics(page),
      (x) =>
        x.size === K + 1 &&
        sims.every((s) => {
          const st = s.state();
          return st.epoch === x.epoch && st.size === K + 1 && st.securityCode === x.securityCode;
        }),
      60_000,
    );
    assert.equal(d.role, 'host');
    assert.equal(new Set(sims.map((s) => s.state().ownLeaf)).size, K);
  });

  it('shows every simulated participant by name on the page, and the page to them', async () => {
    await eventually(
      'the simulated names in the page roster',
      () => diagnostics(page),
      (x) => names.every((n) => x.roster.some((r) => r.name === n)),
      30_000,
    );
    await eventually(
      'Ada and each other in every simulated roster',
      async () => sims.map((s) => s.state().roster),
      (rosters) => rosters.every((r) => r.includes('Ada') && names.every((n) => r.includes(n))),
      30_000,
    );
  });

  it('decrypts and plays their microphones, and decodes their cameras', async () => {
    const simPeers = new Set(sims.map((s) => s.state().peerId));
    const fromSims = (x: Diagnostics) => x.remote.filter((r) => simPeers.has(r.peerId));
    const d = await eventually(
      'audio energy from a simulated microphone and frames from simulated cameras',
      () => diagnostics(page),
      (x) =>
        fromSims(x).some((r) => r.source === 'mic' && r.totalAudioEnergy > 0) &&
        fromSims(x).filter((r) => r.source === 'camera' && r.framesDecoded > 10).length >= Math.min(K, 4) &&
        x.crypto.decrypted > 200,
      60_000,
    );
    const mics = fromSims(d).filter((r) => r.source === 'mic');
    assert.equal(mics.length, K, 'one microphone consumer per simulated participant');
    // Frames that came before the roster named their sender are dropped unread (unbound, as
    // the page's own rule has it); anything else failing is at most frames in flight across a
    // key change.
    const { SFRAME_UNBOUND_RECEIVER: _unbound = 0, ...other } = d.crypto.decryptFailures;
    const failures = Object.values(other).reduce((a, b) => a + b, 0);
    assert.ok(
      failures < d.crypto.decrypted / 20,
      `decrypt failures ${JSON.stringify(d.crypto.decryptFailures)}`,
    );
    for (const sim of sims) {
      const st = sim.state();
      assert.ok(st.crypto.encrypted > 20, `${st.name} encrypted ${st.crypto.encrypted} frames`);
      // Not compared with frames: one whose encryption has just ended is not sent yet.
      assert.ok(st.packetsSent > 20, `${st.name} sent ${st.packetsSent} packets`);
    }
    const started = d.crypto.decrypted;
    await eventually(
      'decryption going on',
      () => diagnostics(page),
      (x) => x.crypto.decrypted > started + 100,
      20_000,
    );
  });

  it('receives and decrypts the page microphone in the simulated participants', async () => {
    // The simulated microphones go quiet (their audio level says so): the SFU forwards the
    // most recently loud ones when more are open than it forwards, and the page's is now one.
    for (const sim of sims) sim.setAudioLevel(127);
    const ada = () =>
      sims.map((s) => s.state().received.find((r) => r.name === 'Ada') ?? { decrypted: 0, failed: 0 });
    const before = ada();
    const after = await eventually(
      'Ada heard by every simulated participant',
      async () => ada(),
      (now) => now.every((r, i) => r.decrypted > before[i]!.decrypted + 10),
      30_000,
    );
    // Once bound to Ada's leaf by her roster entry, every frame of hers decrypts.
    assert.deepEqual(
      after.map((r) => r.failed),
      before.map((r) => r.failed),
    );
  });

  it('shrinks the group for everyone when a simulated participant leaves', async () => {
    const gone = sims.pop()!;
    gone.leave();
    await eventually(
      `a group of ${K} everywhere`,
      () => diagnostics(page),
      (x) => x.size === K && sims.every((s) => s.state().size === K && s.state().epoch === x.epoch),
      30_000,
    );
  });
});
