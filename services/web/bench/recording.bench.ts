/**
 * What local recording costs the recorder's browser: a meeting of BENCH_PEOPLE (2) on the real
 * stack in one headless Chromium (fake cameras and microphones), measured for BENCH_SECONDS without a
 * recording and then as long again while one participant records (through the private file
 * system, as a browser without a file picker does). Prints the browser's CPU (all its processes,
 * % of one core) without and with the recording and their ratio, the frames per second and
 * bitrate that reached the file (ffprobe), and the recorder's JavaScript heap and the browser's
 * memory (PSS of all its processes) at the start and end of the measured stretch of recording
 * (chunks go to disk, so neither should grow with its length).
 *
 *   npm run bench:recording -w @conclave/web      (BENCH_SECONDS=30, BENCH_PEOPLE=2 by default)
 */
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import {
  createMeeting,
  diagnostics,
  eventually,
  joinMeeting,
  startTestEnv,
} from '../test/support/harness.ts';
import { pageWithoutPicker, probeRecording } from '../test/support/recording-file.ts';

const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 30);
// Two by default: every participant encodes and decodes video in the same browser, and with more
// the meeting alone fills a small machine's cores, leaving nothing to measure the recording by.
const PEOPLE = Math.max(2, Number(process.env['BENCH_PEOPLE'] ?? 2));
const CLOCK_TICKS = 100;

/** The processes under `root` (itself included), from /proc's parent links. */
async function processTree(root: number): Promise<number[]> {
  const parents = new Map<number, number[]>();
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = await readFile(`/proc/${name}/stat`, 'utf8').catch(() => '');
    // Fields after the command name (which may hold spaces), in parentheses.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (Number.isFinite(ppid)) parents.set(ppid, [...(parents.get(ppid) ?? []), Number(name)]);
  }
  const tree: number[] = [];
  const walk = (pid: number) => {
    tree.push(pid);
    for (const child of parents.get(pid) ?? []) walk(child);
  };
  walk(root);
  return tree;
}

/** Chromium as launched by this process. */
async function browserRoot(): Promise<number> {
  for (const pid of (await processTree(process.pid)).slice(1)) {
    const comm = (await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '')).trim();
    if (comm.startsWith('chrom')) return pid;
  }
  throw new Error('the benchmark’s Chromium was not found among this process’s children');
}

/** CPU seconds and proportional set size (shared pages split between their users), MB, now. */
async function usage(root: number): Promise<{ cpu: number; pssMb: number }> {
  let ticks = 0;
  let pssKb = 0;
  for (const pid of await processTree(root)) {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    ticks += Number(fields[11] ?? 0) + Number(fields[12] ?? 0);
    const rollup = await readFile(`/proc/${pid}/smaps_rollup`, 'utf8').catch(() => '');
    pssKb += Number(/^Pss:\s+(\d+)/m.exec(rollup)?.[1] ?? 0);
  }
  return { cpu: ticks / CLOCK_TICKS, pssMb: pssKb / 1024 };
}

/** % of one core the browser used over the next `seconds`. */
async function cpuOver(root: number, seconds: number): Promise<number> {
  const a = await usage(root);
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const b = await usage(root);
  return ((b.cpu - a.cpu) / ((performance.now() - t0) / 1000)) * 100;
}

const heapMb = async (page: Page) => {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('HeapProfiler.collectGarbage');
  const { usedSize } = await cdp.send('Runtime.getHeapUsage');
  await cdp.detach();
  return usedSize / 2 ** 20;
};

const env = await startTestEnv();
const dir = await mkdtemp(join(tmpdir(), 'conclave-recording-bench-'));
try {
  const ada = await env.newPage();
  const bo = await pageWithoutPicker(env);
  const others = await Promise.all(Array.from({ length: PEOPLE - 2 }, () => env.newPage()));
  const created = await createMeeting(ada, env.origin);
  await joinMeeting(ada, created.hostLink, 'Ada');
  await joinMeeting(bo, created.link, 'Bo');
  for (const [i, page] of others.entries()) await joinMeeting(page, created.link, `Guest ${i + 1}`);
  await eventually(
    'everyone in the meeting',
    () => Promise.all([ada, bo, ...others].map(diagnostics)),
    (d) => d.every((x) => x.roster.length === PEOPLE),
    60_000,
  );
  await new Promise((r) => setTimeout(r, 5000));
  const root = await browserRoot();

  const idleStart = (await usage(root)).pssMb;
  const idle = await cpuOver(root, SECONDS);
  const idleEnd = (await usage(root)).pssMb;
  await bo.click('#toggle-record');
  await eventually(
    'Bo records',
    () => bo.getAttribute('#toggle-record', 'aria-pressed'),
    (p) => p === 'true',
  );
  const startedAt = Date.now();
  // Past the encoder's start: memory from here on is what grows with the recording's length.
  await new Promise((r) => setTimeout(r, 5000));
  const heapStart = await heapMb(bo);
  const pssStart = (await usage(root)).pssMb;
  const recording = await cpuOver(root, SECONDS);
  const heapEnd = await heapMb(bo);
  const pssEnd = (await usage(root)).pssMb;
  const download = bo.waitForEvent('download', { timeout: 60_000 });
  await bo.click('#toggle-record');
  const seconds = (Date.now() - startedAt) / 1000;
  const file = join(dir, 'recording.webm');
  await (await download).saveAs(file);
  const info = await probeRecording(file);
  const bytes = (await stat(file)).size;

  console.log(`local recording: ${PEOPLE} people in one headless Chromium, ${SECONDS} s each way`);
  console.log('browser CPU (% of a core) | no recording | recording | ratio | added');
  console.log(
    `                          | ${idle.toFixed(0)} % | ${recording.toFixed(0)} % | ${(recording / idle).toFixed(2)}× | ${(recording - idle).toFixed(0)} %`,
  );
  console.log(
    `file: ${seconds.toFixed(1)} s recorded, ${info.duration.toFixed(1)} s long, ${(info.videoFrames / info.duration).toFixed(1)} frames/s (longest gap ${info.maxGap.toFixed(2)} s), ${((bytes * 8) / info.duration / 1000).toFixed(0)} kbit/s, ${info.streams.map((s) => s.codec_name).join('+')}, decode errors: ${info.decodeErrors ? 'yes' : 'none'}`,
  );
  console.log(
    `memory over the measured ${SECONDS} s of recording: recorder's JS heap ${heapStart.toFixed(1)} → ${heapEnd.toFixed(1)} MB, browser (all processes, PSS) ${pssStart.toFixed(0)} → ${pssEnd.toFixed(0)} MB (the same ${SECONDS} s without recording: ${idleStart.toFixed(0)} → ${idleEnd.toFixed(0)} MB)`,
  );
} finally {
  await env.close();
  await rm(dir, { recursive: true, force: true });
}
