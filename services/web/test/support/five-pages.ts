/**
 * The meeting the grid's browser tests share: Ada (host) and four others, each a 1280 × 720
 * Chromium page showing four tiles a page, cameras on and microphones off (so the active
 * speaker does not move people).
 */
import type { Page } from 'playwright-core';
import { createMeeting, type Diagnostics, joinMeeting, startTestEnv, type TestEnv } from './harness.ts';

export const OTHERS = ['Bo', 'Cy', 'Di', 'Ed'];

export const cameras = (d: Diagnostics) => d.remote.filter((r) => r.source === 'camera');

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
