/**
 * Restarts during a meeting on the shipped compose stack (after compose.stack.ts, on the same
 * running stack): three browsers meet through the web container, then `docker compose restart`
 * takes down the SFU, the MLS delivery service, the API and Redis, one at a time. After each,
 * with nobody touching the pages, the meeting must come back by itself: every page decodes
 * every other camera again, all three share one epoch and security code, and a chat line from
 * each reaches the others (chat goes through the delivery service, media through the SFU).
 * Prints how long the restart took and how long until the meeting was whole again.
 *
 * Redis keeps running meetings' live state in memory only (nothing of a meeting may outlive it
 * on disk), so its restart loses the delivery service's groups: the delivery service closes
 * every member 4404, and the pages join again, the first one back creating a new group. So after
 * Redis, every page must also be a new member of the group.
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
} from '../../../../services/web/test/support/harness.ts';
import { output, type StackEnv, stackEnv } from './support/stack-env.ts';
import { type LaunchedBrowser, launchBrowser } from './support/trusted-browser.ts';

/** Longest a restart may take until the meeting is whole again. */
const RECOVERY_DEADLINE_MS = 90_000;
const seconds = (since: number) => `${((Date.now() - since) / 1000).toFixed(1)} s`;

/** Frames decoded per remote camera, keyed by the remote's peer ID. */
function cameraFrames(d: Diagnostics): Map<string, number> {
  return new Map(d.remote.filter((r) => r.source === 'camera').map((r) => [r.peerId, r.framesDecoded]));
}

/** Every page sees two other cameras decoding past `baseline` and one epoch shared by all. */
function whole(now: Diagnostics[], baseline: Diagnostics[] | undefined): boolean {
  return now.every((d, i) => {
    const cameras = cameraFrames(d);
    const before = baseline ? cameraFrames(baseline[i]!) : new Map<string, number>();
    return (
      d.size === 3 &&
      d.epoch === now[0]!.epoch &&
      d.securityCode === now[0]!.securityCode &&
      cameras.size === 2 &&
      [...cameras].every(([peer, frames]) => frames > (before.get(peer) ?? 0) + 10)
    );
  });
}

describe('the compose stack: a meeting recovers from restarts of each service', { timeout: 420_000 }, () => {
  let env: StackEnv;
  let launched: LaunchedBrowser;
  const pages: Page[] = [];

  before(async () => {
    env = stackEnv();
    launched = await launchBrowser(env.caFile);
  });

  after(async () => {
    await launched?.close();
  });

  async function open(): Promise<Page> {
    const context = await launched.browser.newContext({
      permissions: ['camera', 'microphone'],
      viewport: { width: 640, height: 480 },
    });
    context.setDefaultTimeout(60_000);
    const page = await context.newPage();
    page.on('dialog', (d) => void d.accept());
    pages.push(page);
    return page;
  }

  const all = () => Promise.all(pages.map(diagnostics));

  /** Each page sends `line`-tagged chat; every page must show all three. */
  async function chatGoesAround(tag: string): Promise<void> {
    const lines = pages.map((_, i) => `after ${tag}: line from page ${i} ${Date.now() % 100_000}`);
    for (const [i, page] of pages.entries()) {
      await page.fill('#chat-input', lines[i]!);
      await page.press('#chat-input', 'Enter');
    }
    for (const [i, page] of pages.entries())
      await eventually(
        `every chat line after ${tag} at page ${i}`,
        () => page.textContent('#chat-log'),
        (text) => lines.every((line) => text?.includes(line)),
        RECOVERY_DEADLINE_MS,
      );
  }

  it('after restarting sfu, mls-ds, api and redis in turn, the meeting is whole again', async () => {
    const host = await open();
    const created = await createMeeting(host, env.url);
    await joinMeeting(host, created.hostLink, 'Host');
    for (const name of ['Guest A', 'Guest B']) await joinMeeting(await open(), created.link, name);
    await eventually('three members decoding each other', all, (d) => whole(d, undefined), 90_000);
    for (const page of pages) await openPanel(page, 'chat');
    await chatGoesAround('joining');

    for (const service of ['sfu', 'mls-ds', 'api', 'redis']) {
      const members = (await all()).map((d) => d.member);
      const started = Date.now();
      await output([...env.compose, 'restart', service]);
      const restarted = seconds(started);
      // Counted from when the container is back: frames decoded before it do not count.
      const baseline = await all();
      // Only Redis loses the group: then whole means whole in the new one.
      const rejoined = (d: Diagnostics[]) =>
        service !== 'redis' || d.every((x, i) => x.member !== members[i]);
      const recovered = await eventually(
        `the meeting whole again after restarting ${service}`,
        all,
        (d) => rejoined(d) && whole(d, baseline),
        RECOVERY_DEADLINE_MS,
      );
      const media = seconds(started);
      await chatGoesAround(`restarting ${service}`);
      const ended = recovered.find((d) => d.ended);
      assert.equal(ended, undefined, `no page ended its meeting after restarting ${service}`);
      console.log(
        `restart ${service}: container back in ${restarted}; every camera decoding on every page ` +
          `after ${media}; chat around after ${seconds(started)} (epoch ${recovered[0]!.epoch})`,
      );
    }
  });
});
