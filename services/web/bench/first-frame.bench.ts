/**
 * Time to media: from opening a meeting link to the first decrypted remote video frame on
 * screen, over N fresh joins (each a new browser context) into a meeting where the host sends
 * camera and microphone. Loopback, embedded stack, headless Chromium with a fake camera.
 *
 *   node services/web/bench/first-frame.bench.ts        (BENCH_JOINS=10 by default)
 *
 * Reported: from navigation start (includes page load, getUserMedia for the preview, SRP,
 * MLS join through the DS, SFU transports, ICE/DTLS, first key frame), and from the Join click
 * (the part a person waits for after typing a name).
 */
import type { Page } from 'playwright-core';
import { createMeeting, diagnostics, joinMeeting, startTestEnv } from '../test/support/harness.ts';

const JOINS = Number(process.env['BENCH_JOINS'] ?? 10);

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const PHASES = ['srp-done', 'mls-joined', 'sfu-ready', 'first-consumer', 'first-remote-frame'];
const phaseTimes = new Map<string, number[]>(PHASES.map((p) => [p, []]));

async function firstFrame(
  page: Page,
): Promise<{ fromOpen: number; fromJoin: number; phases: Record<string, number> }> {
  await page
    .waitForFunction(
      () => performance.getEntriesByName('conclave:first-remote-frame').length > 0,
      undefined,
      {
        timeout: 20_000,
        polling: 20,
      },
    )
    .catch(async (error) => {
      const state = await page.evaluate(() => ({
        marks: performance.getEntriesByType('mark').map((m) => `${m.name}@${m.startTime.toFixed(0)}`),
        tiles: [...document.querySelectorAll('.tile')].map(
          (t) =>
            `${t.getAttribute('data-key')} ${t.className} ${(t.querySelector('video') as HTMLVideoElement).readyState}`,
        ),
        text: document.getElementById('app')?.textContent?.slice(0, 200),
      }));
      console.error(JSON.stringify(state), JSON.stringify(await diagnostics(page).catch(() => null)));
      throw error;
    });
  return page.evaluate(() => {
    const frame = performance.getEntriesByName('conclave:first-remote-frame')[0]!.startTime;
    const join = performance.getEntriesByName('conclave:join-clicked')[0]!.startTime;
    const phases: Record<string, number> = {};
    for (const m of performance.getEntriesByType('mark')) {
      if (m.name.startsWith('conclave:')) phases[m.name.slice(9)] = m.startTime - join;
    }
    return { fromOpen: frame, fromJoin: frame - join, phases };
  });
}

// Every join counts against the meeting's join rate limit (30 attempts a minute by default):
// lifted here, as this measures time to media, not the limiter.
const env = await startTestEnv({ env: { CONCLAVE_FAILED_JOINS_PER_SOURCE: '100000' } });
try {
  const host = await env.newPage();
  const { link, hostLink } = await createMeeting(host, env.origin);
  await joinMeeting(host, hostLink, 'Host');
  const fromOpen: number[] = [];
  const fromJoin: number[] = [];
  // One warm-up join (first worker/JIT costs on the server), not counted.
  for (let i = -1; i < JOINS; i++) {
    const page = await env.newPage();
    await page.goto(link, { waitUntil: 'commit' });
    await page.fill('#display-name', `Joiner ${i}`);
    await page.click('#join-button');
    const t = await firstFrame(page);
    if (i >= 0) {
      fromOpen.push(t.fromOpen);
      fromJoin.push(t.fromJoin);
      for (const p of PHASES) phaseTimes.get(p)!.push(t.phases[p] ?? Number.NaN);
      console.log(
        `join ${i + 1}: ${t.fromOpen.toFixed(0)} ms from opening the link, ${t.fromJoin.toFixed(0)} ms from Join`,
      );
    }
    await page.click('#leave');
    await page.context().close();
  }
  const row = (name: string, v: number[]) =>
    `${name.padEnd(28)} p50 ${percentile(v, 50).toFixed(0).padStart(5)} ms   p95 ${percentile(v, 95).toFixed(0).padStart(5)} ms   min ${Math.min(...v).toFixed(0)}   max ${Math.max(...v).toFixed(0)}`;
  console.log(`\nfirst decrypted remote frame, ${JOINS} joins on loopback`);
  console.log(row('from opening the link', fromOpen));
  console.log(row('from clicking Join', fromJoin));
  console.log('\nphases after the Join click (median ms):');
  for (const [p, v] of phaseTimes) console.log(`  ${p.padEnd(20)} ${percentile(v, 50).toFixed(0)}`);
} finally {
  await env.close();
}
