/**
 * A compromised SFU lies about whose media is whose: it tells one participant that Alice's
 * producers are Bob's and Bob's are Alice's (signaling rewritten between that browser and the
 * real SFU, as the SFU process itself could). Each receiver is bound to the MLS leaf and source
 * the members announced in MLS, so the browser must decode none of those frames, count them as
 * from the wrong sender and say so; an untampered participant keeps seeing both.
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
  startTestEnv,
  type TestEnv,
} from './support/harness.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Swaps every occurrence of `a` and `b` in a signaling frame (IDs are opaque random strings). */
function swap(text: string, a: string, b: string): string {
  return text
    .split(a)
    .map((part) => part.split(b).join(a))
    .join(b);
}

const cameras = (d: Diagnostics) => d.remote.filter((r) => r.source === 'camera');

/** The SFU peer ID a page got (honest signaling). */
async function peerOf(page: Page, who: string): Promise<string> {
  const d = await eventually(
    `${who}’s SFU peer`,
    () => diagnostics(page),
    (x) => !!x.peerId,
  );
  return d.peerId;
}

describe('a compromised SFU cannot show one member’s media under another’s name', {
  timeout: 240_000,
}, () => {
  let env: TestEnv;
  let alice: Page;
  let bob: Page;
  let carol: Page;
  let alicePeer: string;
  let bobPeer: string;

  before(async () => {
    env = await startTestEnv();
    alice = await env.newPage();
    bob = await env.newPage();
    carol = await env.newPage();
    const { link, hostLink } = await createMeeting(alice, env.origin);
    await joinMeeting(alice, hostLink, 'Alice');
    await joinMeeting(bob, link, 'Bob');
    alicePeer = await peerOf(alice, 'Alice');
    bobPeer = await peerOf(bob, 'Bob');
    // Carol's SFU relabels: what comes from Alice is announced as Bob's, and the other way round.
    await carol.routeWebSocket(/\/v1\/sfu/, (ws) => {
      const server = ws.connectToServer();
      ws.onMessage((m) => server.send(m));
      server.onMessage((m) => ws.send(typeof m === 'string' ? swap(m, alicePeer, bobPeer) : m));
    });
    await joinMeeting(carol, link, 'Carol');
  });

  after(async () => {
    await env?.close();
  });

  it('decodes none of the relabelled frames, counts them and warns', async () => {
    // The untampered view: Bob decodes Alice's camera, so frames are flowing.
    await eventually(
      'Bob decoding Alice’s camera',
      () => diagnostics(bob),
      (d) => cameras(d).some((c) => c.peerId === alicePeer && c.framesDecoded > 10),
      30_000,
    );
    const d = await eventually(
      'Carol receiving both (relabelled) cameras and refusing their frames',
      () => diagnostics(carol),
      (x) =>
        cameras(x).length === 2 &&
        cameras(x).every((c) => c.packetsReceived > 50) &&
        (x.crypto.decryptFailures['SFRAME_WRONG_SENDER'] ?? 0) > 20,
      30_000,
    );
    assert.deepEqual(
      cameras(d)
        .map((c) => c.peerId)
        .sort(),
      [alicePeer, bobPeer].sort(),
    );
    await sleep(3000);
    const later = await diagnostics(carol);
    for (const cam of cameras(later)) {
      assert.equal(
        cam.framesDecoded,
        0,
        `frames decoded in the tile of ${cam.peerId === bobPeer ? 'Bob' : 'Alice'}`,
      );
    }
    assert.equal(later.crypto.decrypted, 0, 'no frame of the relabelled media decrypted');
    assert.match(
      (await carol.textContent('#app')) ?? '',
      /did not come from the person it was labelled with/,
      'a visible warning',
    );
  });

  it('the honest participants still see and hear each other', async () => {
    for (const [page, other] of [
      [alice, bobPeer],
      [bob, alicePeer],
    ] as const) {
      await eventually(
        'decoding the other’s camera',
        () => diagnostics(page),
        (d) => cameras(d).some((c) => c.peerId === other && c.framesDecoded > 10),
        30_000,
      );
    }
  });
});
