/**
 * Time to media: from opening a meeting link to the first decrypted remote video frame on
 * screen, for Chromium and Firefox ESR joiners in the same run: N fresh joins each (each a new
 * browser context), taking turns, into a meeting where a Chromium host (in a browser of its own)
 * sends camera and microphone. Loopback, embedded stack, headless browsers with fake cameras.
 *
 *   npm run bench -w @conclave/web        (BENCH_JOINS=5 joins per browser by default)
 *
 * Reported: from navigation start (includes page load, getUserMedia for the preview, SRP,
 * MLS join through the DS, SFU transports, ICE/DTLS, first key frame), and from the Join click
 * (the part a person waits for after typing a name). Both come from the page's own performance
 * marks, so the driver's speed (CDP for Chromium, WebDriver BiDi for Firefox) only enters the
 * first through how fast it types the name. Without Firefox only the Chromium rows are printed.
 */
import { chromium } from 'playwright-core';
import { type FirefoxBrowser, firefoxMissing, launchFirefox } from '../test/support/firefox.ts';
import {
  CHROMIUM_ARGS,
  CHROMIUM_PATH,
  createMeeting,
  diagnostics,
  joinMeeting,
  type MeetingPage,
  startTestEnv,
} from '../test/support/harness.ts';

const JOINS = Number(process.env['BENCH_JOINS'] ?? 5);
const PHASES = ['srp-done', 'mls-joined', 'sfu-ready', 'first-consumer', 'first-remote-frame'];

/** One joining visitor: a page in a fresh browser context. */
interface Joiner {
  page: MeetingPage;
  open(link: string): Promise<unknown>;
  close(): Promise<void>;
}

interface Timing {
  fromOpen: number;
  fromJoin: number;
  phases: Record<string, number>;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const hasFirstFrame = () => performance.getEntriesByName('conclave:first-remote-frame').length > 0;

/** Waits for the page's first-remote-frame mark and reads its join marks. */
async function firstFrame(page: MeetingPage): Promise<Timing> {
  const deadline = Date.now() + 20_000;
  while (!(await page.evaluate(hasFirstFrame))) {
    if (Date.now() > deadline) {
      const state = await page.evaluate(() => ({
        marks: performance.getEntriesByType('mark').map((m) => `${m.name}@${m.startTime.toFixed(0)}`),
        text: document.getElementById('app')?.textContent?.slice(0, 200),
      }));
      console.error(JSON.stringify(state), JSON.stringify(await diagnostics(page).catch(() => null)));
      throw new Error('no decrypted remote frame within 20 s');
    }
    await new Promise((r) => setTimeout(r, 20));
  }
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

async function joinOnce(joiner: Joiner, link: string, name: string): Promise<Timing> {
  try {
    await joiner.open(link);
    await joiner.page.fill('#display-name', name);
    await joiner.page.click('#join-button');
    const timing = await firstFrame(joiner.page);
    await joiner.page.click('#leave');
    return timing;
  } finally {
    await joiner.close();
  }
}

const row = (name: string, v: number[]) =>
  `${name.padEnd(36)} p50 ${percentile(v, 50).toFixed(0).padStart(5)} ms   p95 ${percentile(v, 95).toFixed(0).padStart(5)} ms   min ${Math.min(...v).toFixed(0)}   max ${Math.max(...v).toFixed(0)}`;

// Every join counts against the meeting's join rate limit (30 attempts a minute by default):
// lifted here, as this measures time to media, not the limiter.
const env = await startTestEnv({ env: { CONCLAVE_FAILED_JOINS_PER_SOURCE: '100000' } });
const noFirefox = firefoxMissing();
let firefox: FirefoxBrowser | undefined;
const closers: (() => Promise<void>)[] = [];
try {
  if (noFirefox) console.log(`Firefox rows left out: ${noFirefox}`);
  else firefox = await launchFirefox();
  const browsers: [string, () => Promise<Joiner>][] = [
    [
      'Chromium',
      async () => {
        const page = await env.newPage();
        return {
          page,
          open: (link) => page.goto(link, { waitUntil: 'commit' }),
          close: () => page.context().close(),
        };
      },
    ],
  ];
  const fx = firefox;
  if (fx) {
    browsers.push([
      'Firefox',
      async () => {
        const page = await fx.newPage();
        return { page, open: (link) => page.goto(link), close: () => page.close() };
      },
    ]);
  }
  // The host in a Chromium of its own, so that no joiner shares a browser with the page encoding
  // the camera it waits for.
  const hostBrowser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  closers.push(() => hostBrowser.close());
  const hostContext = await hostBrowser.newContext({ permissions: ['camera', 'microphone'] });
  const host = await hostContext.newPage();
  const { link, hostLink } = await createMeeting(host, env.origin);
  await joinMeeting(host, hostLink, 'Host');
  const results = new Map(browsers.map(([name]) => [name, [] as Timing[]]));
  // One warm-up join per browser (first worker/JIT costs on the server and in the browser), not
  // counted; then the browsers take turns, so both see the same load on the machine.
  for (let i = -1; i < JOINS; i++) {
    for (const [name, newJoiner] of browsers) {
      const t = await joinOnce(await newJoiner(), link, `${name} ${i}`);
      if (i < 0) continue;
      results.get(name)!.push(t);
      console.log(
        `${name} join ${i + 1}: ${t.fromOpen.toFixed(0)} ms from opening the link, ${t.fromJoin.toFixed(0)} ms from Join`,
      );
    }
  }
  console.log(`\nfirst decrypted remote frame, ${JOINS} joins per browser on loopback (Chromium host)`);
  for (const [name, ts] of results) {
    console.log(
      row(
        `${name}: from opening the link`,
        ts.map((t) => t.fromOpen),
      ),
    );
    console.log(
      row(
        `${name}: from clicking Join`,
        ts.map((t) => t.fromJoin),
      ),
    );
  }
  console.log('\nphases after the Join click (median ms):');
  console.log(`  ${''.padEnd(20)} ${[...results.keys()].map((n) => n.padStart(9)).join('')}`);
  for (const p of PHASES) {
    const cells = [...results.values()].map((ts) =>
      percentile(
        ts.map((t) => t.phases[p] ?? Number.NaN),
        50,
      )
        .toFixed(0)
        .padStart(9),
    );
    console.log(`  ${p.padEnd(20)} ${cells.join('')}`);
  }
} finally {
  for (const close of closers) await close().catch(() => {});
  await firefox?.close();
  await env.close();
}
