/**
 * Scheduled key rotation in the browser against the real embedded stack: with nobody joining
 * or leaving, members still move the group to new epochs (self-update commits), everyone
 * keeps the same security code, and remote video keeps decoding across every switch.
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
  openPanel,
  startTestEnv,
  type TestEnv,
  SUITE_TIMEOUT_MS,
} from './support/harness.ts';

const ROTATION_SECONDS = 10;

type Diag = Diagnostics & { member: string; dsMembers: { leaf: number; member: string }[] };
const diag = (page: Page) => diagnostics(page) as Promise<Diag>;

const videoFrames = (d: Diagnostics) =>
  d.remote.filter((r) => r.kind === 'video').reduce((sum, r) => sum + Number(r.framesDecoded), 0);
const decryptFailures = (d: Diagnostics) =>
  Object.values(d.crypto.decryptFailures).reduce((sum, n) => sum + Number(n), 0);

describe('scheduled key rotation', { timeout: SUITE_TIMEOUT_MS }, () => {
  let env: TestEnv;
  let host: Page;
  let alice: Page;
  const both = () => Promise.all([host, alice].map(diag));

  before(async () => {
    env = await startTestEnv({ env: { CONCLAVE_KEY_ROTATION_SECONDS: String(ROTATION_SECONDS) } });
    host = await env.newPage();
    alice = await env.newPage();
    const created = await createMeeting(host, env.origin);
    await joinMeeting(host, created.hostLink, 'Hosty McHost');
    await joinMeeting(alice, created.link, 'Alice');
  });

  after(async () => {
    await env?.close();
  });

  it('rotates the keys on schedule while membership is stable, and media keeps decoding', async () => {
    const start = await eventually(
      'two members in one epoch, decoding each other’s video',
      both,
      (d) =>
        d.every((x) => x.size === 2 && x.epoch === d[0]!.epoch && videoFrames(x) > 0) &&
        d[0]!.securityCode === d[1]!.securityCode,
      30_000,
    );
    await openPanel(alice, 'info');
    assert.match((await alice.textContent('#info-rotation'))!, /every 10 s/);

    const codes = new Set([start[0]!.securityCode]);
    let last = start;
    const startedAt = Date.now();
    for (let rotation = 1; rotation <= 2; rotation++) {
      const now = await eventually(
        `rotation ${rotation}`,
        both,
        (d) =>
          d.every((x) => x.epoch >= last[0]!.epoch + 1 && x.epoch === d[0]!.epoch) &&
          d[0]!.securityCode === d[1]!.securityCode,
        3 * ROTATION_SECONDS * 1000,
      );
      // Nobody joined or left: the new epoch comes from a self-update commit.
      assert.deepEqual(
        now.map((x) => x.size),
        [2, 2],
      );
      codes.add(now[0]!.securityCode);
      // The info panel shows the epoch and code the page is in (it renders on the next frame or
      // tick, so it may lag the diagnostics for a moment on a loaded machine).
      await eventually(
        `the info panel after rotation ${rotation}`,
        async () => ({
          epoch: (await alice.textContent('#info-epoch'))?.trim(),
          code: (await alice.textContent('#security-code'))?.trim(),
          now: await diag(alice),
        }),
        (p) => p.epoch === String(p.now.epoch) && p.code === p.now.securityCode,
        15_000,
      );
      // Video decoded under the new keys: frame counts keep rising on both sides. Polled, not
      // slept: on a loaded machine the first frames after a switch can take a moment.
      await eventually(
        `video decodes on both sides after rotation ${rotation}`,
        both,
        (d) => d.every((x, i) => x.epoch >= now[i]!.epoch && videoFrames(x) > videoFrames(now[i]!) + 10),
        15_000,
      );
      last = now;
    }
    // Each rotation arrived within three periods (the bound on each wait above).
    const elapsed = (Date.now() - startedAt) / 1000;
    assert.equal(codes.size, 3, 'every rotation gives a new security code');

    // Frames that failed to decrypt across both key switches (joining is measured elsewhere).
    const end = await both();
    const failed = end.map((x, i) => decryptFailures(x) - decryptFailures(start[i]!));
    const decrypted = end.map((x, i) => x.crypto.decrypted - start[i]!.crypto.decrypted);
    console.log(
      `rotation: 2 epochs in ${elapsed.toFixed(1)} s; frames decrypted host=${decrypted[0]} alice=${decrypted[1]}, failed host=${failed[0]} alice=${failed[1]}`,
    );
    for (const [i, x] of end.entries()) {
      assert.ok(failed[i]! <= 5, `decrypt failures: ${JSON.stringify(x.crypto.decryptFailures)}`);
    }
  });

  it('knows every leaf’s DS member ID from the DS itself, as a kick names it', async () => {
    const [h, a] = await both();
    const hostView = new Map(h!.dsMembers.map((m) => [m.leaf, m.member]));
    const aliceView = new Map(a!.dsMembers.map((m) => [m.leaf, m.member]));
    assert.equal(hostView.size, 2);
    assert.deepEqual([...hostView].sort(), [...aliceView].sort(), 'both hold the same mapping');
    assert.ok([...hostView.values()].includes(h!.member));
    assert.ok([...hostView.values()].includes(a!.member), 'the host maps Alice’s leaf to her DS member ID');
  });
});
