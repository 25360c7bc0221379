/**
 * Away for longer than the DS keeps a dropped session (a laptop asleep, a long tunnel): the
 * session cannot resume (4404), so the page joins the group again as a new member with a fresh
 * SRP join, by itself, and the meeting is whole again: one epoch, one security code, the roster,
 * media and chat both ways. (When the DS loses the group itself, as on a Redis restart, the same
 * path creates a new group: the compose stack's restart test covers that.)
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import {
  cameraBothWays,
  chatBothWays,
  createMeeting,
  diagnostics,
  eventually,
  joinMeeting,
  pairDiagnostics,
  startTestEnv,
  statusCleared,
  type TestEnv,
  SUITE_TIMEOUT_MS,
} from './support/harness.ts';
import { controlSockets } from './support/network-control.ts';

const RESUME_GRACE_MS = 1000;
/**
 * Connected sessions stay alive only through the DS's heartbeat: it must beat several times
 * within the grace, or a loaded machine lets the host's own session expire too.
 */
const HEARTBEAT_MS = 200;

describe('joining the group again when the session cannot resume', { timeout: SUITE_TIMEOUT_MS }, () => {
  let env: TestEnv;
  let host: Page;
  let alice: Page;
  let sockets: Awaited<ReturnType<typeof controlSockets>>;

  before(async () => {
    env = await startTestEnv({
      env: { DS_RESUME_GRACE_MS: String(RESUME_GRACE_MS), DS_MAINTAIN_INTERVAL_MS: String(HEARTBEAT_MS) },
    });
    host = await env.newPage();
    alice = await env.newPage();
    sockets = await controlSockets(alice);
    const { link, hostLink } = await createMeeting(host, env.origin);
    await joinMeeting(host, hostLink, 'Host');
    await joinMeeting(alice, link, 'Alice');
  });

  after(async () => {
    await env?.close();
  });

  it('comes back as a new member after its session expired, with media, roster and chat', async () => {
    const both = () => pairDiagnostics(host, alice);
    const before = await eventually('media both ways', both, cameraBothWays);
    await sockets.offline(true);
    await sockets.blip();
    // Gone past the grace period: the DS expires the session and the host commits its Remove.
    await eventually(
      'the host alone in the group',
      () => diagnostics(host),
      (h) => h.size === 1,
      30_000,
    );
    await sockets.offline(false);
    const back = await eventually(
      'alice in the group again, media both ways',
      both,
      (x) =>
        x.a.member !== before.a.member &&
        x.a.size === 2 &&
        x.h.size === 2 &&
        x.a.epoch === x.h.epoch &&
        cameraBothWays(x),
      40_000,
    );
    assert.ok(back.a.epoch > before.a.epoch, 'a new membership: a later epoch of the same group');
    assert.equal(back.a.securityCode, back.h.securityCode);
    assert.equal(back.a.ended, null);
    await eventually(
      'the host knows who the new member is',
      () => diagnostics(host),
      (h) => h.roster.some((r) => r.name === 'Alice' && r.peerId === back.a.peerId),
    );
    await statusCleared(alice);
    await chatBothWays(alice, host, ['back as a new member', 'welcome, new member']);
  });
});
