/**
 * A network blip: both signaling connections of one participant drop. The DS session resumes
 * with its resume secret (same MLS member, no new epoch), the SFU session is rebuilt with a
 * fresh join token, and media and chat flow again both ways. A lock set meanwhile does not keep
 * the participant out: the fresh token is asked for with the session's rejoin secret.
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
  lockMeeting,
  openPanel,
  pairDiagnostics,
  setMeetingLock,
  startTestEnv,
  statusCleared,
  type TestEnv,
  SUITE_TIMEOUT_MS,
} from './support/harness.ts';
import { controlSockets } from './support/network-control.ts';

describe('reconnection after a network blip', { timeout: SUITE_TIMEOUT_MS }, () => {
  let env: TestEnv;
  let host: Page;
  let alice: Page;
  let hostLink: string;
  let offline: (down: boolean) => Promise<void>;
  let blip: () => Promise<void>;
  let lockedJoins: () => Promise<number>;
  /** Drops both connections and keeps them down until the page says it is reconnecting. */
  const blipUntilReconnecting = async () => {
    await offline(true);
    await blip();
    await eventually(
      'reconnecting shown',
      () => alice.textContent('.status'),
      (t) => !!t?.endsWith('Reconnecting…'),
      5000,
    );
  };
  /** Waits for Alice back on a new SFU peer, decoding and decoded, and not ended; then for her status to clear. */
  const backThroughLock = async (previousPeerId: string) => {
    const after = await eventually(
      'media again through the lock',
      () => pairDiagnostics(host, alice),
      (x) => x.a.peerId !== previousPeerId && cameraBothWays(x),
      30_000,
    );
    assert.equal(after.a.ended, null);
    assert.equal(after.a.securityCode, after.h.securityCode);
    await statusCleared(alice);
  };

  before(async () => {
    env = await startTestEnv();
    host = await env.newPage();
    alice = await env.newPage();
    ({ offline, blip, lockedJoins } = await controlSockets(alice));
    const created = await createMeeting(host, env.origin);
    const link = created.link;
    hostLink = created.hostLink;
    await joinMeeting(host, hostLink, 'Host');
    await joinMeeting(alice, link, 'Alice');
  });

  after(async () => {
    await env?.close();
  });

  it('resumes the group and the media after both connections dropped', async () => {
    const decodingBoth = () => pairDiagnostics(host, alice);
    const ok = cameraBothWays;
    const before = await eventually('media both ways', decodingBoth, ok);
    // Held down until the status shows: a reconnect faster than one poll would hide it.
    await blipUntilReconnecting();
    await offline(false);
    const after = await eventually(
      'media again after the blip',
      decodingBoth,
      (x) => x.a.peerId !== before.a.peerId && ok(x),
      30_000,
    );
    assert.equal(after.a.epoch, before.a.epoch, 'the MLS session resumed: no new member, no new epoch');
    assert.equal(after.h.size, 2);
    assert.equal(after.a.securityCode, after.h.securityCode);
    await statusCleared(alice);
    await chatBothWays(alice, host, ['back again', 'welcome back']);
  });

  it('sends a chat line written while the connection was down once it is back', async () => {
    await blipUntilReconnecting();
    await openPanel(host, 'chat');
    await openPanel(alice, 'chat');
    await alice.fill('#chat-input', 'written while offline');
    await alice.press('#chat-input', 'Enter');
    // Reconnection attempts fail meanwhile; the line waits for the session, it is not dropped.
    await new Promise((r) => setTimeout(r, 1500));
    assert.ok(!(await host.textContent('#chat-log'))?.includes('written while offline'));
    await offline(false);
    await eventually(
      'the line written offline arrives after the resume',
      () => host.textContent('#chat-log'),
      (t) => !!t?.includes('written while offline'),
      30_000,
    );
  });

  it('comes back through a lock the host set meanwhile, with its rejoin secret', async () => {
    await lockMeeting(host);
    const before = await diagnostics(alice);
    const locked = await alice.evaluate(
      async (id) => (await fetch(`/v1/meetings/${id}`)).json(),
      new URL(hostLink).pathname.split('/')[2],
    );
    assert.equal(locked.locked, true);
    await blip();
    await backThroughLock(before.peerId);
  });

  it('comes back through a lock the host set while its connections were down', async () => {
    await setMeetingLock(host, false);
    const before = await diagnostics(alice);
    await blipUntilReconnecting();
    await setMeetingLock(host, true);
    // Its media reconnection asks for a join meanwhile and meets the lock before the group
    // session, once back, has vouched for its rejoin secret: that refusal is not the end.
    await eventually('a join refused by the lock', lockedJoins, (n) => n > 0, 15_000);
    await offline(false);
    await backThroughLock(before.peerId);
  });

  it('lets the host back into its locked meeting after a reload', async () => {
    await host.reload();
    await host.fill('#display-name', 'Host');
    await host.click('#join-button');
    await host.waitForFunction(() => document.getElementById('app')?.dataset['epoch'], undefined, {
      timeout: 30_000,
    });
    const d = await diagnostics(host);
    assert.equal(d.role, 'host');
    assert.equal(await host.getAttribute('#app', 'data-error'), null);
  });
});
