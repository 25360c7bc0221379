/**
 * What the grid's browser tests share: reading which tiles a page shows and what the SFU
 * forwards, and the five-page meeting: Ada (host) and four others, each a 1280 × 720 Chromium
 * page showing four tiles a page, cameras on and microphones off (so the active speaker does
 * not move people).
 */
import type { Page } from 'playwright-core';
import { createMeeting, type Diagnostics, joinMeeting, startTestEnv, type TestEnv } from './harness.ts';

export const OTHERS = ['Bo', 'Cy', 'Di', 'Ed'];

export const cameras = (d: Diagnostics) => d.remote.filter((r) => r.source === 'camera');

/** The SFU's own count of video consumers, all and forwarded now (its Prometheus metrics). */
export async function sfuVideoConsumers(env: TestEnv): Promise<{ all: number; forwarding: number }> {
  const url = new URL(env.stack.sfuUrl.replace(/^ws/, 'http'));
  const text = await (await fetch(`${url.origin}/metrics`)).text();
  const read = (name: string) =>
    Number(new RegExp(`^${name}\\{kind="video"\\} (\\d+)$`, 'm').exec(text)?.[1]);
  return { all: read('sfu_consumers'), forwarding: read('sfu_consumers_forwarding') };
}

/** The peer IDs of the people tiles a page shows, in order (its own tile and screens aside). */
export function tilePeers(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    [...document.querySelectorAll<HTMLElement>('.tile[data-key^="peer:"]')].map((t) =>
      t.dataset['key']!.slice('peer:'.length),
    ),
  );
}

export interface FivePages {
  env: TestEnv;
  ada: Page;
  /** Bo, Cy, Di and Ed, in that order. */
  others: Page[];
}

export async function startFivePages(): Promise<FivePages> {
  const env = await startTestEnv();
  const page = async () => {
    const p = await env.newPage({ viewport: { width: 1280, height: 720 } });
    await p.addInitScript(() => localStorage.setItem('conclave:tiles-per-page', '4'));
    return p;
  };
  const ada = await page();
  const { link, hostLink } = await createMeeting(ada, env.origin);
  await joinMeeting(ada, hostLink, 'Ada', { mic: false });
  const others: Page[] = [];
  for (const name of OTHERS) {
    const p = await page();
    others.push(p);
    await joinMeeting(p, link, name, { mic: false });
  }
  return { env, ada, others };
}
