/**
 * The page's thread while a member joins a large meeting and processes its commits: the same
 * member in headless Chromium, its group in the page's thread (`InPageGroup`, the baseline) and
 * in the MLS worker (`WorkerGroup`, as the client runs it), one after the other in the same run.
 * A committer in this Node process builds a meeting of N (one batched Add), adds the page's
 * member, then commits an Add and a Remove in turn; the page joins from the Welcome and
 * processes each commit. Reported per step: wall time, and the page's long tasks (over 50 ms,
 * from the Long Tasks API) — the target is none at N = 1,000 with the worker.
 *
 *   node bench/mls-worker.bench.ts      (BENCH_SIZES=200,1000 BENCH_ROUNDS=3 by default)
 *
 * Bounded: it gives up after BENCH_TIMEOUT_S seconds (default 600). Loopback only.
 */
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { MeetingKeys } from '@conclave/e2ee';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';
import { buildWebClient, WEB_DIST } from '../build.ts';
import { type GroupEpoch, InPageGroup } from '../src/app/mls-group.ts';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../test/support/harness.ts';
import type { StepResult } from './mls-worker-page.ts';

const SIZES = (process.env['BENCH_SIZES'] ?? '200,1000').split(',').map(Number);
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 3);
const TIMEOUT_MS = Number(process.env['BENCH_TIMEOUT_S'] ?? 600) * 1000;
const WHERE = ['page', 'worker'] as const;

const watchdog = setTimeout(() => {
  console.error(`mls-worker.bench: gave up after ${TIMEOUT_MS / 1000} s`);
  process.exit(1);
}, TIMEOUT_MS);

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
const keys: MeetingKeys = {
  mlsPsk: crypto.getRandomValues(new Uint8Array(32)),
  pskId: 'conclave/v1/psk/BENCHMARK0',
  credKey: crypto.getRandomValues(new Uint8Array(32)),
};
const pageKeys = { mlsPsk: b64(keys.mlsPsk), pskId: keys.pskId, credKey: b64(keys.credKey) };

await buildWebClient();
const pageScript = (
  await build({
    entryPoints: [fileURLToPath(new URL('./mls-worker-page.ts', import.meta.url))],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'chrome120',
    write: false,
    external: ['crypto'],
    logLevel: 'silent',
  })
).outputFiles[0]!.text;
const files: Record<string, [string, string]> = {
  '/': ['text/html', '<!doctype html><meta charset="utf-8"><script type="module" src="/page.js"></script>'],
  '/page.js': ['text/javascript', pageScript],
  '/assets/mls-worker.js': ['text/javascript', await readFile(`${WEB_DIST}/assets/mls-worker.js`, 'utf8')],
};
const server = createServer((req, res) => {
  const file = files[req.url ?? ''];
  if (!file) return void res.writeHead(404).end();
  res.writeHead(200, { 'content-type': file[0], 'cache-control': 'no-store' }).end(file[1]);
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
const page = await browser.newPage();
await page.goto(origin);
await page.waitForFunction(() => (globalThis as { mlsBenchReady?: boolean }).mlsBenchReady === true);

/** The page's bench API (mls-worker-page.ts), called through Playwright. */
interface PageApi {
  start(where: string, k: typeof pageKeys): void;
  keyPackage(): Promise<string>;
  step(op: 'join' | 'receive', bytes: string): Promise<StepResult>;
}
// Each callback runs in the page, where the API is a global (nothing of this module is there).
type WithApi = { mlsBench: PageApi };
const start = (where: string) =>
  page.evaluate(([w, k]) => (globalThis as unknown as WithApi).mlsBench.start(w, k), [
    where,
    pageKeys,
  ] as const);
const pageKeyPackage = () => page.evaluate(() => (globalThis as unknown as WithApi).mlsBench.keyPackage());
const step = (op: 'join' | 'receive', bytes: Uint8Array) =>
  page.evaluate(([o, b]) => (globalThis as unknown as WithApi).mlsBench.step(o, b), [
    op,
    b64(bytes),
  ] as const);

interface Row {
  n: number;
  where: (typeof WHERE)[number];
  join: StepResult;
  add: StepResult[];
  remove: StepResult[];
}

/** A meeting of `n` with the page's member in it: the committer and the page's join. */
async function meeting(n: number, where: (typeof WHERE)[number]): Promise<Row> {
  await start(where);
  const committer = new InPageGroup(keys);
  let epoch: GroupEpoch = await committer.create();
  const others = await Promise.all(Array.from({ length: n - 2 }, () => new InPageGroup(keys).keyPackage()));
  const own = Buffer.from(await pageKeyPackage(), 'base64');
  const added = await committer.commit({ add: [...others, own] });
  epoch = await committer.accept(added.ref);
  const pageLeaf = added.added.at(-1)!;
  const row: Row = {
    n,
    where,
    join: await step('join', added.welcome!),
    add: [],
    remove: [],
  };
  for (let round = 0; round < ROUNDS; round++) {
    const add = await committer.commit({ add: [await new InPageGroup(keys).keyPackage()] });
    epoch = await committer.accept(add.ref);
    row.add.push(await step('receive', add.commit));
    const leaves = epoch.members.filter((leaf) => leaf !== pageLeaf && leaf !== epoch.ownLeaf);
    const remove = await committer.commit({ remove: [leaves[Math.floor(Math.random() * leaves.length)]!] });
    epoch = await committer.accept(remove.ref);
    row.remove.push(await step('receive', remove.commit));
  }
  return row;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const worst = (xs: StepResult[]) => Math.max(...xs.map((x) => x.longestTask));
const fmt = (s: StepResult) =>
  `${s.ms.toFixed(0).padStart(6)} ms  ${String(s.longTasks).padStart(2)} × ≤${s.longestTask.toFixed(0).padStart(4)}`;
const fmtAll = (xs: StepResult[]) =>
  `${median(xs.map((x) => x.ms))
    .toFixed(0)
    .padStart(
      6,
    )} ms  ${String(xs.reduce((a, x) => a + x.longTasks, 0)).padStart(2)} × ≤${worst(xs).toFixed(0).padStart(4)}`;

console.log(
  `The page's thread while a member joins and processes commits, headless Chromium, load ${loadavg()[0]!.toFixed(2)}`,
);
console.log(
  'long tasks: how many over 50 ms, and the longest (ms); Add/Remove: median wall time over the rounds\n',
);
console.log(
  '     N  group in   join: wall, long tasks        Add: wall, long tasks         Remove: wall, long tasks',
);
const rows: Row[] = [];
for (const n of SIZES) {
  for (const where of WHERE) {
    const row = await meeting(n, where);
    rows.push(row);
    console.log(
      `${String(n).padStart(6)}  ${where.padEnd(8)}  ${fmt(row.join)}    ${fmtAll(row.add)}    ${fmtAll(row.remove)}`,
    );
  }
  const [inPage, inWorker] = rows.slice(-2) as [Row, Row];
  const longest = (r: Row) => Math.max(r.join.longestTask, worst(r.add), worst(r.remove));
  console.log(
    `        longest page task, worker ÷ page thread: ${(longest(inWorker) / Math.max(1, longest(inPage))).toFixed(2)}× (${longest(inWorker).toFixed(0)} vs ${longest(inPage).toFixed(0)} ms)`,
  );
}

clearTimeout(watchdog);
await browser.close();
server.close();
