/**
 * MLS batched joins in headless Chromium next to Node, measured in the same run: the workload of
 * mls-workload.ts (the one mls.bench.ts runs) is run first in this Node process, then bundled
 * with esbuild and run in Chromium through playwright-core. For each (N, k): the committer
 * creating the batched Add commit, an existing member processing it, a joiner joining from the
 * Welcome (medians), the Welcome size, and the ratio Chromium / Node.
 *
 *   node packages/e2ee/bench/mls-browser.bench.ts                 N = 100, k = 10; N = 500, k = 50
 *   BENCH_QUICK=1 node packages/e2ee/bench/mls-browser.bench.ts   N = 100, k = 10 only
 *
 * Node and Chromium run one after the other, never at the same time. Chromium comes from
 * CHROMIUM_PATH (default /usr/bin/chromium). The whole run is bounded: it gives up after
 * BENCH_TIMEOUT_S seconds (default 280). BENCH_REPEATS sets the samples per row (default 7;
 * medians are printed). The load average is printed too: on a shared machine it explains noise.
 */
import { loadavg } from 'node:os';
import { bundle, openPage, pageHtml } from '../test/browser/harness.ts';
import type { BrowserBurstResult } from './mls-browser-page.ts';
import { type BurstStep, type Row, runBursts } from './mls-workload.ts';

const QUICK = process.env['BENCH_QUICK'] === '1';
const PLAN: BurstStep[] = QUICK
  ? [{ n: 100, batches: [10] }]
  : [
      { n: 100, batches: [10] },
      { n: 500, batches: [50] },
    ];
/** The MLS target: each step of the 50-joiner burst into a 500-member group within 300 ms. */
const TARGET = { n: 500, k: 50, ms: 300 };
const REPEATS = Number(process.env['BENCH_REPEATS'] ?? 7);
const TIMEOUT_MS = Number(process.env['BENCH_TIMEOUT_S'] ?? 280) * 1000;

const started = performance.now();
const watchdog = setTimeout(() => {
  console.error(`mls-browser.bench: gave up after ${TIMEOUT_MS / 1000} s`);
  process.exit(1);
}, TIMEOUT_MS);

console.log(
  `MLS batched joins, Node ${process.versions.node} vs headless Chromium, same workload${QUICK ? ' (quick)' : ''}`,
);

console.log('\nNode:');
const load = () =>
  loadavg()
    .map((x) => x.toFixed(1))
    .join(' ');
console.log(`  load average ${load()}`);
const node = await runBursts(PLAN, { repeats: REPEATS, log: (line) => console.log(`  ${line}`) });

console.log('\nChromium:');
const pageScript = await bundle(new URL('./mls-browser-page.ts', import.meta.url), 'esm');
const session = await openPage(
  { '/': ['text/html', pageHtml()], '/page.js': ['text/javascript', pageScript] },
  'mlsBench',
);
let browser: BrowserBurstResult;
try {
  session.page.on('console', (m) => console.log(`  ${m.text()}`));
  browser = await session.page.evaluate(
    (input) =>
      (
        globalThis as unknown as { mlsBench(p: BurstStep[], r: number): Promise<BrowserBurstResult> }
      ).mlsBench(input.plan, input.repeats),
    { plan: PLAN, repeats: REPEATS },
  );
} finally {
  await session.close();
}
console.log(`  ${browser.userAgent}`);
console.log(`  load average ${load()}`);
console.log(`\nEd25519 signatures: Node ${node.signatures}, Chromium ${browser.signatures}`);

const f = (x: number, w = 8) => x.toFixed(1).padStart(w);
const STEPS: [keyof Pick<Row, 'commit' | 'process' | 'join'>, string][] = [
  ['commit', 'committer creates the Add commit'],
  ['process', 'member processes the commit   '],
  ['join', 'joiner joins from the Welcome  '],
];
console.log('\n   N    k  step                              Node ms  Chromium ms  Chromium/Node');
for (const n of node.rows) {
  const b = browser.rows.find((r) => r.n === n.n && r.k === n.k)!;
  const target = n.n === TARGET.n && n.k === TARGET.k;
  for (const [key, label] of STEPS) {
    const mark = target
      ? `   ${n[key] <= TARGET.ms ? 'Node ok' : 'Node OVER'} / ${b[key] <= TARGET.ms ? 'Chromium ok' : 'Chromium OVER'} (≤ ${TARGET.ms} ms)`
      : '';
    console.log(
      `${String(n.n).padStart(4)} ${String(n.k).padStart(4)}  ${label}  ${f(n[key])}  ${f(b[key], 11)}  ${(b[key] / n[key]).toFixed(2).padStart(13)}${mark}`,
    );
  }
  console.log(
    `${String(n.n).padStart(4)} ${String(n.k).padStart(4)}  Welcome KB                        ${f(n.welcomeKB)}  ${f(b.welcomeKB, 11)}` +
      `   (medians of ${n.samples} / ${b.samples} samples)`,
  );
}
console.log(`\ntotal ${((performance.now() - started) / 1000).toFixed(0)} s`);
clearTimeout(watchdog);
