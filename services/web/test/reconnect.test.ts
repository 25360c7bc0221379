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
  createMeeting,
  diagnostics,
  eventually,
  joinMeeting,
  openPanel,
  startTestEnv,
  type TestEnv,
} from './support/harness.ts';

describe('reconnection after a network blip', { timeout: 120_000 }, () => {
  let env: TestEnv;
  let host: Page;
  let alice: Page;
  let hostLink: string;
  /** While down, the page's new WebSockets reach no service (see the init script below). */
  const offline = (down: boolean) =>
    alice.evaluate((d) => {
      (globalThis as unknown as { testOffline: boolean }).testOffline = d;
    }, down);
  /** Drops both connections and keeps them down until the page says it is reconnecting. */
  const blipUntilReconnecting = async () => {
    await offline(true);
    await blip();
    await eventually(
      'reconnecting shown',
      () => alice.textContent('.status'),
      (t) => t === 'Reconnecting…',
      5000,
    );
  };
  const blip = () =>
    alice.evaluate(() => {
      for (const s of (globalThis as unknown as { testSockets: WebSocket[] }).testSockets) {
        if (s.readyState === WebSocket.OPEN) s.close(4000 + 999, 'network blip');
      }
    });

  before(async () => {
    env = await startTestEnv();
    host = await env.newPage();
    alice = await env.newPage();
    // Keeps a handle on the page's WebSockets so the test can cut them like a network failure,
    // and while `testOffline` is set, points new ones at a path no server answers (the page's
    // content security policy would refuse any other address).
    await alice.addInitScript(() => {
      const Native = WebSocket;
      const sockets: WebSocket[] = [];
      const page = globalThis as unknown as { testSockets: WebSocket[]; testOffline: boolean };
      page.testSockets = sockets;
      page.testOffline = false;
      globalThis.WebSocket = class extends Native {
        constructor(url: string | URL, protocols?: string | string[]) {
          super(page.testOffline ? String(url).replace(/\/v1\/\w+/, '/v1/offline') : url, protocols);
          sockets.push(this);
        }
      };
    });
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
    const decodingBoth = async () => {
      const [h, a] = await Promise.all([diagnostics(host), diagnostics(alice)]);
      return { h, a };
    };
    const ok = ({ h, a }: Awaited<ReturnType<typeof decodingBoth>>) =>
      h.remote.some((r) => r.source === 'camera' && r.framesDecoded > 10 && r.peerId === a.peerId) &&
      a.remote.some((r) => r.source === 'camera' && r.framesDecoded > 10);
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
    await eventually(
      'status cleared',
      () => alice.textContent('.status'),
      (t) => t === '',
    );
    await openPanel(host, 'chat');
    await openPanel(alice, 'chat');
    await alice.fill('#chat-input', 'back again');
    await alice.press('#chat-input', 'Enter');
    await eventually(
      'chat after the blip',
      () => host.textContent('#chat-log'),
      (t) => !!t?.includes('back again'),
    );
    await host.fill('#chat-input', 'welcome back');
    await host.press('#chat-input', 'Enter');
    await eventually(
      'chat to the resumed member',
      () => alice.textContent('#chat-log'),
      (t) => !!t?.includes('welcome back'),
    );
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
    await openPanel(host, 'people');
    await host.click('#toggle-lock');
    await eventually(
      'lock badge',
      () => host.isVisible('#lock-badge'),
      (v) => v,
    );
    const before = await diagnostics(alice);
    const locked = await alice.evaluate(
      async (id) => (await fetch(`/v1/meetings/${id}`)).json(),
      new URL(hostLink).pathname.split('/')[2],
    );
    assert.equal(locked.locked, true);
    await blip();
    const after = await eventually(
      'media again through the lock',
      async () => {
        const [h, a] = await Promise.all([diagnostics(host), diagnostics(alice)]);
        return { h, a };
      },
      ({ h, a }) =>
        a.peerId !== before.peerId &&
        h.remote.some((r) => r.source === 'camera' && r.framesDecoded > 10 && r.peerId === a.peerId) &&
        a.remote.some((r) => r.source === 'camera' && r.framesDecoded > 10),
      30_000,
    );
    assert.equal(after.a.ended, null);
    assert.equal(after.a.securityCode, after.h.securityCode);
    await eventually(
      'status cleared',
      () => alice.textContent('.status'),
      (t) => t === '',
    );
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
