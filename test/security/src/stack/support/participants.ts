/**
 * People in a meeting on a deployed Conclave (the compose stack, the Helm chart), each a
 * Chromium context with a user agent and a chat line of their own, and everything identifying
 * that goes by while they meet: what the API hands each browser (join tokens and the IDs in
 * them, rejoin and knock secrets, sealed names) and the IDs the pages expose. These are the
 * needles the deployment's logs and stores are searched for once the meeting is over
 * (final-scan.ts).
 */
import assert from 'node:assert/strict';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import {
  type Diagnostics,
  diagnostics,
  eventually,
  openPanel,
  within,
} from '../../../../../services/web/test/support/harness.ts';
import type { Needle } from '../../support/scan.ts';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export const seconds = (since: number) => `${((Date.now() - since) / 1000).toFixed(1)} s`;

export interface Person {
  label: string;
  name: string;
  userAgent: string;
  chat: string;
  context?: BrowserContext;
  page?: Page;
  /** Whatever the API handed this browser: join tokens, rejoin and knock secrets, sealed names. */
  secrets: Needle[];
}

/** Someone with a name, a user agent and a chat line no other run uses; `deployment` tags both. */
export function person(label: string, name: string, animal: string, i: number, deployment = 'Stack'): Person {
  return {
    label,
    name,
    userAgent: `Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36 Conclave${deployment}Agent-${animal}/${3 + i}.${7 * i}`,
    chat: `${deployment.toLowerCase()} chat line ${['marigold', 'basalt', 'cerulean'][i] ?? 'none'} ${i * 6151 + 17}`,
    secrets: [],
  };
}

function claimsOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8'));
}

/** The IPv4 address as /proc/net/tcp writes it (little-endian hex). */
export function procNetHex(address: string): string {
  return address
    .split('.')
    .reverse()
    .map((b) => Number(b).toString(16).padStart(2, '0'))
    .join('')
    .toUpperCase();
}

/**
 * A page for `p` in a context of its own (its user agent, camera and microphone allowed) that
 * records into `p.secrets` what the API hands it.
 */
export async function open(browser: Browser, p: Person): Promise<Page> {
  const context = await browser.newContext({
    userAgent: p.userAgent,
    permissions: ['camera', 'microphone'],
    viewport: { width: 960, height: 640 },
  });
  // The machine may be busy: navigations and clicks get more than Playwright's 30 s.
  context.setDefaultTimeout(60_000);
  const page = await context.newPage();
  p.context = context;
  p.page = page;
  page.on('dialog', (d) => void d.accept());
  page.on('pageerror', (e) => console.error(`[${p.label} page error] ${e.message}`));
  page.on('console', (m) => {
    // A refused join or knock is logged by the browser as a failed request (423, 403): expected.
    if (/^Failed to load resource: .* status of 4\d\d/.test(m.text())) return;
    if (m.type() === 'error' || m.type() === 'warning')
      console.error(`[${p.label} page ${m.type()}] ${m.text()}`);
  });
  page.on('request', (request) => {
    if (!request.url().endsWith('/knock/verify')) return;
    const sealed = (request.postDataJSON() as { sealedName?: string } | null)?.sealedName;
    if (sealed) p.secrets.push({ label: `sealed name (${p.label})`, value: sealed });
  });
  page.on('response', async (response) => {
    const path = new URL(response.url()).pathname;
    if (response.status() !== 200 || !/\/(join\/verify|knock\/verify|rejoin\/renew)$/.test(path)) return;
    const body = (await response.json().catch(() => undefined)) as Record<string, string> | undefined;
    if (!body) return;
    if (body['token']) {
      const claims = claimsOf(body['token']);
      p.secrets.push(
        { label: `join token signature (${p.label})`, value: body['token'].split('.')[2]! },
        { label: `session ID (${p.label})`, value: String(claims['sid']) },
        { label: 'SFU room ID', value: String(claims['room']) },
        { label: 'MLS group ID', value: String(claims['grp']) },
      );
    }
    for (const key of ['rejoin', 'knockId', 'knockSecret'])
      if (body[key]) p.secrets.push({ label: `${key} (${p.label})`, value: body[key] });
  });
  return page;
}

/** Remote cameras' frames decoded on one page, keyed by the remote's peer ID. */
export function cameraFrames(d: Diagnostics): Map<string, number> {
  return new Map(d.remote.filter((r) => r.source === 'camera').map((r) => [r.peerId, r.framesDecoded]));
}

/**
 * Every remote camera's framesDecoded rises on each page over two seconds, no frame ever fails
 * authentication, and meanwhile no frame is dropped except a duplicate (a late retransmission
 * on a busy machine reassembles a frame already delivered; the replay window drops it). Frames
 * of an epoch whose commit a page has not processed yet may be dropped around a change of members.
 */
export async function decodingEachOther(
  pages: Page[],
  what: string,
  timeoutMs = 90_000,
): Promise<Diagnostics[]> {
  const others = pages.length - 1;
  const first = await eventually(
    what,
    () => Promise.all(pages.map(diagnostics)),
    (d) =>
      d.every(
        (x) =>
          x.size === pages.length &&
          x.epoch === d[0]!.epoch &&
          x.securityCode === d[0]!.securityCode &&
          x.remote.filter((r) => r.source === 'camera' && r.framesDecoded > 10).length === others,
      ),
    timeoutMs,
  );
  // Every camera keeps decoding on every page. Polled: a page whose decoder waits for a key
  // frame after a change of members resumes when it arrives; how long that took is logged.
  const framesOf = (d: Diagnostics[], i: number, peerId: string) =>
    d[i]!.remote.find((r) => r.peerId === peerId && r.source === 'camera')?.framesDecoded ?? 0;
  const rising = (d: Diagnostics[]) =>
    d.every((_, i) =>
      first[i]!.remote.filter((r) => r.source === 'camera').every(
        (r) => framesOf(d, i, r.peerId) > r.framesDecoded,
      ),
    );
  const read = () => within(Promise.all(pages.map(diagnostics)), 30_000, `${what}: diagnostics`);
  const waitFrom = Date.now();
  await sleep(2000);
  let second = await read();
  while (!rising(second) && Date.now() - waitFrom < 12_000) {
    await sleep(500);
    second = await read();
  }
  console.log(`${what}: every camera rising on every page after ${seconds(waitFrom)}`);
  for (const [i, d] of second.entries()) {
    for (const cam of first[i]!.remote.filter((r) => r.source === 'camera')) {
      const now = framesOf(second, i, cam.peerId);
      assert.ok(
        now > cam.framesDecoded,
        `${what}: page ${i} keeps decoding ${cam.peerId} (${cam.framesDecoded} → ${now})`,
      );
    }
    const failures = d.crypto.decryptFailures;
    if (Object.keys(failures).length)
      console.log(`${what}: page ${i} dropped frames before: ${JSON.stringify(failures)}`);
    assert.equal(failures['SFRAME_AUTH_FAILED'] ?? 0, 0, `${what}: page ${i} frames failing authentication`);
    const { SFRAME_REPLAY: _replays, ...dropped } = failures;
    const { SFRAME_REPLAY: _replaysBefore, ...droppedBefore } = first[i]!.crypto.decryptFailures;
    assert.deepEqual(
      dropped,
      droppedBefore,
      `${what}: page ${i} dropped frames while the meeting was steady; per consumer now: ${perConsumer(d)}`,
    );
    assert.ok(d.crypto.decrypted > first[i]!.crypto.decrypted, `${what}: page ${i} keeps decrypting`);
  }
  return second;
}

/** What the frame worker made of each consumer's frames on one page (failure messages). */
function perConsumer(d: Diagnostics): string {
  return JSON.stringify(d.remote.map((r) => ({ peer: r.peerId, source: r.source, frames: r.frames })));
}

/** Each page's frames decoded per remote camera, for progress lines ("57/61 60/58 …"). */
export function framesLine(d: Diagnostics[]): string {
  return d
    .map((x) =>
      x.remote
        .filter((r) => r.source === 'camera')
        .map((r) => r.framesDecoded)
        .join('/'),
    )
    .join(' ');
}

/** The IDs a page exposes: SFU peer IDs, the DS's member IDs. */
export function diagnosticsNeedles(d: Diagnostics): Needle[] {
  const extra = d as Diagnostics & { dsMembers?: { member: string }[] };
  const needles: Needle[] = [{ label: 'SFU peer ID', value: d.peerId }];
  for (const r of d.roster) if (r.peerId) needles.push({ label: 'SFU peer ID (roster)', value: r.peerId });
  if (extra.member) needles.push({ label: 'DS member ID', value: extra.member });
  for (const m of extra.dsMembers ?? [])
    if (m.member) needles.push({ label: 'DS member ID', value: m.member });
  return needles;
}

/** A person's name, user agent (and its marker), chat line unless left out, and secrets. */
export function personNeedles(p: Person, options: { chat: boolean }): Needle[] {
  return [
    { label: `display name (${p.label})`, value: p.name },
    { label: `user agent (${p.label})`, value: p.userAgent },
    { label: `user agent marker (${p.label})`, value: p.userAgent.split(' ').pop()! },
    ...p.secrets,
    ...(options.chat ? [{ label: `chat text (${p.label})`, value: p.chat }] : []),
  ];
}

/** The meeting's own identifiers from the links createMeeting returns. */
export function linkNeedles(created: { link: string; hostLink: string }): {
  meetingId: string;
  needles: Needle[];
} {
  const link = new URL(created.link);
  const meetingId = link.pathname.split('/').pop()!;
  const password = link.hash.slice(1);
  const hostSecret = new URL(created.hostLink).hash.slice(1).split('.')[1] ?? '';
  assert.match(hostSecret, /^[A-Za-z0-9_-]{22}$/, 'the host link carries the host secret');
  return {
    meetingId,
    needles: [
      { label: 'meeting ID', value: meetingId },
      { label: 'meeting password', value: password },
      { label: 'host secret', value: hostSecret },
    ],
  };
}

/** The host ends the meeting unless it has ended: a run that failed half-way must not leave it running. */
export async function endIfRunning(host: Page | undefined): Promise<void> {
  if (!host || host.isClosed()) return;
  await openPanel(host, 'people').catch(() => {});
  await host.click('#end-for-all', { timeout: 10_000 }).catch(() => {});
  await sleep(1000);
}
